"""Every ingestd error survives pickling: extraction workers raise them in another process."""

from __future__ import annotations

import pickle

import pytest

from ingestd import errors


def _all_error_classes() -> list[type[errors.IngestdError]]:
    found: list[type[errors.IngestdError]] = []
    pending: list[type[errors.IngestdError]] = [errors.IngestdError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


SAMPLES: list[errors.IngestdError] = [
    errors.IngestdError("plain"),
    errors.ConfigError("ingestd.toml", "fetch.max_bytes", "must be positive", line=7),
    errors.StoreError("no database"),
    errors.StoreUnavailableError("disk full"),
    errors.WarcError("not a WARC file"),
    errors.QueryTooCostly("stories list: over 2.0 s"),
    errors.SchemaVersionError("schema 9 is newer than 3"),
    errors.FetchError("https://a.test/feed", "http_status", "503", status=503, retry_after=30.0),
    errors.BlockedAddressError("https://a.test/", "127.0.0.1 is loopback"),
    errors.ResponseTooLargeError("https://a.test/", "over 10 MiB"),
    errors.ContentTypeError("https://a.test/", "image/png"),
    errors.RobotsDisallowedError("https://a.test/x", "Disallow: /x"),
    errors.HostPausedError("https://a.test/x", "a.test", 120.0),
    errors.FeedParseError("https://a.test/feed", "not XML"),
    errors.ExtractionError("https://a.test/x", "no article text found"),
    errors.OperatorError("no story 7"),
]


@pytest.mark.parametrize("error", SAMPLES, ids=lambda e: type(e).__name__)
def test_error_round_trips_through_pickle(error: errors.IngestdError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_every_error_class_has_a_sample() -> None:
    sampled = {type(e) for e in SAMPLES}
    missing = [c.__name__ for c in _all_error_classes() if c not in sampled]
    assert not missing, f"add a pickling sample for {missing}"
