"""Operator tables print store text without its control characters; colour obeys NO_COLOR."""

from __future__ import annotations

import io

import pytest

from ingestd.commands._common import echo_table, emphasis


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_cells_lose_escape_sequences(capsys: pytest.CaptureFixture[str]) -> None:
    echo_table(["ID", "TITLE"], [["1", "Breaking\x1b[2J\x1b[31m news\nline two"]])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert out.splitlines() == ["ID  TITLE", "1   Breaking [2J [31m news line two"]


def test_emphasis_is_bold_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert emphasis(Tty())("x") != "x"
    assert emphasis(io.StringIO())("x") == "x"
    monkeypatch.setenv("NO_COLOR", "1")
    assert emphasis(Tty())("x") == "x"
