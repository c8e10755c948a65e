"""The extraction pool's workers never outlive the process that owns them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

OWNER = textwrap.dedent(
    """
    import asyncio, sys, time
    from ingestd.extract.pool import ExtractionPool

    PAGE = b"<html><body><article><p>" + b"Words of a page. " * 80 + b"</p></article></body></html>"

    async def main() -> None:
        pool = ExtractionPool(2)
        pool.__enter__()
        await asyncio.gather(*(pool.extract(f"https://x.test/{i}", PAGE) for i in range(4)))
        print(" ".join(str(pid) for pid in pool._executor._processes), flush=True)
        time.sleep(120)

    if __name__ == "__main__":
        asyncio.run(main())
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose: read its state.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def _start_owner(tmp_path: Path) -> tuple[subprocess.Popen[str], list[int]]:
    script = tmp_path / "owner.py"
    script.write_text(OWNER)
    owner = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert owner.stdout is not None
    workers = [int(pid) for pid in owner.stdout.readline().split()]
    assert workers, "the owner printed no worker pids"
    return owner, workers


def test_workers_exit_when_their_owner_is_killed(tmp_path: Path) -> None:
    owner, workers = _start_owner(tmp_path)
    assert all(_alive(pid) for pid in workers)
    owner.send_signal(signal.SIGKILL)
    owner.communicate()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]


def test_workers_ignore_sigint(tmp_path: Path) -> None:
    owner, workers = _start_owner(tmp_path)
    try:
        os.kill(workers[0], signal.SIGINT)
        time.sleep(0.5)
        assert _alive(workers[0])
    finally:
        owner.kill()
        owner.communicate()


def test_a_page_without_text_fails_alone() -> None:
    """A worker's ExtractionError reaches the caller as such; pages beside it still succeed."""
    import asyncio

    from ingestd.errors import ExtractionError
    from ingestd.extract.pool import ExtractionPool

    good = b"<html><body><article><p>" + b"Words of a page. " * 80 + b"</p></article></body></html>"
    empty = b"<html><body></body></html>"

    async def run() -> list[object]:
        with ExtractionPool(2) as pool:
            return await asyncio.gather(
                pool.extract("https://x.test/empty", empty),
                *(pool.extract(f"https://x.test/{i}", good) for i in range(3)),
                return_exceptions=True,
            )

    results = asyncio.run(run())
    assert isinstance(results[0], ExtractionError)
    assert "no article text" in str(results[0])
    for article in results[1:]:
        assert not isinstance(article, BaseException), article


def test_a_crashed_worker_is_replaced_and_the_pages_after_it_succeed() -> None:
    import asyncio
    from concurrent.futures.process import BrokenProcessPool

    from ingestd.extract.pool import ExtractionPool
    from ingestd.types import ExtractedArticle

    good = b"<html><body><article><p>" + b"Words of a page. " * 80 + b"</p></article></body></html>"

    async def run() -> tuple[BaseException | None, ExtractedArticle]:
        with ExtractionPool(1) as pool:
            await pool.extract("https://x.test/before", good)
            crashed: BaseException | None = None
            try:
                await pool._submit(os._exit, 3)  # a worker dying, as a hostile page can make it
            except BrokenProcessPool as error:
                crashed = error
            return crashed, await pool.extract("https://x.test/after", good)

    crashed, after = asyncio.run(run())
    assert isinstance(crashed, BrokenProcessPool)
    assert after.text
