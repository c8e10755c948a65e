"""systemd's notification protocol (sd_notify), in a few lines of socket code.

Usage::

    notifier = Notifier.from_env()          # no-op when not started by systemd
    notifier.notify(READY=1, STATUS="polling 12 feeds")
    interval = notifier.watchdog_interval()  # seconds between pings, or None

Why not a library: the protocol is one datagram of ``KEY=VALUE`` lines to
the unix socket named in ``$NOTIFY_SOCKET`` (``@`` for the abstract
namespace); systemd documents it as a stable interface and its sd_notify(3)
page ships a standalone reference implementation for exactly this use. The
PyPI candidates are either unmaintained since 2017 and silently swallow
every error (sdnotify) or need libsystemd headers and a C build
(systemd-python). Errors here are logged once, never raised: a daemon must
not die because its supervisor's socket went away.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends notifications to systemd, or does nothing outside systemd."""

    def __init__(self, address: str | None, watchdog_usec: int | None = None):
        self.address = address
        self.watchdog_usec = watchdog_usec
        self._socket: socket.socket | None = None
        self._warned = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """From ``$NOTIFY_SOCKET``, ``$WATCHDOG_USEC`` and ``$WATCHDOG_PID``."""
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        watchdog: int | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        # The watchdog is ours only when no PID is named or it is our PID.
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog = int(usec)
        return cls(address, watchdog)

    @property
    def enabled(self) -> bool:
        """Whether a notification socket is configured."""
        return self.address is not None

    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings: half the configured timeout."""
        return None if self.watchdog_usec is None else self.watchdog_usec / 2_000_000

    def notify(self, **fields: object) -> bool:
        """Send ``KEY=VALUE`` lines in one datagram; False if not sent."""
        if self.address is None:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
        try:
            if self._socket is None:
                self._socket = socket.socket(
                    socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                )
                target = self.address
                if target.startswith("@"):
                    target = "\0" + target[1:]
                self._socket.connect(target)
                # Never block the event loop on a supervisor that does not
                # read: a full socket buffer drops the notification instead.
                self._socket.setblocking(False)
            self._socket.send(message)
        except BlockingIOError:
            self._warn_once("socket buffer full, notification dropped")
            return False
        except OSError as error:
            self.close()
            self._warn_once(str(error))
            return False
        return True

    def _warn_once(self, problem: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "systemd notification failed: %s",
                problem,
                extra={"event": "notify_failed", "socket": self.address},
            )

    def close(self) -> None:
        """Close the socket (reopened on the next notification)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
