"""SQLite WAL checkpoints in a background thread, off the writer's commits.

A write transaction that adds one article dirties pages all over the
candidate index's B-tree (its ~45 keys are random), so each group commit
appends a few MiB to the WAL. With SQLite's automatic checkpoint (every
1,000 WAL pages) the committing thread itself then copies those pages back
into the database file and syncs it: measured on a 100,000-article import,
about a quarter of the match step's thread time went into COMMIT.

:class:`Checkpointer` runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own
connection in a daemon thread, woken after the writer's commits (at most
every ``interval`` seconds). ``sqlite3`` releases the GIL while SQLite
works, so the copy and its sync run on another core while the writer goes
on. A PASSIVE checkpoint never blocks the writer or readers; once it has
copied everything, the writer's next transaction starts the WAL from its
beginning again, so the file stays small. The writer keeps an automatic
checkpoint at a much larger size as a safety net (``SAFETY_NET_PAGES``),
for a checkpointer that falls behind (a long-lived reader pins the WAL).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# The writer's own automatic checkpoint, should the thread fall behind:
# 16,384 pages of 4 KiB, 64 MiB of WAL.
SAFETY_NET_PAGES = 16_384


class Checkpointer:
    """Checkpoints one SQLite database's WAL from a background thread.

    Usage::

        checkpointer = Checkpointer(path)
        ...               # after each commit of the writer connection:
        checkpointer.nudge()
        checkpointer.close()   # before the writer connection closes
    """

    def __init__(self, path: Path, *, interval: float = 0.25, busy_timeout_ms: int = 5_000):
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # It reads no rows: a small page cache is enough.
        self._db.execute("PRAGMA cache_size=-512")
        self._db.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"wal-checkpoint {path.name}", daemon=True
        )
        self._thread.start()

    def nudge(self) -> None:
        """Ask for a checkpoint soon (the writer has committed)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread and close its connection (the writer's stays open)."""
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self._db.close()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.checkpoints += 1
            except sqlite3.Error as error:
                # The writer's safety-net checkpoint still bounds the WAL.
                log.debug("background checkpoint of %s failed: %s", self.path, error)
            # Commits closer together than this share one checkpoint.
            if self._stop.wait(self.interval):
                return
