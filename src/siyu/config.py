"""One Settings object for the whole application (env prefix SIYU_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".siyu")
DEFAULT_PUBLIC_URL = "https://example.com"


class Settings(BaseSettings):
    """Configuration read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(env_prefix="SIYU_", env_file=".env", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="Folder for the embedded store and keys.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in home.")
    environment: Literal["development", "test", "production"] = "development"
    locale: Literal["zh-CN", "en"] = "zh-CN"
    workspace: str = Field(default="demo", description="Workspace (brand) slug the CLI acts on.")
    analytics_engine: Literal["duckdb", "pyspark"] = Field(
        default="duckdb", description="Engine that reads the snapshot (pyspark: siyu[spark])."
    )
    purchase_model: Literal["pareto_nbd", "bg_nbd"] = Field(
        default="pareto_nbd",
        description="CLV purchase model of the daily run (BG/NBD holds one-time buyers alive).",
    )
    pii_key: SecretStr | None = Field(
        default=None, description="Base64 32-byte master key for personal data; else key_file."
    )
    key_file: Path | None = Field(default=None, description="Key file; default <home>/pii.key.")
    wecom_corp_id: str = Field(default="", description="WeCom corp id (企业ID), ww…")
    wecom_secret: SecretStr | None = Field(
        default=None, description="Secret of the customer-contact (客户联系) API; never logged."
    )
    wecom_token: SecretStr | None = Field(
        default=None, description="Callback Token set on the WeCom admin page (signatures)."
    )
    wecom_encoding_aes_key: SecretStr | None = Field(
        default=None, description="Callback EncodingAESKey (43 characters) from the admin page."
    )
    wecom_base_url: str = Field(
        default="https://qyapi.weixin.qq.com", description="WeCom server API base URL."
    )
    wecom_callback_max_skew_s: int = Field(
        default=300, ge=10, description="Callbacks whose timestamp is further off are refused."
    )
    brand_stage: Literal["new", "growing", "mature"] = Field(
        default="growing",
        description="Invite lists: a mature brand favours repeat buyers, a new one builds a pool.",
    )
    card_font: Path | None = Field(
        default=None, description="CJK TrueType font (.ttf/.ttc) embedded in insert-card PDFs."
    )
    public_base_url: str = Field(
        default=DEFAULT_PUBLIC_URL,
        description="Public URL of this deployment; live-code QR codes point at <url>/j/<code>.",
    )
    host: str = Field(default="127.0.0.1", description="Address `siyu serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `siyu serve` listens on.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Secure flag of the session cookie; default: on under https or production.",
    )
    session_hours: int = Field(default=12, ge=1, le=720, description="Console session lifetime.")
    loyalty_point_value_fen: int = Field(
        default=1, ge=0, le=10_000, description="What one point is worth when redeemed (fen)."
    )
    rate_login_per_minute: int = Field(
        default=30, ge=1, description="Log-in attempts per client address per minute."
    )
    rate_webhook_per_minute: int = Field(
        default=60_000, ge=1, description="Order webhook deliveries per API key per minute."
    )
    rate_public_per_minute: int = Field(
        default=600, ge=1, description="WeCom callbacks and landing pages per client per minute."
    )
    upload_max_mb: int = Field(default=200, ge=1, description="Largest file the console takes.")
    # Delivery channels (`siyu worker`); a channel with no endpoint is not started.
    sms_url: str = Field(default="", description="HTTP SMS gateway endpoint (POST JSON).")
    sms_token: SecretStr | None = Field(default=None, description="Bearer token of the gateway.")
    sms_sign: str = Field(default="", description="SMS signature (签名) the gateway adds.")
    smtp_host: str = Field(default="", description="SMTP server for e-mail.")
    smtp_port: int = Field(default=587, description="SMTP port.")
    smtp_user: str = Field(default="", description="SMTP login (empty: no login).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="How the SMTP connection is secured."
    )
    smtp_sender: str = Field(default="", description="From address of e-mails.")
    webhook_url: str = Field(default="", description="Endpoint that receives signed webhooks.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key that signs each webhook."
    )
    wecom_adapter: str = Field(
        default="",
        description="'module:function' that takes the Settings and returns the WeCom adapter's "
        "batch sender (siyu.messaging.channels.wecom.WeComBatchSender); empty: the built-in "
        "adapter (siyu.wecom.adapter) when the WeCom corp id and secret are set, else none.",
    )
    delivery_timeout: float = Field(default=10.0, gt=0, description="Seconds per send attempt.")
    delivery_max_attempts: int = Field(default=8, ge=1, description="Attempts before dead.")

    # Retention (`siyu privacy purge`): days each kind of record is kept; 0 keeps it for ever.
    retention_wecom_callback_days: int = Field(
        default=30, ge=0, description="Processed WeCom callbacks and WeCom calls made."
    )
    retention_outbox_payload_days: int = Field(
        default=90, ge=0, description="Payloads of settled outbox messages (the rows stay)."
    )
    retention_delivery_attempt_days: int = Field(
        default=90, ge=0, description="The delivery log of the worker."
    )
    retention_web_session_days: int = Field(
        default=30, ge=0, description="Console sessions, counted from their expiry."
    )
    retention_reject_file_days: int = Field(
        default=30, ge=0, description="Reject files of imports (they hold rows in clear)."
    )
    retention_log_days: int = Field(default=30, ge=0, description="Rotated log files.")

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file under `home`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'siyu.db').as_posix()}"

    def resolved_key_file(self) -> Path:
        """Return the path of the personal-data key file."""
        return self.key_file or self.home / "pii.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests build their own)."""
    return Settings()
