"""Server settings: environment variables prefixed REDHALL_, or a TOML file, read once."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from protocol.errors import RedhallError
from server.credits.rules import GuideCredit


class ChatRobot(BaseModel):
    """A group chat's robot (WeCom or DingTalk): its webhook, and DingTalk's signing secret."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(description="the robot's webhook address (it holds the access "
                           "token, so it is kept out of logs)")
    secret: SecretStr | None = Field(default=None, description="DingTalk's 加签 secret "
                                     "(SEC...), when the robot's security setting signs")

    @field_validator("url")
    @classmethod
    def _http(cls, url: SecretStr) -> SecretStr:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url.get_secret_value()):
            raise ValueError("a robot's url must be an http(s) address")
        return url


# which group chat hears about a member's tours: the robot of the member's organization,
# else of the nearest organization above it, else "*" (one robot for everyone)
RobotOrg = Annotated[str, Field(pattern=r"^(\*|[1-9][0-9]{0,9})$")]
ROBOTS_DESCRIPTION = ('organization id (or "*" for all) → robot, as JSON in the environment: '
                      '{"3": {"url": "https://...", "secret": "SEC..."}}')


class SettingsRefused(RedhallError):
    """A setting (environment or file) that cannot be taken."""

    exit_code = 2


class Settings(BaseSettings):
    """Everything the server is configured with; built once by the CLI and passed down."""

    model_config = SettingsConfigDict(env_prefix="REDHALL_", extra="forbid")

    database_url: str = Field(default="sqlite+aiosqlite:///var/redhall.db",
                              description="SQLAlchemy URL; postgresql+asyncpg://... at scale")
    redis_url: str | None = Field(default=None, description="redis://... to share live tours "
                                  "between several server processes")
    redis_prefix: str = Field(default="redhall", pattern=r"^[A-Za-z0-9_.-]+$",
                              description="key prefix, for deployments sharing one Redis")
    data_dir: Path = Path("var/data")
    host: str = "127.0.0.1"
    port: int = 8080
    encryption_key: SecretStr | None = Field(
        default=None, description="base64 of 32 bytes for AES-GCM personal data; made in "
                                  "data_dir on first start when unset")
    trusted_keys: list[Path] = Field(default_factory=list,
                                     description="publisher public keys accepted for uploads")
    max_upload_bytes: int = 512 * 1024**2
    session_hours: float = 12.0
    # Argon2id cost of new password hashes (RFC 9106's second recommended set); lower it
    # only where log-ins must be cheap, as in tests
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=64)
    token_days: float = 30.0
    login_max_failures: int = Field(default=5, ge=1, description="wrong passwords in a row "
                                    "after which an account is locked for a while")
    login_lock_minutes: float = Field(default=15.0, gt=0, description="how long a locked "
                                      "account refuses log-ins")
    login_attempts_per_minute: int = Field(default=30, ge=1, description="log-in attempts "
                                           "one address may make a minute")
    reminder_minutes: list[int] = Field(default_factory=lambda: [24 * 60, 60])
    cookie_secure: bool = Field(default=False, description="send the session cookie over "
                                "HTTPS only (always so when tls_cert is set)")
    # HTTPS: WebXR, the microphone and WebCrypto need a secure context off localhost
    tls_cert: Path | None = Field(default=None, description="PEM certificate chain (the "
                                  "server's certificate first) to serve HTTPS with")
    tls_key: Path | None = Field(default=None, description="the certificate's PEM private key")
    tour_hold_seconds: float = Field(default=60.0, gt=0, description="how long a dropped "
                                     "participant's seat is held for them to resume")
    tour_tick_hz: float = Field(default=20.0, gt=0, le=60, description="pose frames a second")
    tour_relay_hz: float = Field(default=100.0, gt=0, le=1000, description="how often a "
                                 "process sends its new poses to the others sharing its tours "
                                 "(with Redis); a pose from another process waits up to one "
                                 "interval more")
    tour_heartbeat_seconds: float = Field(default=10.0, gt=0)
    site_url: str = Field(default="http://localhost:8080", pattern=r"^https?://[^\s/]+(/\S*)?$",
                          description="where members and LRS clients reach this server; "
                          "the home of xAPI account and activity identifiers")
    xapi_forward_url: str | None = Field(default=None, description="an external LRS's "
                                         "statements endpoint to forward every statement to")
    xapi_forward_key: str = ""
    xapi_forward_secret: SecretStr = SecretStr("")
    xapi_forward_retry_seconds: float = Field(default=5.0, gt=0, description="first wait "
                                              "after a failed forward; doubles each time")
    xapi_forward_poll_seconds: float = Field(default=1.0, gt=0)
    credit_targets: dict[str, float] = Field(
        default_factory=lambda: {"member": 32.0, "guide": 56.0},
        description="学时 a year each role is expected to earn (calendar year)")
    guide_credit: GuideCredit = Field(
        default_factory=GuideCredit,
        description="what leading a guided tour earns its guide, as JSON in the environment: "
                    '{"hours": 2, "min_minutes": 30, "min_participants": 1}')
    # notifications (server.notify): the portal's inbox always; e-mail when an SMTP server
    # is given; the WeCom/DingTalk group robots of the organizations that have one
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail "
                                  "notices; none: no e-mail")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = Field(default="redhall@localhost", description="the notices' sender")
    smtp_starttls: bool = Field(default=True, description="upgrade the connection with "
                                "STARTTLS before logging in (refused if the server cannot)")
    wecom_robots: dict[RobotOrg, ChatRobot] = Field(default_factory=dict,
                                               description=ROBOTS_DESCRIPTION)
    dingtalk_robots: dict[RobotOrg, ChatRobot] = Field(default_factory=dict,
                                                  description=ROBOTS_DESCRIPTION)
    notify_timeout_seconds: float = Field(default=10.0, gt=0, description="how long one "
                                          "e-mail or robot message may take")
    notify_retry_seconds: float = Field(default=30.0, gt=0, description="first wait after a "
                                        "failed e-mail or robot message; doubles each time")
    notify_max_attempts: int = Field(default=8, ge=1, description="tries before a message "
                                     "is given up (its last error stays in deliveries)")

    @model_validator(mode="after")
    def _tls_both_or_neither(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("give both REDHALL_TLS_CERT and REDHALL_TLS_KEY, or neither")
        if self.tls_cert is not None:
            self.cookie_secure = True
        return self

    @property
    def configured_site_url(self) -> str | None:
        """``site_url`` when it was configured, else None (the default names no real
        address, and a request's Host header is not to be trusted in signed content)."""
        return self.site_url.rstrip("/") if "site_url" in self.model_fields_set else None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)  # the environment wins over the file

    @classmethod
    def load(cls, toml_file: Path | None = None) -> Settings:
        """From a TOML file (if given), with REDHALL_ environment variables taking precedence.
        Raises :class:`SettingsRefused` naming each setting that cannot be taken."""
        try:
            values = tomllib.loads(toml_file.read_text(encoding="utf-8")) if toml_file else {}
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsRefused(f"cannot read the settings file {toml_file}: {exc}") from None
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = []
            for problem in exc.errors(include_url=False):
                name = ".".join(str(part) for part in problem["loc"])
                where = f"REDHALL_{name.upper()}: " if name else ""
                problems.append(f"{where}{problem['msg']}")
            raise SettingsRefused("the settings cannot be taken: " + "; ".join(problems)
                                  ) from None
