"""The report as a JSON document (schema: report.schema.json, docs/report-json.md).

Keys are the field names of :class:`ingestd.report.model.Report` and its
records; times are ISO 8601 text in UTC; shares are fractions (0.25, not
25 %). ``schema_version`` changes with any incompatible change.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from importlib import resources
from typing import Any

from ingestd.report.model import Report


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def report_document(report: Report) -> dict[str, Any]:
    """The report as JSON-ready Python values."""
    document: dict[str, Any] = _plain(dataclasses.asdict(report))
    return document


def render_json(report: Report) -> str:
    """The report as indented JSON text (UTF-8, not ASCII-escaped), newline-terminated."""
    return json.dumps(report_document(report), ensure_ascii=False, indent=2) + "\n"


def report_schema() -> dict[str, Any]:
    """The JSON Schema the document follows."""
    text = resources.files("ingestd.report").joinpath("report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
