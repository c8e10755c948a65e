"""Progress for long operator work: a bar on a terminal, a few plain lines otherwise.

Usage::

    with progress("importing feeds", total=len(feeds)) as advance:
        for feed in feeds:
            ...
            advance(1)

Output goes to standard error, so it never mixes with data written to
standard output (an export piped into another tool).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click

# Without a terminal, report about this many times over the whole run.
_PLAIN_STEPS = 10


@contextmanager
def progress(
    label: str, total: int, *, stream: TextIO | None = None
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draws a bar when ``stream`` (stderr) is a terminal."""
    out = stream or sys.stderr
    if out.isatty():
        with click.progressbar(length=total, label=label, file=out) as bar:
            yield bar.update
        return
    done = 0
    step = max(1, total // _PLAIN_STEPS)
    next_report = step

    def advance(count: int) -> None:
        nonlocal done, next_report
        done += count
        if done >= next_report and done < total:
            click.echo(f"{label}: {done}/{total}", file=out)
            while next_report <= done:
                next_report += step

    yield advance
    click.echo(f"{label}: {done}/{total} done", file=out)
