"""A fake WeCom: a real HTTP server that enforces the contract of WeCom's server API.

It issues access tokens that expire on its own clock, refuses missing, unknown and expired
tokens with WeCom's errcodes, answers rate-limit errors when told to, checks request
bodies, keeps the contacts, contact ways, welcome codes, groups and messages it was sent,
and delivers encrypted, signed callbacks to a callback URL as WeCom does. Its callback
crypto is written here independently of siyu's (from the published scheme), so the two
check each other.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# errcodes of WeCom's global table
BUSY = -1
INVALID_SECRET = 40001
INVALID_USERID = 40003
INVALID_CORPID = 40013
INVALID_TOKEN = 40014
INVALID_PARAMETER = 40058
INVALID_EXTERNAL_USERID = 40096
MISSING_TOKEN = 41001
EXPIRED_TOKEN = 42001
RATE_LIMITED = 45009
BAD_JSON = 47001
INVALID_WELCOME_CODE = 41051  # the fake's choice; siyu treats it as a permanent failure
INVALID_CHAT_ID = 40050  # the fake's choice
WELCOME_CODE_TTL_S = 20


@dataclass
class FakeContact:
    external_userid: str
    name: str
    unionid: str
    follows: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class FakeGroup:
    chat_id: str
    name: str
    owner: str
    create_time: int
    members: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeWeCom:
    """The server and its state; use as a context manager."""

    def __init__(
        self,
        *,
        corp_id: str = "wwfake0000000001",
        secret: str = "fake-secret",
        token: str = "fake-callback-token",
        aes_key: str | None = None,
        staff: tuple[str, ...] = ("wecom_a", "wecom_b", "wecom_c"),
        token_ttl_s: int = 7200,
    ) -> None:
        self.corp_id, self.secret, self.token = corp_id, secret, token
        self.aes_key = aes_key or base64.b64encode(os.urandom(32)).decode()[:43]
        self.staff = set(staff)
        self.token_ttl_s = token_ttl_s
        self.offset_s = 0.0
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.token_calls = 0
        self.calls: list[str] = []
        self.failures: dict[str, list[int]] = {}
        self.holds: dict[str, threading.Event] = {}
        self.held: list[str] = []  # calls that arrived while their path was held
        self.contact_ways: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, FakeContact] = {}
        self.welcome_codes: dict[str, float] = {}
        self.welcomes: list[dict[str, Any]] = []
        self.templates: list[dict[str, Any]] = []
        self.tags: list[dict[str, Any]] = []
        self.groups: dict[str, FakeGroup] = {}
        self.callback_url = ""
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> FakeWeCom:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def now(self) -> float:
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        """Move the fake's clock (tokens and welcome codes expire on it)."""
        self.offset_s += seconds

    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        """Answer the next `times` calls of `path` with `errcode` (rate limits, busy)."""
        self.failures.setdefault(path, []).extend([errcode] * times)

    def hold(self, path: str) -> threading.Event:
        """Keep calls of `path` waiting (no answer) until the returned event is set."""
        self.holds[path] = threading.Event()
        return self.holds[path]

    # ---- WeCom's side of the customer-contact story -----------------------------------------

    def customer_adds(
        self,
        userid: str,
        external_userid: str,
        *,
        state: str = "",
        name: str = "客户",
        unionid: str = "",
        phone: str = "",
        deliver: bool = True,
        welcome: bool = True,
    ) -> tuple[int, str]:
        """A customer adds a staff member (via a contact way with `state`); WeCom calls back."""
        now = int(self.now())
        with self.lock:
            contact = self.contacts.setdefault(
                external_userid, FakeContact(external_userid, name, unionid)
            )
            contact.follows[userid] = {
                "userid": userid,
                "createtime": now,
                "state": state,
                "add_way": 1,
                "remark_mobiles": [phone] if phone else [],
                "tags": [],
            }
            code = f"WELCOME{next(self._ids):06d}"
            self.welcome_codes[code] = self.now()
        fields = {"UserID": userid, "ExternalUserID": external_userid, "State": state}
        if welcome:
            fields["WelcomeCode"] = code
        event = contact_event("add_external_contact", self.corp_id, now, fields)
        return self.deliver(event) if deliver else (0, event)

    def customer_deletes(self, userid: str, external_userid: str) -> tuple[int, str]:
        """The customer deletes the staff member (del_follow_user)."""
        with self.lock:
            self.contacts[external_userid].follows.pop(userid, None)
        event = contact_event(
            "del_follow_user",
            self.corp_id,
            int(self.now()),
            {"UserID": userid, "ExternalUserID": external_userid},
        )
        return self.deliver(event)

    def staff_deletes(self, userid: str, external_userid: str) -> tuple[int, str]:
        """The staff member deletes the customer (del_external_contact)."""
        with self.lock:
            self.contacts[external_userid].follows.pop(userid, None)
        event = contact_event(
            "del_external_contact",
            self.corp_id,
            int(self.now()),
            {"UserID": userid, "ExternalUserID": external_userid},
        )
        return self.deliver(event)

    def create_group(self, chat_id: str, owner: str, name: str, members: list[str]) -> None:
        """A group chat exists with these external members (not delivered)."""
        now = int(self.now())
        group = FakeGroup(chat_id, name, owner, now)
        group.members[owner] = {"userid": owner, "type": 1, "join_time": now, "join_scene": 1}
        for m in members:
            group.members[m] = {
                "userid": m,
                "type": 2,
                "join_time": now,
                "join_scene": 3,
                "unionid": self.contacts[m].unionid if m in self.contacts else "",
            }
        with self.lock:
            self.groups[chat_id] = group

    # ---- callbacks ----------------------------------------------------------------------------

    def encrypt(self, message: str) -> str:
        key = base64.b64decode(self.aes_key + "=")
        text = message.encode()
        plain = os.urandom(16) + struct.pack(">I", len(text)) + text + self.corp_id.encode()
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return hashlib.sha1(
            "".join(sorted((self.token, timestamp, nonce, encrypt))).encode()
        ).hexdigest()

    def signed_request(
        self, message: str, *, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The query and body WeCom would POST for `message`."""
        ts = timestamp or str(int(self.now()))
        nonce = nonce or str(int.from_bytes(os.urandom(4), "big"))
        encrypt = self.encrypt(message)
        query = {"msg_signature": self.sign(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            "<AgentID><![CDATA[]]></AgentID></xml>"
        ).encode()
        return query, body

    def deliver(self, message: str, **kwargs: str) -> tuple[int, str]:
        """POST an encrypted, signed callback to `callback_url`; return status and body."""
        query, body = self.signed_request(message, **kwargs)
        return post(self.callback_url, query, body)

    def verify_url(self) -> tuple[int, str, str]:
        """WeCom's URL check: GET with an encrypted echostr; return status, answer, expected."""
        echo = str(int.from_bytes(os.urandom(8), "big"))
        ts, nonce = str(int(self.now())), "12345"
        encrypt = self.encrypt(echo)
        query = {
            "msg_signature": self.sign(ts, nonce, encrypt),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": encrypt,
        }
        url = self.callback_url + "?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read().decode(), echo
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), echo

    # ---- the HTTP API ----------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(length))

            def _answer(self, raw: bytes | None) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                answer = fake.handle(parsed.path, query, raw)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)  # WeCom answers 200 and puts errors in errcode
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def handle(self, path: str, query: dict[str, str], raw: bytes | None) -> dict[str, Any]:
        held = self.holds.get(path)
        if held is not None:
            self.held.append(path)
            held.wait(timeout=60)
        with self.lock:
            self.calls.append(path)
            if path == "/cgi-bin/gettoken":
                return self._gettoken(query)
            queued = self.failures.get(path)
            if queued:
                return err(queued.pop(0))
            token = query.get("access_token")
            if not token:
                return err(MISSING_TOKEN)
            if token not in self.tokens:
                return err(INVALID_TOKEN)
            if self.tokens[token] <= self.now():
                return err(EXPIRED_TOKEN)
            body: dict[str, Any] = {}
            if raw is not None:
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    return err(BAD_JSON)
                if not isinstance(body, dict):
                    return err(BAD_JSON)
            route = ROUTES.get(path)
            if route is None:
                return err(INVALID_PARAMETER, "unknown api")
            return route(self, query, body)

    def _gettoken(self, query: dict[str, str]) -> dict[str, Any]:
        self.token_calls += 1
        queued = self.failures.get("/cgi-bin/gettoken")
        if queued:
            return err(queued.pop(0))
        if query.get("corpid") != self.corp_id:
            return err(INVALID_CORPID)
        if query.get("corpsecret") != self.secret:
            return err(INVALID_SECRET)
        token = f"TOKEN{next(self._ids):08d}"
        self.tokens[token] = self.now() + self.token_ttl_s
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl_s}

    def _add_contact_way(self, _q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        users = body.get("user") or []
        if body.get("type") not in (1, 2) or body.get("scene") not in (1, 2):
            return err(INVALID_PARAMETER, "type/scene")
        if len(str(body.get("state", ""))) > 30:
            return err(INVALID_PARAMETER, "state longer than 30")
        if not users or any(u not in self.staff for u in users):
            return err(INVALID_USERID)
        if body["type"] == 1 and len(users) != 1:
            return err(INVALID_PARAMETER, "single type with many users")
        config_id = f"cfg{next(self._ids):08d}"
        self.contact_ways[config_id] = dict(body)
        return {
            "errcode": 0,
            "errmsg": "ok",
            "config_id": config_id,
            "qr_code": f"https://wework.qpic.cn/fake/{config_id}.png",
        }

    def _update_contact_way(self, _q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        way = self.contact_ways.get(str(body.get("config_id")))
        if way is None:
            return err(INVALID_PARAMETER, "config_id")
        users = body.get("user")
        if users is not None and (not users or any(u not in self.staff for u in users)):
            return err(INVALID_USERID)
        way.update({k: v for k, v in body.items() if k != "config_id"})
        return err(0, "ok")

    def _del_contact_way(self, _q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if self.contact_ways.pop(str(body.get("config_id")), None) is None:
            return err(INVALID_PARAMETER, "config_id")
        return err(0, "ok")

    def _get(self, query: dict[str, str], _b: dict[str, Any]) -> dict[str, Any]:
        contact = self.contacts.get(query.get("external_userid", ""))
        if contact is None:
            return err(INVALID_EXTERNAL_USERID)
        return {
            "errcode": 0,
            "errmsg": "ok",
            "external_contact": {
                "external_userid": contact.external_userid,
                "name": contact.name,
                "type": 1,
                "unionid": contact.unionid,
            },
            "follow_user": list(contact.follows.values()),
        }

    def _welcome(self, _q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        code = str(body.get("welcome_code", ""))
        issued = self.welcome_codes.pop(code, None)
        if issued is None or self.now() - issued > WELCOME_CODE_TTL_S:
            return err(INVALID_WELCOME_CODE, "invalid welcome_code")
        if not (body.get("text") or {}).get("content") and not body.get("attachments"):
            return err(INVALID_PARAMETER, "empty welcome")
        self.welcomes.append(dict(body))
        return err(0, "ok")

    def _template(self, _q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if body.get("sender") not in self.staff:
            return err(INVALID_USERID)
        ids = body.get("external_userid") or []
        fail = [i for i in ids if i not in self.contacts]
        self.templates.append(dict(body))
        return {
            "errcode": 0,
            "errmsg": "ok",
            "fail_list": fail,
            "msgid": f"msg{next(self._ids):08d}",
        }

    def _mark_tag(self, _q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if body.get("userid") not in self.staff:
            return err(INVALID_USERID)
        if body.get("external_userid") not in self.contacts:
            return err(INVALID_EXTERNAL_USERID)
        self.tags.append(dict(body))
        return err(0, "ok")

    def _follow_users(self, _q: dict[str, str], _b: dict[str, Any]) -> dict[str, Any]:
        return {"errcode": 0, "errmsg": "ok", "follow_user": sorted(self.staff)}

    def _group(self, _q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        group = self.groups.get(str(body.get("chat_id")))
        if group is None:
            return err(INVALID_CHAT_ID, "invalid chat_id")
        return {
            "errcode": 0,
            "errmsg": "ok",
            "group_chat": {
                "chat_id": group.chat_id,
                "name": group.name,
                "owner": group.owner,
                "create_time": group.create_time,
                "member_list": list(group.members.values()),
                "admin_list": [],
            },
        }


ROUTES = {
    "/cgi-bin/externalcontact/add_contact_way": FakeWeCom._add_contact_way,
    "/cgi-bin/externalcontact/update_contact_way": FakeWeCom._update_contact_way,
    "/cgi-bin/externalcontact/del_contact_way": FakeWeCom._del_contact_way,
    "/cgi-bin/externalcontact/get": FakeWeCom._get,
    "/cgi-bin/externalcontact/send_welcome_msg": FakeWeCom._welcome,
    "/cgi-bin/externalcontact/add_msg_template": FakeWeCom._template,
    "/cgi-bin/externalcontact/mark_tag": FakeWeCom._mark_tag,
    "/cgi-bin/externalcontact/get_follow_user_list": FakeWeCom._follow_users,
    "/cgi-bin/externalcontact/groupchat/get": FakeWeCom._group,
}


def err(code: int, message: str = "") -> dict[str, Any]:
    return {"errcode": code, "errmsg": message or ("ok" if code == 0 else f"error {code}")}


def contact_event(change: str, corp_id: str, created: int, fields: dict[str, str]) -> str:
    """The XML of a change_external_contact event."""
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        f"<ChangeType><![CDATA[{change}]]></ChangeType>{inner}</xml>"
    )


def chat_event(
    change: str,
    corp_id: str,
    created: int,
    chat_id: str,
    *,
    detail: str = "",
    members: tuple[str, ...] = (),
) -> str:
    """The XML of a change_external_chat event."""
    items = "".join(f"<Item><![CDATA[{m}]]></Item>" for m in members)
    extra = f"<UpdateDetail><![CDATA[{detail}]]></UpdateDetail>" if detail else ""
    extra += f"<MemChangeCnt>{len(members)}</MemChangeCnt>" if members else ""
    extra += f"<MemChangeList>{items}</MemChangeList>" if members else ""
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_chat]]></Event>"
        f"<ChatId><![CDATA[{chat_id}]]></ChatId>"
        f"<ChangeType><![CDATA[{change}]]></ChangeType>{extra}</xml>"
    )


def post(url: str, query: dict[str, str], body: bytes) -> tuple[int, str]:
    """POST `body` to `url?query`; return the status and text."""
    target = url + "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(
        target, data=body, method="POST", headers={"Content-Type": "text/xml"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
