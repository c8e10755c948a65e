"""Signals that arrive before ``ingestd run``'s event loop listens for them.

    process start ─▶ capture() (ingestd._entry, before the heavy imports)
                        │  SIGTERM / SIGINT / SIGHUP are recorded, not acted on
                        ▼
    Daemon.run(): loop signal handlers installed ─▶ take() ─▶ replayed

Importing the CLI, the store drivers and the extraction libraries takes
most of a second; until the daemon's loop installs its handlers, the
default actions would apply: SIGTERM and SIGHUP kill the process on the
spot and SIGINT raises KeyboardInterrupt wherever the import happens to
be. systemd may send either in that window (``systemctl stop`` or
``reload`` right after ``start``). Recorded here, they get the daemon's
usual answer once it can give one: a clean stop, or a reload.

Standard library only, so that importing it costs nothing.
"""

from __future__ import annotations

import signal
from types import FrameType

__all__ = ["EARLY_SIGNALS", "capture", "take"]

EARLY_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
"""The signals the daemon answers (stop, stop, reload), recorded while it cannot."""

_received: list[signal.Signals] = []


def _record(signum: int, frame: FrameType | None) -> None:
    del frame
    _received.append(signal.Signals(signum))


def capture() -> None:
    """Record the daemon's signals from now on instead of acting on them.

    Call it in the main thread, as early as possible in the process; the
    daemon's loop handlers replace these when it installs its own.
    """
    for sig in EARLY_SIGNALS:
        signal.signal(sig, _record)


def take() -> list[signal.Signals]:
    """The signals recorded so far, oldest first, and forget them.

    Call it after installing the real handlers: a signal arriving before
    that was recorded, one arriving after goes to the new handler, so none
    is missed or seen twice.
    """
    taken = list(_received)
    del _received[: len(taken)]
    return taken
