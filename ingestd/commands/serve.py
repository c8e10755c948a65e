"""``ingestd serve``: the read-only web view of the store (see ingestd/serve/)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from ingestd.commands._common import settings_from
from ingestd.errors import StoreError

DEFAULT_LISTEN = "127.0.0.1:8080"
TOKEN_ENV = "INGESTD_SERVE_TOKEN"


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6) as (host, port); click.BadParameter if not."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise click.BadParameter(
            f"{value!r}: use HOST:PORT, e.g. 127.0.0.1:8080", param_hint="--listen"
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _store_url(ctx: click.Context, db: str | None) -> str:
    if db is not None:
        if db.startswith(("sqlite:", "postgresql://", "postgres://")):
            return db
        path = Path(db)
        if not path.is_file():
            raise StoreError(f"no ingestd database at {path}")
        return f"sqlite:///{path.resolve()}"
    return settings_from(ctx).storage.url


@click.command()
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve on. Another address than loopback needs --allow-remote and a token.",
)
@click.option(
    "--db",
    metavar="FILE|URL",
    help="An SQLite file or a store URL (sqlite:///…, postgresql://…) instead of the configured"
    " store.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --listen address (then a token is required).",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help=f"File holding the access token (else ${TOKEN_ENV}). Every request must present it.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    listen: str,
    db: str | None,
    allow_remote: bool,
    token_file: Path | None,
) -> None:
    """Browse stories and see what was copied, in a browser (read-only)."""
    host, port = parse_listen(listen)
    token = token_file.read_text("utf-8").strip() if token_file else os.environ.get(TOKEN_ENV)
    token = token or None
    if not is_loopback(host):
        if not allow_remote:
            raise click.UsageError(
                f"--listen {listen} is not a loopback address: add --allow-remote "
                f"and an access token (--token-file or ${TOKEN_ENV}), or serve on 127.0.0.1 "
                "behind a reverse proxy"
            )
        if token is None:
            raise click.UsageError(
                f"--listen {listen} with --allow-remote needs an access token "
                f"(--token-file FILE or ${TOKEN_ENV})"
            )
        if len(token) < 16:
            raise click.UsageError("the access token must be at least 16 characters")
    url = _store_url(ctx, db)

    from ingestd.serve.app import LOOPBACK_HOSTS, ServeConfig, build_app, serve_forever

    hosts = LOOPBACK_HOSTS if is_loopback(host) else ("*",)
    app = build_app(ServeConfig(url=url, token=token, allowed_hosts=hosts))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"ingestd serve: http://{shown}:{port}/ (read-only; Ctrl-C stops)", err=True)
    serve_forever(app, host, port)
