"""The private-address guard: refuse fetches aimed inside the network.

Feed and article URLs come from outside (feeds, redirects), so without this
guard a hostile feed could make ingestd request ``http://127.0.0.1:6379/``
or a cloud metadata address and store the answer. Every hop of a fetch is
checked before it is requested.

The addresses checked here are the only ones the fetcher then connects to
(see transport.py): resolving again to connect would let a DNS server that
answers a public address first and a private one a second later (DNS
rebinding) get past the check.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from ingestd.errors import BlockedAddressError, FetchError

__all__ = ["Resolver", "is_refused_address", "resolve_and_check", "system_resolver"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Resolves ``(host, port)`` to the IP addresses a connection may use."""

# RFC 6598 shared address space (carrier-grade NAT): not private in the
# ipaddress module's sense on Python 3.11, but never a public web server.
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
# RFC 6052 well-known NAT64 prefix: the last 32 bits are an IPv4 address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it stands for one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def is_refused_address(ip: IPAddress) -> bool:
    """Whether a fetch must not connect to ``ip``.

    Refused: private, loopback, link-local, multicast, reserved, unspecified,
    carrier-grade NAT and every other not globally reachable range, and IPv6
    addresses (IPv4-mapped, NAT64, 6to4) that embed a refused IPv4 address.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            # The embedded address is where the packets end up; the IPv6
            # wrapper's own flags (::ffff:0:0/96 counts as reserved) are not.
            return is_refused_address(embedded)
    elif ip in _CGNAT:
        return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the event loop's getaddrinfo (in a thread)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve_and_check(
    host: str,
    port: int,
    allow_private: bool,
    *,
    resolver: Resolver | None = None,
    url: str | None = None,
) -> list[str]:
    """Resolve ``host`` and refuse it if any of its addresses is refused.

    A literal IP host is checked without DNS. Every address counts, not just
    the first: a name that resolves to one public and one private address
    could connect to either. Returns the addresses as strings.

    Raises BlockedAddressError naming the host and the address, or
    FetchError(kind="connect") when the name does not resolve. ``url`` is
    the URL named in those errors (the host when not given); ``resolver``
    replaces the system resolver (tests).
    """
    where = url or host
    literal = _literal_ip(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            raw = await (resolver or system_resolver)(host, port)
        except OSError as exc:  # socket.gaierror and friends
            raise FetchError(where, "connect", f"cannot resolve host {host!r}: {exc}") from exc
        addresses = []
        for text in raw:
            try:
                addresses.append(ipaddress.ip_address(text))
            except ValueError as exc:
                raise FetchError(
                    where, "connect", f"resolver gave {text!r} for host {host!r}, not an address"
                ) from exc
        if not addresses:
            raise FetchError(where, "connect", f"host {host!r} resolves to no address")
    if not allow_private:
        for address in addresses:
            if is_refused_address(address):
                raise BlockedAddressError(
                    where,
                    f"host {host!r} resolves to refused address {address} (a private,"
                    " loopback or link-local target; set [fetch] allow_private_addresses"
                    " = true to fetch from such hosts)",
                )
    return [str(address) for address in addresses]
