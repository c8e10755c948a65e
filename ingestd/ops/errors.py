"""The error operator commands raise for a request the store cannot satisfy."""

from __future__ import annotations

from ingestd.errors import IngestdError


class OperatorError(IngestdError):
    """An operator request that cannot be carried out (unknown story or outlet,
    unreadable OPML file); ``str(error)`` says what to do instead."""
