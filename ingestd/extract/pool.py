"""Extraction in worker processes, so the event loop never blocks on it.

Each worker imports trafilatura once (in its initializer). Processes are
started with the ``forkserver`` method: forking a process that already runs
threads (the event loop's executors) can deadlock or corrupt state.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from ingestd.errors import ExtractionError
from ingestd.types import ExtractedArticle


def _warm_up(owner_pid: int) -> None:
    # Ctrl-C in a terminal goes to the whole process group: the daemon
    # decides what to do with in-flight pages, a worker must not die of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with(owner_pid)
    import ingestd.extract.article  # noqa: F401  (imports trafilatura once per worker)


def _exit_with(owner_pid: int) -> None:
    """End this worker when the process that owns the pool dies.

    A SIGKILLed owner (outside systemd's cgroup kill) would otherwise leave
    its workers, and through them the forkserver, waiting for ever: each
    worker holds the forkserver's "alive" pipe open. The watcher thread only
    waits on a pidfd; it never touches trafilatura.
    """
    try:
        pidfd = os.pidfd_open(owner_pid)
    except (AttributeError, OSError):  # not Linux ≥ 5.3, or the owner is gone
        if not _alive(owner_pid):
            os._exit(0)
        return

    def watch() -> None:
        select.select([pidfd], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _extract(url: str, page: bytes) -> ExtractedArticle:
    from ingestd.extract.article import extract_article

    return extract_article(url, page)


class ExtractionPool:
    """A pool of extraction processes.

    Usage::

        with ExtractionPool(workers=2) as pool:
            article = await pool.extract(url, page)
    """

    def __init__(self, workers: int = 0):
        self.workers = workers or os.cpu_count() or 1
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> ExtractionPool:
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_warm_up,
            initargs=(os.getpid(),),
        )

    def close(self) -> None:
        """Stop the workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def extract(self, url: str, page: bytes) -> ExtractedArticle:
        """Extract one page in a worker; a crashed worker is replaced, the page reported."""
        if self._executor is None:
            self._start()
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _extract, url, page)
        except BrokenProcessPool:
            # A hostile page killed its worker (or the pool died): start a
            # new pool so the rest goes on, and report this page.
            self.close()
            self._start()
            raise ExtractionError(url, "extraction worker crashed") from None
