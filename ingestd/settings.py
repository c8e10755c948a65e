"""Configuration: a TOML file turned into validated, typed settings.

Usage::

    settings = load_settings(Path("/etc/ingestd/ingestd.toml"))

Every problem becomes one :class:`~ingestd.errors.ConfigError` whose message
names the file, the line when it can be found, the key and what is wrong, so
``ingestd`` can print it and exit with status 2. ``config/ingestd.example.toml``
documents every key with its default.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ingestd.errors import ConfigError
from ingestd.types import OutletRole
from ingestd.urls import domain_of, is_http_url

DEFAULT_DB_NAME = "ingestd.db"


def default_storage_url() -> str:
    """SQLite file in systemd's ``$STATE_DIRECTORY``, else in the current folder."""
    state_dir = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    folder = Path(state_dir) if state_dir else Path.cwd()
    return f"sqlite:///{(folder / DEFAULT_DB_NAME).resolve()}"


class _Section(BaseModel):
    # Unknown keys are errors: a misspelt key silently ignored is a setting
    # the operator believes is in force and is not.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class StorageSettings(_Section):
    """``[storage]``: where the store lives."""

    url: str = Field(default_factory=default_storage_url)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not re.match(r"^(sqlite:///|sqlite://$|postgres(ql)?://)", value):
            raise ValueError(
                "must start with sqlite:/// (a file path) or postgresql:// "
                f"(a server), got {value!r}"
            )
        return value


PositiveFloat = Annotated[float, Field(gt=0)]


class FetchSettings(_Section):
    """``[fetch]``: HTTP limits and politeness."""

    allow_private_addresses: bool = False
    connect_timeout: PositiveFloat = 10.0
    read_timeout: PositiveFloat = 20.0
    total_timeout: PositiveFloat = 60.0
    max_bytes: Annotated[int, Field(ge=1024)] = 5 * 1024 * 1024
    max_redirects: Annotated[int, Field(ge=0, le=20)] = 5
    per_host_concurrency: Annotated[int, Field(ge=1, le=64)] = 2
    per_host_delay: Annotated[float, Field(ge=0, le=3600)] = 1.0
    robots_txt: bool = True
    concurrency: Annotated[int, Field(ge=1, le=1024)] = 32
    # Longest wait a page's Retry-After (429, 503) may ask before its retry.
    max_retry_after: Annotated[float, Field(ge=0, le=30 * 86400)] = 21600.0
    contact_url: str | None = None
    # Pages one feed may have fetched in one `poll --once` cycle (its newest
    # first): at per_host_delay 1 s, 100 pages hold a cycle under 2 minutes
    # per host; a feed revealing 20,000 entries is worked off over cycles.
    max_pages_per_feed: Annotated[int, Field(ge=1, le=100_000)] = 100

    @field_validator("contact_url")
    @classmethod
    def _contact_is_url(cls, value: str | None) -> str | None:
        if value is not None and not is_http_url(value):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value

    # Strict mode refuses ints for float fields; a timeout of 10 is fine.
    @field_validator(
        "connect_timeout",
        "read_timeout",
        "total_timeout",
        "per_host_delay",
        "max_retry_after",
        mode="before",
    )
    @classmethod
    def _int_is_float(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value


class ExtractSettings(_Section):
    """``[extract]``: the extraction worker processes."""

    workers: Annotated[int, Field(ge=0, le=64)] = 0  # 0: one per CPU
    min_words: Annotated[int, Field(ge=1)] = 20


class MatchSettings(_Section):
    """``[match]``: the syndication matcher."""

    dedup_window_days: Annotated[int, Field(ge=1, le=3650)] = 14
    # Verification features kept in memory, in articles (~10 KB each); the
    # rest is read from the store's candidate index when needed.
    cache_articles: Annotated[int, Field(ge=0, le=1_000_000)] = 4096


def _int_to_float(value: Any) -> Any:
    # Strict mode refuses ints for float fields; "min_interval = 300" is fine.
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


class ScheduleSettings(_Section):
    """``[schedule]``: when each feed is polled (all durations in seconds).

    A feed's normal interval follows how often it really publishes, kept
    within ``min_interval`` .. ``max_interval`` and spread by ``jitter`` (a
    fraction: 0.1 is ±10 %). After N consecutive errors a feed waits
    ``backoff_base * 2**(N-1)``, at most ``backoff_max``; it is never disabled.
    """

    min_interval: PositiveFloat = 300.0
    max_interval: PositiveFloat = 86400.0
    jitter: Annotated[float, Field(ge=0.0, le=0.5)] = 0.1
    backoff_base: PositiveFloat = 300.0
    backoff_max: PositiveFloat = 21600.0

    @field_validator(
        "min_interval", "max_interval", "jitter", "backoff_base", "backoff_max", mode="before"
    )
    @classmethod
    def _int_is_float(cls, value: Any) -> Any:
        return _int_to_float(value)

    @model_validator(mode="after")
    def _ordered(self) -> ScheduleSettings:
        if self.max_interval < self.min_interval:
            raise ValueError("max_interval must not be smaller than min_interval")
        if self.backoff_max < self.backoff_base:
            raise ValueError("backoff_max must not be smaller than backoff_base")
        return self


class ServiceSettings(_Section):
    """``[service]``: the ``ingestd run`` process."""

    # Seconds a stop request waits for in-flight work before abandoning it
    # (abandoned pages stay pending and are fetched after the next start).
    # systemd's TimeoutStopSec must be larger.
    grace_period: PositiveFloat = 20.0
    # Seconds between re-reads of the active feeds from the store, which is
    # how feeds added or removed with `ingestd feeds add|remove` reach a
    # running daemon without a reload.
    store_resync_interval: PositiveFloat = 30.0
    # Seconds a worker's lease on a feed or pending entry lasts without a
    # heartbeat (renewed three times per period while it works). A killed
    # worker's feeds and entries reach the other workers this long after its
    # last heartbeat; shorter means faster take-over but more store writes
    # and less slack for a stalled worker before its work is taken away.
    lease_seconds: float = Field(default=120.0, ge=1.0, le=3600.0)

    @field_validator("grace_period", "store_resync_interval", "lease_seconds", mode="before")
    @classmethod
    def _int_is_float(cls, value: Any) -> Any:
        return _int_to_float(value)


class MetricsSettings(_Section):
    """``[metrics]``: the Prometheus endpoint (off unless ``listen`` is set)."""

    listen: str | None = None
    # Serving metrics beyond this machine is a decision, not a default.
    allow_non_loopback: bool = False

    @model_validator(mode="after")
    def _loopback_only(self) -> MetricsSettings:
        if self.listen is not None:
            host, _port = split_listen(self.listen)
            if not self.allow_non_loopback and not _is_loopback(host):
                raise ValueError(
                    f"listen address {self.listen!r} is not a loopback address; set "
                    "allow_non_loopback = true to serve metrics beyond this machine"
                )
        return self


class LogSettings(_Section):
    """``[log]``: how log lines look (the level is set with ``-v``)."""

    format: Literal["auto", "json", "text"] = "auto"


def split_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9464"`` or ``"[::1]:9464"`` as (host, port); ValueError if malformed."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([^:\[\]]+):(\d{1,5})", value.strip())
    if match is None:
        raise ValueError(f"must be HOST:PORT like 127.0.0.1:9464, got {value!r}")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 0 < port < 65536:
        raise ValueError(f"port must be 1..65535, got {port}")
    return host, port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OutletSettings(_Section):
    """One ``[[outlets]]`` table: a news outlet and its feeds."""

    name: Annotated[str, Field(min_length=1)]
    domain: Annotated[str, Field(min_length=3)]
    role: OutletRole | None = None
    feeds: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)

    @field_validator("role", mode="before")
    @classmethod
    def _role_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return OutletRole(value)
            except ValueError:
                choices = " | ".join(role.value for role in OutletRole)
                raise ValueError(f"must be one of {choices}, got {value!r}") from None
        return value

    @field_validator("domain")
    @classmethod
    def _plain_domain(cls, value: str) -> str:
        cleaned = value.strip().lower()
        if "/" in cleaned or " " in cleaned or "." not in cleaned:
            raise ValueError(f"must be a bare domain like lemonde.fr, got {value!r}")
        return domain_of(cleaned)

    @field_validator("feeds")
    @classmethod
    def _feeds_are_urls(cls, value: list[str]) -> list[str]:
        for index, url in enumerate(value):
            if not is_http_url(url):
                raise ValueError(f"feeds[{index}] must be an http(s) URL, got {url!r}")
        return value


class Settings(_Section):
    """The whole configuration file."""

    storage: StorageSettings = Field(default_factory=StorageSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    match: MatchSettings = Field(default_factory=MatchSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    outlets: list[OutletSettings] = Field(default_factory=list)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file path, or None for a non-SQLite store."""
        return sqlite_path(self.storage.url)


def sqlite_path(url: str) -> Path | None:
    """The file path of a ``sqlite:///`` URL, or None for other schemes."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///") or DEFAULT_DB_NAME)
    return None


def load_settings(path: Path) -> Settings:
    """Read, parse and validate a configuration file.

    Raises ConfigError for a missing or unreadable file, bad TOML, an unknown
    key, a wrong type, a bad URL or a duplicate outlet or feed.
    """
    where = str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(where, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(where, None, f"cannot read file: {error}") from None
    return with_environment(parse_settings(source, where), os.environ, where)


# Overrides ``[metrics] listen``: workers started from one template unit
# (systemd/ingestd@.service) share one configuration file, which is what
# makes them one owner of its feeds, but each needs a port of its own.
METRICS_LISTEN_ENV = "INGESTD_METRICS_LISTEN"


def with_environment(settings: Settings, environ: Mapping[str, str], where: str) -> Settings:
    """The settings with ``INGESTD_METRICS_LISTEN`` applied (validated like the file's key)."""
    listen = environ.get(METRICS_LISTEN_ENV)
    if not listen:
        return settings
    try:
        metrics = MetricsSettings.model_validate(
            {**settings.metrics.model_dump(), "listen": listen}
        )
    except ValidationError as error:
        message = error.errors()[0]["msg"]
        raise ConfigError(where, None, f"{METRICS_LISTEN_ENV}: {message}") from None
    return settings.model_copy(update={"metrics": metrics})


def parse_settings(source: str, where: str = "<config>") -> Settings:
    """Validate configuration text; ``where`` names it in error messages."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = int(match.group(1)) if match else None
        problem = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ConfigError(where, None, f"invalid TOML: {problem}", line) from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        key = _dotted(first["loc"])
        problem = _describe(first)
        raise ConfigError(where, key, problem, _find_line(source, first["loc"])) from None
    _check_duplicates(settings, source, where)
    return settings


def _dotted(loc: Sequence[int | str]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if kind.endswith("_type"):
        return f"{message} (got {type(error['input']).__name__} {error['input']!r})"
    return message


def _find_line(source: str, loc: Sequence[int | str]) -> int | None:
    """Best-effort line number of the key a validation error points at.

    tomllib keeps no positions, so walk the text: find the table (and the
    N-th ``[[array]]``), then the key's line inside it.
    """
    lines = source.splitlines()
    start = 0
    table_line: int | None = None
    path = [part for part in loc if isinstance(part, str)]
    indexes = [part for part in loc if isinstance(part, int)]
    if path:
        table = path[0]
        if indexes and loc[1:2] == (indexes[0],):
            seen = -1
            for number, text in enumerate(lines):
                if re.match(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]", text):
                    seen += 1
                    if seen == indexes[0]:
                        start = table_line = number
                        break
        else:
            for number, text in enumerate(lines):
                if re.match(rf"^\s*\[\s*{re.escape(table)}\s*\]", text):
                    start = table_line = number
                    break
    key = path[-1] if path else None
    if key is None:
        return None
    for number in range(start, len(lines)):
        if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", lines[number]):
            return number + 1
    # A missing key has no line of its own: point at its table.
    return None if table_line is None else table_line + 1


def _check_duplicates(settings: Settings, source: str, where: str) -> None:
    seen_names: dict[str, int] = {}
    seen_domains: dict[str, int] = {}
    seen_feeds: dict[str, int] = {}
    for index, outlet in enumerate(settings.outlets):
        for value, seen, key in (
            (outlet.name.casefold(), seen_names, "name"),
            (outlet.domain, seen_domains, "domain"),
        ):
            if value in seen:
                raise ConfigError(
                    where,
                    f"outlets[{index}].{key}",
                    f"duplicate outlet: {value!r} is already outlets[{seen[value]}]",
                    _find_line(source, ("outlets", index, key)),
                )
            seen[value] = index
        for feed_index, feed in enumerate(outlet.feeds):
            if feed in seen_feeds:
                raise ConfigError(
                    where,
                    f"outlets[{index}].feeds[{feed_index}]",
                    f"feed {feed!r} is already listed under outlets[{seen_feeds[feed]}]",
                    _find_line(source, ("outlets", index, "feeds")),
                )
            seen_feeds[feed] = index
