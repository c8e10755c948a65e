"""The console entry point (``ingestd`` and ``python -m ingestd``).

It imports nothing heavy before deciding what to do with signals: for
``ingestd run`` it starts recording the daemon's signals
(:mod:`ingestd.service.early_signals`) before importing the CLI, which
takes most of a second, so that a SIGTERM or SIGINT in that first second
ends in a clean stop rather than the default kill. The CLI module is
imported here, lazily, and nowhere else.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["command_of", "main"]

# Global options that take a value (the next argument, or after "=").
_VALUE_OPTIONS = ("-c", "--config")


def command_of(args: Sequence[str]) -> str | None:
    """The subcommand named in ``args`` (the arguments after the program name).

    Skips the global options; None when there is none (``--help``, no
    arguments). Only needs to be right about ``run``; click parses for real.
    """
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--":
            continue
        if arg in _VALUE_OPTIONS or (arg[:1] == "-" and arg[1:2] != "-" and arg.endswith("c")):
            skip = True  # "-c FILE", also in a cluster of short options ("-vc FILE")
            continue
        if arg.startswith("-"):
            continue  # a flag, "--config=FILE" or "-cFILE"
        return arg
    return None


def main() -> None:
    """Run the command line (recording early signals first for ``run``)."""
    if command_of(sys.argv[1:]) == "run":
        from ingestd.service import early_signals

        early_signals.capture()
    from ingestd.cli import main as cli_main

    cli_main()
