"""Extraction and feed parsing in worker processes, so the event loop never blocks on them.

Each worker imports trafilatura and feedparser once (in its initializer). Processes are
started with the ``forkserver`` method: forking a process that already runs
threads (the event loop's executors) can deadlock or corrupt state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import select
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ingestd.errors import ExtractionError, FeedParseError
from ingestd.types import ExtractedArticle, ParsedFeed

if TYPE_CHECKING:
    from ingestd.match.features import PreparedText, TextRules

T = TypeVar("T")


def _warm_up(owner_pid: int) -> None:
    # Ctrl-C in a terminal goes to the whole process group: the daemon
    # decides what to do with in-flight pages, a worker must not die of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with(owner_pid)
    import ingestd.extract.article
    import ingestd.feeds.parse
    import ingestd.match.features  # noqa: F401  (and numpy: text preparation)


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


def _parse(url: str, body: bytes, content_type: str | None) -> ParsedFeed:
    from ingestd.feeds.parse import parse_feed

    return parse_feed(url, body, content_type=content_type)


def _extract(url: str, page: bytes) -> ExtractedArticle:
    from ingestd.extract.article import extract_article

    return _with_prepared_text(extract_article(url, page))


def prepare_plain_text(text: str) -> PreparedText:
    """A plain text (paragraphs separated by newlines) prepared for matching, as a worker does."""
    from ingestd.match.features import prepare_text
    from ingestd.text.normalize import split_paragraphs

    return prepare_text(split_paragraphs(text), _default_rules())


def _with_prepared_text(article: ExtractedArticle) -> ExtractedArticle:
    """The article with its text prepared for matching (done here, off the main process).

    Normalising, shingling and keying the paragraphs costs about a
    millisecond per article; in the worker it runs beside extraction instead
    of in the process that fetches, matches and stores. The matcher checks
    that the rules are its own and the paragraphs its own, else redoes it.
    """
    return dataclasses.replace(article, prepared=prepare_plain_text(article.text))


def _default_rules() -> TextRules:
    from ingestd.fingerprint.params import DEFAULT_PARAMS
    from ingestd.match.features import TextRules
    from ingestd.match.thresholds import DEFAULT_THRESHOLDS

    return TextRules.of(DEFAULT_PARAMS, DEFAULT_THRESHOLDS)


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
        try:
            return await self._submit(_extract, url, page)
        except BrokenProcessPool:
            raise ExtractionError(url, "extraction worker crashed") from None

    async def prepare(self, text: str) -> PreparedText:
        """A text's paragraphs prepared for matching, in a worker (see ``_with_prepared_text``)."""
        try:
            return await self._submit(prepare_plain_text, text)
        except BrokenProcessPool:
            raise ExtractionError("", "text preparation worker crashed") from None

    async def parse_feed(self, url: str, body: bytes, content_type: str | None) -> ParsedFeed:
        """Parse one feed document in a worker (feedparser costs milliseconds of CPU)."""
        try:
            return await self._submit(_parse, url, body, content_type)
        except BrokenProcessPool:
            raise FeedParseError(url, "parser worker crashed") from None

    async def _submit(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            self._start()
        executor = self._executor
        assert executor is not None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, fn, *args)
        except BrokenProcessPool:
            # A hostile input killed its worker (or the pool died): start a
            # new pool so the rest goes on; the caller reports this input.
            # Several callers see the same broken pool; only the first
            # replaces it.
            if self._executor is executor:
                self.close()
                self._start()
            raise
