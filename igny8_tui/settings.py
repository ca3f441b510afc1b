"""Settings: data directory and database from flags or env, the rest from <home>/config.toml."""

from __future__ import annotations

import functools
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from igny8_tui.constants import MAX_GRANT_CREDITS
from igny8_tui.errors import InvalidInputError, first_validation_error
from igny8_tui.redaction import redacted_url

CONFIG_FILE_NAME = "config.toml"
DB_FILE_NAME = "igny8.db"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
APPRISE_SERVICES_URL = "https://github.com/caronc/apprise/wiki"


def _known_notify_scheme(url: SecretStr) -> SecretStr:
    """A notification URL whose scheme apprise knows; without apprise (the notify extra), any
    `scheme://` (sending then says the extra is missing). Messages never quote the URL."""
    match = _SCHEME.match(url.get_secret_value())
    if match is None:
        raise ValueError(f"not a notification URL (scheme://...); see {APPRISE_SERVICES_URL}")
    scheme = match.group(1).lower()
    known = _apprise_schemes()
    if known is not None and scheme not in known:
        raise ValueError(f"apprise knows no {scheme}:// notifications; see {APPRISE_SERVICES_URL}")
    return url


@functools.cache  # apprise loads its ~100 plugins to list them: a third of a second
def _apprise_schemes() -> frozenset[str] | None:
    """Every scheme apprise can send to, or None when apprise is not installed."""
    try:
        from apprise.manager_plugins import NotificationManager
    except ImportError:
        return None
    # apprise 2 is typed in part; its plugin manager is not.
    schemas: list[str] = NotificationManager().schemas()  # type: ignore[no-untyped-call]
    return frozenset(schema.lower() for schema in schemas)


NotifyUrl = Annotated[SecretStr, AfterValidator(_known_notify_scheme)]


class CreditCosts(BaseModel):
    """What each AI operation costs, in credits (the spec's worked example by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clustering_per_batch: Decimal = Field(default=Decimal(15), ge=0)
    per_idea: Decimal = Field(default=Decimal(2), ge=0)
    content_per_100_words: Decimal = Field(default=Decimal(1), ge=0)
    per_image_prompt: Decimal = Field(default=Decimal("0.2"), ge=0)
    per_image: Decimal = Field(default=Decimal(1), ge=0)


class SiteSettings(BaseModel):
    """`[sites.<site name>]` in config.toml: what one site sets apart from the rest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # None: the global list applies; [] turns notifications off for this site.
    notify_urls: list[NotifyUrl] | None = None


class AISummary(BaseModel):
    """Which AI is in use; the key only as set or not set."""

    provider: str
    base_url: str | None
    model: str
    image_provider: str
    image_model: str
    concurrency: int
    api_key: Literal["set", "not set"]
    credit_mode: str


class Settings(BaseSettings):
    """Everything configurable outside a site's AutomationConfig."""

    model_config = SettingsConfigDict(env_prefix="IGNY8_", extra="forbid", frozen=True)

    home: Path
    db: str = ""
    credits: CreditCosts = CreditCosts()
    ideas_per_cluster: int = Field(default=3, ge=1, le=20)
    image_prompts_per_content: int = Field(default=5, ge=1, le=20)
    target_word_count: int = Field(default=1500, ge=100, le=20000)
    min_keywords_to_cluster: int = Field(default=5, ge=1)
    demo_credits: int = Field(default=20000, ge=0, le=MAX_GRANT_CREDITS)
    # AI: the offline `local` provider, or any OpenAI-compatible server.
    ai_provider: Literal["local", "openai"] = "local"
    ai_base_url: str = "https://api.openai.com/v1"
    ai_api_key: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("ai_api_key", "IGNY8_AI_API_KEY", "OPENAI_API_KEY"),
    )
    ai_model: str = "gpt-4o-mini"
    ai_image_model: str = "gpt-image-1"
    ai_concurrency: int = Field(default=4, ge=1, le=64)
    ai_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    ai_max_retries: int = Field(default=2, ge=0, le=10)
    # A reply that is not valid JSON of the right shape is asked for again this many times.
    ai_invalid_reply_retries: int = Field(default=2, ge=0, le=10)
    # Images from the AI server, or drawn offline (for servers without an images endpoint).
    image_provider: Literal["local", "openai"] | None = None
    # "fixed": the per-operation costs below; "tokens": from the usage the server reports.
    credit_mode: Literal["fixed", "tokens"] = "fixed"
    # Dashboard key remaps: binding id -> key(s), e.g. {"run.pause" = "ctrl+p"} (see README).
    keys: dict[str, str] = Field(default_factory=dict)
    # A host that stops heart-beating for this long loses its runs to the next host.
    lease_ttl_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    # The offline provider answers after this delay, to pace a demo like a real AI service.
    local_latency_ms: int = Field(default=0, ge=0, le=60_000)
    # A database older than this igny8 is backed up and upgraded on open; off: refused instead.
    auto_upgrade: bool = True
    # Event retries wait the Svix schedule (5 s, 5 min, 30 min, 2 h, ...) times this: below 1
    # only to watch the schedule play out quickly (a test, a trial receiver).
    event_retry_scale: float = Field(default=1.0, gt=0, le=1.0)
    # A webhook receiver that has not answered within this long failed the attempt.
    event_timeout_s: float = Field(default=15.0, gt=0, le=300)
    # apprise URLs told of run.completed, run.failed, run.paused and credits.low (notify.py);
    # secrets, so never shown whole. A site's own list (`sites`) replaces this one.
    notify_urls: list[NotifyUrl] = Field(default_factory=list)
    sites: dict[str, SiteSettings] = Field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.db or f"sqlite:///{self.home / DB_FILE_NAME}"

    @property
    def images_from(self) -> Literal["local", "openai"]:
        return self.image_provider or self.ai_provider

    def ai_summary(self) -> AISummary:
        remote = self.ai_provider == "openai"
        return AISummary(
            provider=self.ai_provider,
            base_url=redacted_url(self.ai_base_url) if remote else None,
            model=self.ai_model if remote else "offline",
            image_provider=self.images_from,
            image_model=self.ai_image_model if self.images_from == "openai" else "offline",
            concurrency=self.ai_concurrency,
            api_key="set" if self.ai_api_key.get_secret_value() else "not set",
            credit_mode=self.credit_mode,
        )

    @property
    def prompts_dir(self) -> Path:
        return self.home / "prompts"

    @property
    def config_file(self) -> Path:
        return self.home / CONFIG_FILE_NAME

    @property
    def media_dir(self) -> Path:
        return self.home / "media"

    @property
    def publish_dir(self) -> Path:
        return self.home / "published"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def notify_urls_for(settings: Settings, site_name: str | None) -> list[SecretStr]:
    """The notification URLs for a site: its own list if it has one, else the global list."""
    site = settings.sites.get(site_name) if site_name is not None else None
    if site is not None and site.notify_urls is not None:
        return list(site.notify_urls)
    return list(settings.notify_urls)


def default_home() -> Path:
    return Path(
        os.environ.get("IGNY8_HOME") or platformdirs.user_data_dir("igny8", appauthor=False)
    )


def resolve_home(home: Path | None = None) -> Path:
    """The data directory: `--home`, else $IGNY8_HOME, else the platform's user data directory."""
    return (home or default_home()).expanduser().resolve()


def load_settings(home: Path | None = None, db: str | None = None) -> Settings:
    """Resolve the data directory first, then read its config file under env and flags."""
    home = resolve_home(home)
    config_file = home / CONFIG_FILE_NAME
    _refuse_odd_config_file(config_file)
    overrides: dict[str, Any] = {"home": home}
    if db:
        overrides["db"] = db
    bound = type(
        "Settings",
        (Settings,),
        {"model_config": {**Settings.model_config, "toml_file": config_file}},
    )
    try:
        settings: Settings = bound(**overrides)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise InvalidInputError(f"{config_file}: {field}: {message}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise InvalidInputError(
            f"{config_file} is not UTF-8 text (byte {exc.object[exc.start]:#04x} on line {line}); "
            "save it as UTF-8"
        ) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise InvalidInputError(f"{config_file}: {exc}") from None
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read {config_file}: {exc.strerror}; igny8 reads its settings from it, "
            "so let this user read it (or move it away)"
        ) from None
    _make_home(home)
    return settings


def _refuse_odd_config_file(path: Path) -> None:
    """The config file is read only when it is a regular file: anything else by its name would
    be skipped in silence (or, a named pipe, block the read)."""
    if path.is_dir():
        raise InvalidInputError(
            f"{path} is a directory, not a settings file; move it away "
            "(igny8 reads its settings from a TOML file by that name)"
        )
    if path.exists() and not path.is_file():
        raise InvalidInputError(f"{path} is not a regular file; move it away")


def _make_home(home: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot use {home} as the data directory ({exc.strerror}); "
            "point --home or IGNY8_HOME at a directory this user may write"
        ) from None
