"""The report as ONE self-contained HTML file.

Inline CSS, inline SVG charts (bars of copies per outlet, the copy graph in
a circle layout); no scripts, fonts, images or links to fetch. Every string
from the store is hostile input: the template is rendered by Jinja2 with
autoescaping on, so titles, outlet names, URLs and error messages reach the
page escaped, in text and in attributes alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ingestd.report.evidence import evidence_words
from ingestd.report.format import duration, moment, number, percent
from ingestd.report.layout import bar_chart, circle_graph
from ingestd.report.model import Report
from ingestd.terminal import clean


def web_link(url: str | None) -> str:
    """``url`` when it is an http(s) address, else ``#``: a stored URL may be ``javascript:``.

    A link to this machine (127.0.0.1, ::1, localhost: a test or demo server,
    gone once it stopped) is ``#`` too: a report is read later, elsewhere.
    """
    if not url:
        return "#"
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return "#"
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.startswith("127.") or host == "::1":
        return "#"
    return url.strip()


def _printable(value: Any) -> Any:
    """Every ``{{ value }}`` passes here before escaping: control characters become spaces.

    Markup (a macro's output, already escaped) passes unchanged.
    """
    if isinstance(value, Markup):
        return value
    return clean(value) if isinstance(value, str) else value


def template_environment(package: str = "ingestd.report") -> Environment:
    """A Jinja2 environment over ``package``'s ``templates/``: autoescaped, strict.

    Every ``{{ value }}`` has its control characters replaced and is escaped
    for HTML (text and attributes alike); the filters format figures as the
    report does. Also used by ``ingestd serve``.
    """
    env = Environment(
        finalize=_printable,
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        link=web_link,
        percent=percent,
        duration=duration,
        moment=moment,
        number=number,
        evidence=evidence_words,
    )
    return env


def render_html(report: Report) -> str:
    """The whole report as an HTML document."""
    template = template_environment().get_template("report.html.j2")
    return template.render(
        report=report,
        bars=bar_chart(report.outlets),
        graph=circle_graph(report.matrix.outlets, report.copy_edges),
    )
