"""Terminal-aware output: progress bars and emphasis on a terminal, plain text otherwise."""

from __future__ import annotations

import io

from ingestd.commands._common import emphasis
from ingestd.ops.progress import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_without_a_terminal() -> None:
    out = io.StringIO()
    with progress("importing feeds", 100, stream=out) as advance:
        for _ in range(100):
            advance(1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "importing feeds: 10/100"
    assert lines[-1] == "importing feeds: 100/100 done"
    assert len(lines) == 10  # 10, 20, ... 90, then the closing line
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_batches_larger_than_a_step_report_once() -> None:
    out = io.StringIO()
    with progress("pruning", 1000, stream=out) as advance:
        advance(500)
        advance(500)
    assert out.getvalue().splitlines() == ["pruning: 500/1000", "pruning: 1000/1000 done"]


def test_a_bar_on_a_terminal() -> None:
    out = _Terminal()
    with progress("exporting", 4, stream=out) as advance:
        for _ in range(4):
            advance(1)
    text = out.getvalue()
    assert "exporting" in text
    assert "100%" in text
    assert "done" not in text


def test_emphasis_only_on_a_terminal() -> None:
    assert emphasis(io.StringIO())("Le Monde") == "Le Monde"
    assert emphasis(_Terminal())("Le Monde") == "\x1b[1mLe Monde\x1b[0m"
