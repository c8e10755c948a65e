"""Stored rows as Python values: the helpers several of the store's aggregates share.

Used by the mixins of :class:`~ingestd.store.Store` (see
:mod:`ingestd.store.protocol`): an outlet's stored role as an
:class:`~ingestd.types.OutletRole` (outlets, story members), and a row as a
dict with dialect-neutral values (article versions, export, feed health).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingestd.store.values import db_json, db_time
from ingestd.types import OutletRole

_EXPORT_JSON = frozenset({"credits", "evidence", "origin_evidence", "aliases"})


def _role(value: str | None) -> OutletRole | None:
    return None if value is None else OutletRole(value)


def _plain(row: Any, skip: str | None = None) -> dict[str, Any]:
    """A row as a dict with dialect-neutral values (ISO times, JSON text)."""
    result = {}
    for key in row.keys():  # noqa: SIM118 -- rows are not mappings; keys() is their API
        if key == skip:
            continue
        value = row[key]
        if isinstance(value, datetime):
            value = db_time(value)
        elif key in _EXPORT_JSON and value is not None and not isinstance(value, str):
            value = db_json(value)
        result[key] = value
    return result
