"""``ingestd run``: the long-running polling daemon (see :mod:`ingestd.service.daemon`)."""

from __future__ import annotations

import sys

import click


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Poll feeds on their schedules and ingest new articles until stopped.

    SIGTERM or SIGINT stops after in-flight work (within [service]
    grace_period); a second one exits at once. SIGHUP reloads the
    configuration. Under systemd use Type=notify.
    """
    from ingestd.commands._common import settings_from
    from ingestd.service.daemon import run_daemon
    from ingestd.service.logs import configure_logging

    settings = settings_from(ctx)
    configure_logging(ctx.obj.get("verbose", 0), settings.log.format)
    sys.exit(run_daemon(ctx.obj.get("config"), settings))
