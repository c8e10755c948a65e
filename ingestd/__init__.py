"""ingestd: news-feed ingestion and syndication-aware deduplication."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
