"""A client of WeCom's server API (qyapi.weixin.qq.com): the customer-contact calls siyu uses.

Every call returns JSON with `errcode` (0 is success). The access token is fetched with the
corp id and the customer-contact secret, cached until shortly before `expires_in`, and
fetched again once when a call answers that it is invalid or expired. System-busy and
rate-limit answers are retried with backoff, then raised as `WeComRateLimitedError`. Nothing
personal is logged: only the API path, the errcode and the attempt.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from siyu.config import Settings
from siyu.kit.errors import SiyuError

log = logging.getLogger(__name__)

TOKEN_PATH = "/cgi-bin/gettoken"
TOKEN_MARGIN_S = 300  # refresh this long before WeCom says the token expires
TOKEN_ERRORS = frozenset({40014, 41001, 42001})  # invalid, missing, expired access_token
RETRY_ERRORS = frozenset({-1, 45009, 45011, 45033})  # busy, frequency, too often, concurrency
RATE_LIMIT_ERRORS = RETRY_ERRORS - {-1}


class WeComApiError(SiyuError):
    """WeCom answered a call with a non-zero errcode."""

    status_code = 502
    key = "wecom.api_error"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        super().__init__(key, **params)
        self.errcode = int(params.get("errcode", 0))


class WeComRateLimitedError(WeComApiError):
    """WeCom kept answering that the call is over its rate limit."""

    status_code = 429
    key = "wecom.rate_limited"


class WeComUnreachableError(SiyuError):
    """The WeCom API could not be reached (network, HTTP error, not JSON)."""

    status_code = 503
    key = "wecom.unreachable"


@dataclass(frozen=True, slots=True)
class ContactWay:
    """A "contact me" way: its config id and WeCom's QR code image URL."""

    config_id: str
    qr_code: str


@dataclass(frozen=True, slots=True)
class FollowUser:
    """A staff member who has the external contact, as `externalcontact/get` returns it."""

    userid: str
    createtime: int
    state: str = ""
    add_way: int = 0
    remark_mobiles: tuple[str, ...] = ()
    tag_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExternalContact:
    """An external contact's details (personal data: never log them)."""

    external_userid: str
    name: str
    type: int
    unionid: str
    follow_users: tuple[FollowUser, ...]


@dataclass(frozen=True, slots=True)
class GroupMemberInfo:
    """A member of a customer group chat (type 1 staff, 2 external contact)."""

    userid: str
    type: int
    join_time: int
    join_scene: int = 0
    unionid: str = ""


@dataclass(frozen=True, slots=True)
class GroupChatDetail:
    """A customer group chat with its members."""

    chat_id: str
    name: str
    owner: str
    create_time: int
    members: tuple[GroupMemberInfo, ...]
    admins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TemplateResult:
    """What `add_msg_template` (a batch message) answered."""

    msgid: str
    fail_list: tuple[str, ...]


class TokenCache:
    """An access token shared by the clients of one process (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token = ""
        self.expires_at = 0.0

    def valid(self, now: float) -> str | None:
        """Return the token while it is fresh."""
        return self.token if self.token and now < self.expires_at else None

    def store(self, token: str, expires_in: int, now: float) -> None:
        """Remember a token for `expires_in` seconds less the safety margin."""
        self.token = token
        self.expires_at = now + max(expires_in - TOKEN_MARGIN_S, expires_in // 2)

    def clear(self, token: str) -> None:
        """Forget `token` (if it is still the cached one)."""
        if self.token == token:
            self.token, self.expires_at = "", 0.0


@dataclass
class WeComClient:
    """Calls WeCom's server API for one corp with the customer-contact secret."""

    corp_id: str
    secret: str
    base_url: str = "https://qyapi.weixin.qq.com"
    timeout_s: float = 10.0
    max_attempts: int = 4
    backoff_s: float = 0.5
    cache: TokenCache = field(default_factory=TokenCache)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    # ---- transport ---------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str]) -> str:
        query = urllib.parse.urlencode(params)
        return f"{self.base_url.rstrip('/')}{path}" + (f"?{query}" if query else "")

    def _http(self, path: str, params: Mapping[str, str], body: Any | None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self._url(path, params),
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise WeComUnreachableError(url=self.base_url, reason=str(reason)) from None
        if not isinstance(answer, dict):
            raise WeComUnreachableError(url=self.base_url, reason="answer is not a JSON object")
        return answer

    # ---- access token ------------------------------------------------------------------

    def access_token(self) -> str:
        """Return a valid access token, fetching one when the cache has none."""
        with self.cache.lock:
            found = self.cache.valid(self.clock())
            if found:
                return found
            answer = self._with_retries(
                TOKEN_PATH,
                lambda: self._http(
                    TOKEN_PATH, {"corpid": self.corp_id, "corpsecret": self.secret}, None
                ),
            )
            token = str(answer.get("access_token", ""))
            if not token:
                raise WeComApiError(path=TOKEN_PATH, errcode=-2, errmsg="no access_token")
            self.cache.store(token, int(answer.get("expires_in", 7200)), self.clock())
            log.info("wecom access token fetched")
            return token

    def _with_retries(self, path: str, attempt: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run one call, retrying busy and rate-limit answers and network errors with backoff."""
        for number in range(1, self.max_attempts + 1):
            last = number == self.max_attempts
            try:
                answer = attempt()
            except WeComUnreachableError:
                if last:
                    raise
                log.warning("wecom %s unreachable, attempt %d", path, number)
                self.sleep(self.backoff_s * 2 ** (number - 1))
                continue
            errcode = int(answer.get("errcode", 0))
            if errcode == 0:
                return answer
            if errcode not in RETRY_ERRORS:
                raise _error(path, answer)
            log.warning("wecom %s errcode %d, attempt %d", path, errcode, number)
            if last:
                if errcode in RATE_LIMIT_ERRORS:
                    raise WeComRateLimitedError(path=path, errcode=errcode)
                raise _error(path, answer)
            self.sleep(self.backoff_s * 2 ** (number - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def call(
        self, path: str, *, params: Mapping[str, str] | None = None, body: Any | None = None
    ) -> dict[str, Any]:
        """Call an API path with the access token; refresh the token once if WeCom refuses it."""
        for refreshed in (False, True):
            token = self.access_token()
            try:
                return self._with_retries(
                    path,
                    lambda t=token: self._http(  # type: ignore[misc]
                        path, {**(params or {}), "access_token": t}, body
                    ),
                )
            except WeComApiError as exc:
                if exc.errcode not in TOKEN_ERRORS or refreshed:
                    raise
                log.info(
                    "wecom %s: access token refused (%d), fetching a new one", path, exc.errcode
                )
                self.cache.clear(token)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- customer contact ----------------------------------------------------------------

    def add_contact_way(
        self, *, state: str, users: Sequence[str], remark: str = "", skip_verify: bool = True
    ) -> ContactWay:
        """Create a "contact me" QR code way for these staff userids, tagged with `state`."""
        answer = self.call(
            "/cgi-bin/externalcontact/add_contact_way",
            body={
                "type": 1 if len(users) == 1 else 2,
                "scene": 2,
                "state": state,
                "user": list(users),
                "remark": remark[:30],
                "skip_verify": skip_verify,
            },
        )
        return ContactWay(str(answer["config_id"]), str(answer.get("qr_code", "")))

    def update_contact_way(
        self, config_id: str, *, users: Sequence[str], state: str | None = None
    ) -> None:
        """Replace the staff of a contact way (and its state when given)."""
        body: dict[str, Any] = {"config_id": config_id, "user": list(users)}
        if state is not None:
            body["state"] = state
        self.call("/cgi-bin/externalcontact/update_contact_way", body=body)

    def delete_contact_way(self, config_id: str) -> None:
        """Delete a contact way."""
        self.call("/cgi-bin/externalcontact/del_contact_way", body={"config_id": config_id})

    def get_external_contact(self, external_userid: str) -> ExternalContact:
        """Fetch an external contact's details and the staff who have them."""
        answer = self.call(
            "/cgi-bin/externalcontact/get", params={"external_userid": external_userid}
        )
        person = answer.get("external_contact") or {}
        follows = tuple(_follow_user(f) for f in answer.get("follow_user") or ())
        return ExternalContact(
            external_userid=str(person.get("external_userid", external_userid)),
            name=str(person.get("name", "")),
            type=int(person.get("type", 1)),
            unionid=str(person.get("unionid", "")),
            follow_users=follows,
        )

    def send_welcome_msg(self, welcome_code: str, text: str) -> None:
        """Send the welcome message of a new contact (the code is valid for 20 seconds)."""
        self.call(
            "/cgi-bin/externalcontact/send_welcome_msg",
            body={"welcome_code": welcome_code, "text": {"content": text}},
        )

    def add_msg_template(
        self, *, sender: str, external_userids: Sequence[str], text: str
    ) -> TemplateResult:
        """Create a batch (群发) message from one staff member to their contacts."""
        answer = self.call(
            "/cgi-bin/externalcontact/add_msg_template",
            body={
                "chat_type": "single",
                "sender": sender,
                "external_userid": list(external_userids),
                "text": {"content": text},
            },
        )
        return TemplateResult(
            str(answer.get("msgid", "")), tuple(str(x) for x in answer.get("fail_list") or ())
        )

    def mark_tag(self, *, userid: str, external_userid: str, add_tag: Sequence[str]) -> None:
        """Tag an external contact (enterprise tag ids) for one staff member."""
        self.call(
            "/cgi-bin/externalcontact/mark_tag",
            body={
                "userid": userid,
                "external_userid": external_userid,
                "add_tag": list(add_tag),
            },
        )

    def get_follow_user_list(self) -> list[str]:
        """Return the userids of staff allowed to have external contacts."""
        answer = self.call("/cgi-bin/externalcontact/get_follow_user_list")
        return [str(u) for u in answer.get("follow_user") or ()]

    def get_group_chat(self, chat_id: str) -> GroupChatDetail:
        """Fetch a customer group chat with its members."""
        answer = self.call(
            "/cgi-bin/externalcontact/groupchat/get", body={"chat_id": chat_id, "need_name": 0}
        )
        chat = answer.get("group_chat") or {}
        members = tuple(
            GroupMemberInfo(
                userid=str(m.get("userid", "")),
                type=int(m.get("type", 2)),
                join_time=int(m.get("join_time", 0)),
                join_scene=int(m.get("join_scene", 0)),
                unionid=str(m.get("unionid", "")),
            )
            for m in chat.get("member_list") or ()
        )
        return GroupChatDetail(
            chat_id=str(chat.get("chat_id", chat_id)),
            name=str(chat.get("name", "")),
            owner=str(chat.get("owner", "")),
            create_time=int(chat.get("create_time", 0)),
            members=members,
            admins=tuple(str(a.get("userid", "")) for a in chat.get("admin_list") or ()),
        )


def _follow_user(raw: Mapping[str, Any]) -> FollowUser:
    tags = raw.get("tags") or ()
    return FollowUser(
        userid=str(raw.get("userid", "")),
        createtime=int(raw.get("createtime", 0)),
        state=str(raw.get("state", "")),
        add_way=int(raw.get("add_way", 0)),
        remark_mobiles=tuple(str(m) for m in raw.get("remark_mobiles") or ()),
        tag_ids=tuple(str(t.get("tag_id", "")) for t in tags if t.get("tag_id")),
    )


def _error(path: str, answer: Mapping[str, Any]) -> WeComApiError:
    errcode = int(answer.get("errcode", 0))
    # errmsg is WeCom's English text; cut at "hint" so request details are never echoed
    errmsg = str(answer.get("errmsg", "")).split(", hint")[0][:120]
    return WeComApiError(path=path, errcode=errcode, errmsg=errmsg)


def client_from_settings(settings: Settings, *, cache: TokenCache | None = None) -> WeComClient:
    """Build the client from SIYU_WECOM_* settings, or say which ones are missing."""
    required = (
        ("SIYU_WECOM_CORP_ID", settings.wecom_corp_id),
        ("SIYU_WECOM_SECRET", settings.wecom_secret),
    )
    missing = [name for name, value in required if not value]
    if missing:
        raise SiyuError("wecom.not_configured", names=", ".join(missing))
    assert settings.wecom_secret is not None
    return WeComClient(
        settings.wecom_corp_id,
        settings.wecom_secret.get_secret_value(),
        base_url=settings.wecom_base_url,
        cache=cache or TokenCache(),
    )
