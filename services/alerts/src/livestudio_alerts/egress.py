"""Where a notification may go: an owner names a webhook URL or an SMTP host, the service connects only to public
addresses (no server-side request forgery into the studio's own network).

A destination is refused when any address its name resolves to is not global (loopback, private, link-local
such as a cloud's metadata service at 169.254.169.254, carrier-grade NAT, multicast, reserved, unspecified),
unless it lies in a network the operator allows (`ALERTS_EGRESS_ALLOW_NETWORKS`, e.g. the local fakes of
`make up`). The connection then goes to the address that was checked, not to a second lookup of the name, so a
name that changes its answer between the check and the connection (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class DestinationRefused(Exception):
    """The destination is not a public address (or does not resolve: `retryable`, DNS may come back); the message
    names the address, never a secret."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`"127.0.0.1/32, ::1/128"` -> networks; a bad entry raises ValueError naming it."""
    networks: list[IPNetwork] = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an IP network: {entry!r}") from None
    return tuple(networks)


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class EgressPolicy:
    allowed: tuple[IPNetwork, ...] = ()
    """Networks reachable although not global (the operator's own receivers)."""

    def permits(self, address: IPAddress) -> bool:
        address = _unmapped(address)
        if any(address in network for network in self.allowed):
            return True
        return address.is_global and not address.is_multicast

    def check_literal(self, host: str) -> None:
        """Refuse a host written as a forbidden IP address or as `localhost` (what can be known without DNS)."""
        name = host.strip("[]").rstrip(".").lower()
        if name == "localhost" or name.endswith(".localhost"):
            if not self.permits(ipaddress.ip_address("127.0.0.1")):
                raise DestinationRefused(f"{host} is not a public address")
            return
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return
        if not self.permits(address):
            raise DestinationRefused(f"{address} is not a public address")

    async def resolve(self, host: str, port: int) -> str:
        """The address to connect to for `host`: every address it resolves to must be permitted."""
        self.check_literal(host)
        name = host.strip("[]")
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise DestinationRefused(f"{host} does not resolve", retryable=True) from None
        addresses = _distinct(ipaddress.ip_address(info[4][0]) for info in infos)
        if not addresses:
            raise DestinationRefused(f"{host} does not resolve", retryable=True)
        for address in addresses:
            if not self.permits(address):
                raise DestinationRefused(f"{host} resolves to {address}, which is not a public address")
        return str(addresses[0])

    async def connect(self, host: str, port: int, *, timeout_s: float) -> socket.socket:
        """A non-blocking TCP socket connected to the checked address of `host` (for clients that take one)."""
        address = ipaddress.ip_address(await self.resolve(host, port))
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (str(address), port)), timeout_s)
        except BaseException:
            sock.close()
            raise
        return sock


def _distinct(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    seen: dict[IPAddress, None] = {}
    for a in addresses:
        seen.setdefault(a, None)
    return list(seen)
