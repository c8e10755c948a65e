"""Logging set-up, in one place: one line per event, JSON when not on a terminal.

Usage (the CLI calls it once, ``ingestd run`` again once it knows ``[log]``)::

    configure_logging(verbosity=1, fmt="auto")

Code everywhere logs with the standard library and names the event in
``extra``: ``log.info("feed polled", extra={"event": "feed_polled", "feed": url})``.
In JSON each record becomes one object with fixed keys first — ``ts``,
``level``, ``event``, ``logger``, ``msg`` — then the extra fields
(``feed``, ``article``, ``status``, ``ms``, ...). Verbosity keeps its
meaning: warnings by default, ``-v`` info, ``-vv`` debug.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal

import structlog

__all__ = ["configure_logging", "wants_json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def wants_json(fmt: Literal["auto", "json", "text"], stream: Any) -> bool:
    """JSON for ``json``, or for ``auto`` when ``stream`` is not a terminal."""
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (callable(isatty) and isatty())
    return fmt == "json"


def _fields(logger: Any, method: str, event_dict: Any) -> Any:
    """Fixed keys first, then the record's ``extra`` fields."""
    record: logging.LogRecord | None = event_dict.pop("_record", None)
    event_dict.pop("_from_structlog", None)
    message = event_dict.pop("event", "")
    ordered: dict[str, Any] = {
        "ts": event_dict.pop("timestamp", None),
        "level": event_dict.pop("level", method),
        "event": "log",
        "logger": record.name if record is not None else None,
        "msg": message,
    }
    if record is not None:
        for key, value in vars(record).items():
            if key not in _RECORD_KEYS and not key.startswith("_"):
                ordered[key] = value
    ordered.update(event_dict)
    return ordered


LIFECYCLE_LOGGER = "ingestd.lifecycle"
"""The daemon's "started"/"stopped" lines: shown at every verbosity."""


def configure_logging(
    verbosity: int, fmt: Literal["auto", "json", "text"] = "auto", stream: Any = None
) -> None:
    """(Re)configure the root logger; safe to call twice."""
    stream = sys.stderr if stream is None else stream
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(stream)
    if wants_json(fmt, stream):
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[
                    structlog.stdlib.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.format_exc_info,
                ],
                processors=[
                    _fields,
                    structlog.processors.JSONRenderer(ensure_ascii=False),
                ],
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler narrates every job and httpx every request at INFO;
    # ingestd logs its own poll and page events instead.
    for noisy in ("apscheduler", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    logging.getLogger(LIFECYCLE_LOGGER).setLevel(min(level, logging.INFO))
