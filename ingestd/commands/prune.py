"""``ingestd prune``: drop old article bodies and signatures; stories and chains stay."""

from __future__ import annotations

import click

from ingestd.commands._common import age_option, now, opened_store, settings
from ingestd.errors import OperatorError
from ingestd.ops.progress import progress
from ingestd.ops.retention import PrunePlan, apply_prune, plan_prune


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit} ({count} bytes)"


def _describe(plan: PrunePlan) -> list[str]:
    return [
        f"cutoff: {plan.cutoff.isoformat(timespec='seconds')} (first seen and last changed before)",
        f"articles: {plan.articles} (text {_size(plan.text_bytes)},"
        f" signatures {_size(plan.signature_bytes)})",
        f"article versions: {plan.versions} (text {_size(plan.version_bytes)})",
        f"total: {_size(plan.total_bytes)}",
    ]


@click.command()
@click.option("--older-than", "older_than", required=True, help="Age such as 90d, 12w or 2160h.")
@click.option("--apply", "apply_", is_flag=True, help="Really drop them (default: dry run).")
@click.option(
    "--force",
    is_flag=True,
    help="Allow an age inside the dedup window ([match] dedup_window_days).",
)
@click.pass_context
def prune(ctx: click.Context, older_than: str, apply_: bool, force: bool) -> None:
    """Drop old article text and signatures, keeping articles' metadata, stories and chains.

    Dry run by default: prints what would go. Pruned articles stay in every
    view (with text NULL) and in their story's source chain; they are no
    longer matched against new articles.
    """
    age = age_option(older_than, "--older-than")
    window_days = settings(ctx).match.dedup_window_days
    if age.total_seconds() < window_days * 86400 and not force:
        raise OperatorError(
            f"--older-than {older_than} is inside the {window_days}-day dedup window: new copies "
            "of those articles would no longer be recognised; pass --force to prune anyway"
        )
    cutoff = now() - age
    # A dry run only reads; --apply writes (and migrates the store first).
    with opened_store(ctx, write=apply_) as store:
        plan = plan_prune(store, cutoff)
        if not apply_:
            click.echo("dry run (pass --apply to prune):")
            for line in _describe(plan):
                click.echo(f"  {line}")
            return
        with progress("pruning articles", plan.articles) as advance:
            articles, versions = apply_prune(store, cutoff, progress=advance)
        dialect = store.dialect
    click.echo(f"pruned {articles} articles and {versions} article versions:")
    for line in _describe(plan):
        click.echo(f"  {line}")
    if dialect == "sqlite":
        click.echo("  (SQLite reuses the freed pages; run VACUUM to shrink the file)")
