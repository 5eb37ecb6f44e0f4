"""Where webhooks may go: public addresses only, unless an operator allows more.

A subscription's URL is an address the service will POST to from inside
the network it runs in. Left open, an administrator's account (or whoever
holds it) could point it at the machine itself, the cloud metadata service
(169.254.169.254) or the internal network, and read which ports answer. So
a target must resolve only to public addresses: none that ``ipaddress``
does not call global (loopback, private, link-local, carrier-grade NAT,
reserved, documentation, unspecified), no multicast, and no IPv6 form that
carries such an IPv4 address inside it (IPv4-mapped or -compatible, 6to4,
NAT64, Teredo). Names are resolved the way the connection resolves them
(``getaddrinfo``), so ``2130706433``, ``0x7f.1`` and ``127.1`` are
loopback here as well.

It is checked twice: when a subscription is made or its URL changed (422
naming ``url``), and on every connection the dispatcher opens, against the
address it then connects to, because a name may resolve elsewhere by then.
``CASEWORK_WEBHOOK_ALLOWED_HOSTS`` (host names or networks, comma-separated)
allows what it names: a receiver on the same host or network, on purpose.

The connection-time check is an httpcore network backend: it resolves the
host itself, refuses the connection if any address is not allowed, and
otherwise connects to the checked address (TLS still verifies and sends SNI
for the URL's host name, which httpcore passes on separately). Checking
first and letting the connection resolve again would leave the gap a
rebinding name needs.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
import httpcore
import httpx

from casework.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
RESOLVE_SECONDS = 5.0


class TargetNotAllowed(httpcore.ConnectError):
    """The target resolves to an address webhooks may not reach (raised before connecting)."""


@dataclass(frozen=True)
class AllowList:
    names: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        names, networks = set(), []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowList:
        return cls.parse(settings.webhook_allowed_hosts)

    def names_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.names

    def permits(self, address: IPAddress) -> bool:
        if any(address in net for net in self.networks if net.version == address.version):
            return True
        return all(a.is_global and not a.is_multicast for a in _with_embedded(address))


def _with_embedded(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 form carries to the same place."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            found.append(address.ipv4_mapped)
        if address.sixtofour:
            found.append(address.sixtofour)
        if address.teredo:
            found.extend(address.teredo)
        if int(address) >> 32 == 0 or any(address in net for net in _NAT64):  # ::a.b.c.d, NAT64
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to for a TCP connection, in the resolver's order."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 scope
        if address not in addresses:
            addresses.append(address)
    return addresses


async def refusal(url: str, settings: Settings) -> str | None:
    """Why a subscription may not use ``url`` (for a 422), or None.

    A name that does not resolve now is let through: the connection-time
    check applies whatever it resolves to later.
    """
    parsed = httpx.URL(url)
    allow = AllowList.from_settings(settings)
    if allow.names_host(parsed.host):
        return None
    try:
        with anyio.fail_after(RESOLVE_SECONDS):
            addresses = await resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except (OSError, TimeoutError, UnicodeError):
        return None
    if all(allow.permits(a) for a in addresses):
        return None
    return ("must not point at an internal address (loopback, private, link-local, reserved); "
            "an operator can allow a host in CASEWORK_WEBHOOK_ALLOWED_HOSTS")


class CheckedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the allow-list permits (see the module's docstring)."""

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options=None) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} does not resolve") from exc
        if not self.allow.names_host(host) and not all(self.allow.permits(a) for a in addresses):
            raise TargetNotAllowed(f"{host} resolves to an address webhooks may not reach")
        error: Exception | None = None
        for address in addresses:  # like anyio's own connect, each address in turn
            try:
                return await self._inner.connect_tcp(str(address), port, timeout=timeout,
                                                     local_address=local_address, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options=None) -> httpcore.AsyncNetworkStream:
        raise TargetNotAllowed("webhooks are not sent over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def checked_transport(settings: Settings) -> httpx.AsyncHTTPTransport:
    """httpx's transport, connecting through ``CheckedNetworkBackend``.

    httpx takes no network backend of its own, so the transport's httpcore
    pool (its one private attribute used here) is replaced by an equal pool
    that has one; the tests of refused targets fail if this stops working.
    No proxies from the environment: through a proxy the check would see
    the proxy's address, not the receiver's.
    """
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    ssl_context = transport._pool._ssl_context  # the context httpx built, verify on
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context, max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0,
        network_backend=CheckedNetworkBackend(AllowList.from_settings(settings)),
    )
    return transport
