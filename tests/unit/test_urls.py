"""URL identity keys and registrable domains."""

from __future__ import annotations

import pytest

from ingestd.urls import domain_of, is_http_url, normalize_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # scheme and host lower-cased, default port and fragment dropped
        (
            "HTTPS://WWW.LeMonde.FR:443/International/Article.html#comments",
            "https://www.lemonde.fr/International/Article.html",
        ),
        ("http://Example.com:80", "http://example.com/"),
        # tracking parameters dropped, meaningful ones kept and sorted
        (
            "https://www.lemonde.fr/a.html?utm_source=rss&utm_medium=feed&xtor=RSS-3208",
            "https://www.lemonde.fr/a.html",
        ),
        (
            "https://ex.com/story?id=7&fbclid=IwAR0&gclid=x&mc_cid=1&mc_eid=2&page=2",
            "https://ex.com/story?id=7&page=2",
        ),
        (
            "https://ex.com/s?at_medium=custom7&at_campaign=x&ns_source=y&WT.mc_id=z&q=1",
            "https://ex.com/s?q=1",
        ),
        ("https://ex.com/s?z=1&a=2&m=3", "https://ex.com/s?a=2&m=3&z=1"),
        # a repeated parameter keeps its values in order
        ("https://ex.com/s?tag=b&a=1&tag=a", "https://ex.com/s?a=1&tag=b&tag=a"),
        # parameters that merely look like trackers to a loose pattern stay
        (
            "https://ex.com/s?game=4&gallery=2&reference=x",
            "https://ex.com/s?gallery=2&game=4&reference=x",
        ),
        # a bare query token is kept as given (no "=" added)
        ("https://ex.com/article.php?12345", "https://ex.com/article.php?12345"),
        # non-default ports and IP hosts kept: tests serve from localhost
        ("http://127.0.0.1:8080/feed.xml?utm_source=x", "http://127.0.0.1:8080/feed.xml"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://LOCALHOST:5000", "http://localhost:5000/"),
        # dot segments, repeated slashes, escapes made canonical
        ("https://ex.com/a/./b/../c//d", "https://ex.com/a/c/d"),
        ("https://ex.com/%7euser/caf%c3%a9", "https://ex.com/~user/caf%C3%A9"),
        ("https://ex.com/café", "https://ex.com/caf%C3%A9"),
        # sub-delimiters a server may care about are not escaped
        ("https://ex.com/a;v=1/(b)+c", "https://ex.com/a;v=1/(b)+c"),
        # one key for the Unicode and the punycode spelling of a host
        ("https://Café.example/x", "https://xn--caf-dma.example/x"),
        ("https://example.com./x", "https://example.com/x"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


def test_normalize_url_is_idempotent() -> None:
    once = normalize_url("HTTP://Ex.com:80/a/../b?utm_source=x&b=2&a=%7e1#f")
    assert normalize_url(once) == once


def test_tracking_variants_share_one_key() -> None:
    keys = {
        normalize_url(u)
        for u in (
            "https://www.lemonde.fr/x/article/2024/01/02/a_1.html",
            "https://www.lemonde.fr/x/article/2024/01/02/a_1.html?xtor=RSS-3208",
            "https://www.lemonde.fr/x/article/2024/01/02/a_1.html#xtor=RSS-3208",
            "https://WWW.lemonde.fr:443/x/article/2024/01/02/a_1.html?utm_source=tw",
        )
    }
    assert keys == {"https://www.lemonde.fr/x/article/2024/01/02/a_1.html"}


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://ex.com/a",
        "mailto:someone@ex.com",
        "/relative/path",
        "ex.com/a",
        "",
        "http:///x",
        "javascript:alert(1)",
        "http://[::1/x",
    ],
)
def test_normalize_url_refuses_non_http_or_hostless(bad: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        normalize_url(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.lemonde.fr/international/article.html", "lemonde.fr"),
        ("lemonde.fr", "lemonde.fr"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("https://www.bbc.co.uk/news", "bbc.co.uk"),
        ("http://WWW2.Example.COM./x", "example.com"),
        ("https://meguetaninfos.com/2024/x", "meguetaninfos.com"),
        ("http://127.0.0.1:8080/x", "127.0.0.1"),
        ("127.0.0.1:8080", "127.0.0.1"),
        ("http://[::1]:8080/", "::1"),
        ("localhost", "localhost"),
        ("http://www.intranet.test/", "intranet.test"),
    ],
)
def test_domain_of(value: str, expected: str) -> None:
    assert domain_of(value) == expected


def test_domain_of_without_host_raises() -> None:
    with pytest.raises(ValueError, match="no host"):
        domain_of("")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://ex.com/a", True),
        ("http://127.0.0.1:1/", True),
        ("HTTP://EX.COM", True),
        ("ftp://ex.com/a", False),
        ("/a", False),
        ("https://", False),
        ("http://[::1", False),
        ("", False),
    ],
)
def test_is_http_url(value: str, expected: bool) -> None:
    assert is_http_url(value) is expected
