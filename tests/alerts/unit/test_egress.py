"""Notifications go only to public addresses: the policy itself, and the sender refusing before it connects.

The sender tests talk to a real TCP server on a loopback address, reached by name (`localhost`) and by address.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError

from livestudio_alerts.channels import Channel, DeliveryError, Notification, Sender
from livestudio_alerts.egress import DestinationRefused, EgressPolicy, parse_networks
from livestudio_alerts.settings import AlertsSettings

OPEN = EgressPolicy()
LOOPBACK = EgressPolicy(parse_networks("127.0.0.1/32, ::1/128"))
NOTE = Notification("ntf_1", "st1", "account_unhealthy", "title", "body", {}, "2026-12-08T00:00:00Z")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # a cloud's metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fd00::1",
        "fe80::1",
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str) -> None:
    assert not OPEN.permits(ipaddress.ip_address(address))
    with pytest.raises(DestinationRefused, match="is not a public address"):
        OPEN.check_literal(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert OPEN.permits(ipaddress.ip_address(address))
    OPEN.check_literal(address)


def test_allowed_networks_open_only_themselves() -> None:
    assert LOOPBACK.permits(ipaddress.ip_address("127.0.0.1"))
    assert not LOOPBACK.permits(ipaddress.ip_address("127.0.0.2"))
    assert not LOOPBACK.permits(ipaddress.ip_address("10.0.0.1"))
    LOOPBACK.check_literal("localhost")
    with pytest.raises(DestinationRefused):
        OPEN.check_literal("localhost")
    with pytest.raises(DestinationRefused):
        OPEN.check_literal("api.localhost.")
    OPEN.check_literal("hooks.example.com")  # a name: decided when resolved


def test_the_setting_names_a_bad_network() -> None:
    assert AlertsSettings(egress_allow_networks="127.0.0.1/32, ::1").egress().allowed == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
    )
    with pytest.raises(ValidationError, match="not an IP network: 'intranet'"):
        AlertsSettings(egress_allow_networks="10.0.0.0/8,intranet")


async def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(DestinationRefused, match="localhost is not a public address"):
        await OPEN.resolve("localhost", 80)
    assert await LOOPBACK.resolve("localhost", 80) in ("127.0.0.1", "::1")
    with pytest.raises(DestinationRefused, match="does not resolve") as refused:
        await OPEN.resolve("no-such-host.invalid", 80)
    assert refused.value.retryable  # DNS may come back


@dataclass
class Receiver:
    """A TCP server on a loopback address answering every HTTP request 200 and keeping its head."""

    port: int = 0
    heads: list[bytes] = field(default_factory=list)
    connections: int = 0


@asynccontextmanager
async def receiver(address: str = "127.0.0.1") -> AsyncIterator[Receiver]:
    r = Receiver()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        r.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
            0,
        )
        await reader.readexactly(length)
        r.heads.append(head)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, address, 0)
    r.port = server.sockets[0].getsockname()[1]
    try:
        yield r
    finally:
        server.close()
        await server.wait_closed()


def _hook(url: str) -> Channel:
    return Channel("hook", "webhook", {"url": url}, "s3cret")


async def test_the_webhook_goes_to_the_checked_address_under_its_name() -> None:
    async with receiver(await LOOPBACK.resolve("localhost", 0)) as r:
        sender = Sender(telegram_api_url="http://unused", timeout_s=3, egress=LOOPBACK)
        try:
            await sender.send(_hook(f"http://localhost:{r.port}/hook?x=1"), NOTE)
        finally:
            await sender.close()
    [head] = r.heads
    assert head.startswith(b"POST /hook?x=1 HTTP/1.1\r\n")
    assert f"host: localhost:{r.port}\r\n".encode() in head.lower()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::ffff:127.0.0.1]"])
async def test_a_webhook_to_a_private_address_is_refused_before_connecting(host: str) -> None:
    async with receiver() as r:
        sender = Sender(telegram_api_url="http://unused", timeout_s=3, egress=OPEN)
        try:
            with pytest.raises(DeliveryError, match="is not a public address") as refused:
                await sender.send(_hook(f"http://{host}:{r.port}/hook"), NOTE)
        finally:
            await sender.close()
    assert not refused.value.retryable
    assert r.connections == 0


async def test_an_smtp_host_that_is_not_public_is_refused_before_connecting() -> None:
    async with receiver() as r:
        sender = Sender(telegram_api_url="http://unused", timeout_s=3, egress=OPEN)
        mail = Channel(
            "mail",
            "email",
            {"smtp_host": "localhost", "smtp_port": r.port, "email_from": "a@b.test", "email_to": ["c@d.test"]},
            None,
        )
        try:
            with pytest.raises(DeliveryError, match="email: localhost is not a public address"):
                await sender.send(mail, NOTE)
        finally:
            await sender.close()
    assert r.connections == 0
