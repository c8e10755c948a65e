"""URL identity: the normalised form that keys an article, and its domain.

This is the only module that imports courlan. Usage::

    normalize_url("HTTPS://www.Example.com:443/a/../b?utm_source=x&id=3#top")
    # -> "https://www.example.com/b?id=3"
    domain_of("https://news.bbc.co.uk/x")  # -> "bbc.co.uk"

Why the normalisation is written here instead of delegated to
``courlan.normalize_url``: its ``strict=True`` mode keeps only a short
whitelist of query parameters (so ``?story=12`` and ``?story=13`` would
collapse into one article), its loose mode matches tracker names with an
unanchored pattern (``game``, ``gallery``, ``global`` and ``reference`` are
dropped as if they were trackers), and both percent-encode sub-delimiters
such as ``;``, ``(`` and ``+`` in the path, which changes the URL some
servers see. The identity key must never merge two different articles, so
ingestd drops only parameters it knows to be tracking and otherwise keeps
the URL's bytes. courlan (with the Public Suffix List that ships with its
``tld`` dependency, read from a local file: nothing is downloaded) still
answers which registrable domain a host belongs to.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import courlan

__all__ = ["domain_of", "is_http_url", "normalize_url"]

_HTTP_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say how a reader arrived, never which article it
# is. Matched case-insensitively against the whole parameter name. Sources:
# the AdGuard "general_url" tracking-parameter filter and the ClearURLs rules
# that courlan cites, plus the AT Internet (xtor, at_*) and Mailchimp tags
# that French news feeds add to every link.
_TRACKING_NAMES = frozenset(
    {
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "_openstat",
        "__hsfp",
        "__hssc",
        "__hstc",
        "cmpid",
        "dclid",
        "ef_id",
        "fb_action_ids",
        "fb_action_types",
        "fb_ref",
        "fb_source",
        "fbclid",
        "gbraid",
        "gclid",
        "gclsrc",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "hsctatracking",
        "icid",
        "igsh",
        "igshid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "msclkid",
        "ncid",
        "ocid",
        "rb_clickid",
        "ref",
        "ref_src",
        "ref_url",
        "s_cid",
        "s_kwcid",
        "smid",
        "smtyp",
        "sr_share",
        "ttclid",
        "twclid",
        "wbraid",
        "xtor",
        "xtref",
        "yclid",
    }
)
# Whole families of analytics parameters, matched as name prefixes.
_TRACKING_PREFIXES = (
    "at_",  # AT Internet / Piano Analytics: at_medium, at_campaign, at_link...
    "cm_",  # IBM Coremetrics: cm_mmc, cm_ven
    "hsa_",  # HubSpot ads
    "itm_",
    "matomo_",
    "mtm_",  # Matomo
    "ns_",  # comScore: ns_source, ns_mchannel, ns_campaign
    "oly_",  # Omeda
    "pk_",  # Piwik
    "piwik_",
    "utm_",  # Google Analytics and everyone who copied it
    "vero_",
    "wt.",  # Webtrends: WT.mc_id
    "wt_",
)

# RFC 3986 section 2.3: characters that never need percent-encoding, so an
# escape of one of them (%7E, %41) means the same as the character itself.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters that are always invalid in a path or query and must be escaped:
# controls, space and the few ASCII delimiters RFC 3986 excludes. Everything
# else ASCII is left as given (sub-delimiters can be meaningful to a server).
_MUST_ESCAPE = re.compile(r'[\x00-\x20\x7f"<>\\^`{|}]|[^\x00-\x7f]')
_REPEATED_SLASHES = re.compile(r"/{2,}")


def is_http_url(s: str) -> bool:
    """Whether ``s`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(s.strip())
        return parts.scheme.lower() in _HTTP_SCHEMES and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False


def normalize_url(url: str) -> str:
    """The identity key of an article URL.

    Lower-cases scheme and host, drops the scheme's default port (any other
    port is kept: tests and some sites serve from one), the fragment, known
    tracking parameters and dot segments; sorts the remaining query
    parameters by name (repeated names keep their order); makes percent
    escapes canonical. The result is itself a fetchable URL.

    Raises ValueError only when ``url`` is not an absolute http(s) URL with a
    host; odd but usable input (bad escapes, odd ports, Unicode) is kept.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as exc:  # unbalanced "[" in the authority
        raise ValueError(f"not a valid http(s) URL: {url!r} ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in _HTTP_SCHEMES:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if not hostname:
        raise ValueError(f"URL has no host: {url!r}")
    netloc = _netloc(scheme, parts.netloc, hostname)
    path = _normalize_path(parts.path)
    query = _normalize_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def domain_of(url_or_host: str) -> str:
    """The registrable domain of a URL or host name, without ``www.``.

    ``"https://www.lemonde.fr/x"`` gives ``"lemonde.fr"``,
    ``"news.bbc.co.uk"`` gives ``"bbc.co.uk"``. An IP address, ``localhost``
    or a host under no known public suffix is returned as the host itself.
    Raises ValueError when no host can be found.
    """
    text = url_or_host.strip()
    candidate = text if "://" in text else f"http://{text}"
    try:
        host = urlsplit(candidate).hostname
    except ValueError as exc:
        raise ValueError(f"no host in {url_or_host!r} ({exc})") from exc
    if not host:
        raise ValueError(f"no host in {url_or_host!r}")
    return _domain_of_host(host.rstrip("."))


# Asked for every article and credit, of a few thousand distinct hosts: the
# Public Suffix List look-up is made once per host (bounded).
@functools.lru_cache(maxsize=8192)
def _domain_of_host(host: str) -> str:
    if _is_ip(host):
        return host
    # courlan looks the host up in the Public Suffix List and strips "www".
    domain = courlan.extract_domain(f"http://{host}/")
    if isinstance(domain, str) and domain:
        return domain
    return host.removeprefix("www.")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _netloc(scheme: str, raw_netloc: str, hostname: str) -> str:
    """Rebuild the authority: lower-case ASCII host, default port dropped."""
    host = hostname.rstrip(".")  # "example.com." names the same host
    # An ASCII (punycode) host is what goes on the wire; map Unicode
    # spellings to it so both spellings give one key. A host IDNA 2003
    # cannot represent keeps the spelling given.
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo, _, hostport = raw_netloc.rpartition("@")
    port = ""
    if hostport.startswith("["):
        after = hostport.partition("]")[2]
        port = after[1:] if after.startswith(":") else ""
    elif ":" in hostport:
        port = hostport.rpartition(":")[2]
    if port.isdigit() and int(port) == _DEFAULT_PORTS[scheme]:
        port = ""
    if port.isdigit():
        port = str(int(port))  # ":08080" and ":8080" are one port
    netloc = f"{host}:{port}" if port else host
    return f"{userinfo}@{netloc}" if userinfo else netloc


def _normalize_escapes(text: str) -> str:
    """Escape what must be escaped, unescape unreserved characters, and
    upper-case the hex digits of every remaining escape."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    escaped = _MUST_ESCAPE.sub(
        lambda m: "".join(f"%{byte:02X}" for byte in m.group(0).encode("utf-8")), text
    )
    return _PERCENT_ESCAPE.sub(fix, escaped)


def _normalize_path(path: str) -> str:
    path = _REPEATED_SLASHES.sub("/", path) or "/"
    return _normalize_escapes(_remove_dot_segments(path))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _is_tracking(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key in _TRACKING_NAMES or key.startswith(_TRACKING_PREFIXES)


def _normalize_query(query: str) -> str:
    """Drop tracking parameters and empty ``&&`` items, sort the rest by name.

    Each kept parameter keeps its own spelling (``?123`` stays ``?123``, not
    ``?123=``), only its escapes are made canonical, so the URL still asks
    the server for the same thing.
    """
    kept: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        name = item.partition("=")[0]
        if _is_tracking(name):
            continue
        kept.append((unquote_plus(name), _normalize_escapes(item)))
    kept.sort(key=lambda pair: pair[0])  # stable: repeated names keep order
    return "&".join(item for _, item in kept)
