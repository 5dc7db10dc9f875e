"""Which addresses storyline may connect to, checked twice for every request.

A page, a feed or a redirect can point anywhere, including at the machine
storyline runs on, its network, or a cloud metadata service (169.254.169.254).
So a host is resolved and every address it resolves to must be global:
private, loopback, link-local, shared (carrier-grade NAT), multicast, reserved
and unspecified addresses are refused, unless the caller allows private
addresses (``--allow-private``) or names the networks it trusts.

The check runs before each request and each redirect hop, which gives a clear
message and means a refused address is never contacted, and again when the
connection is made, by :class:`GuardedBackend`, which connects to the very
address it checked: a name that resolves differently the second time (DNS
rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._backends.sync import SyncBackend, SyncStream

from ..errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressPolicy:
    """Decides whether a resolved address may be contacted."""

    def __init__(self, allow_private: bool = False, allow_networks: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allow_networks: list[Network] = [
            ipaddress.ip_network(network, strict=False) for network in allow_networks
        ]

    def allows(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if self.allow_private or any(address in network for network in self.allow_networks):
            return True
        return address.is_global and not address.is_multicast

    def resolve(self, host: str, port: int, origin: str) -> list[Address]:
        """Every address ``host`` resolves to, or :class:`FetchError` if one is refused."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise FetchError(origin, f"cannot resolve {host}: {reason}", permanent=False) from None
        addresses: list[Address] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if address not in addresses:
                addresses.append(address)
        for address in addresses:
            if not self.allows(address):
                raise FetchError(
                    origin,
                    f"refused: {host} resolves to {address}, which is not a public address "
                    "(private, loopback, link-local or reserved); --allow-private permits it",
                )
        return addresses


class GuardedBackend(SyncBackend):
    """httpcore's socket backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.policy.resolve(host, port, f"{host}:{port}")
        except FetchError as error:
            raise httpcore.ConnectError(error.reason) from None
        last: OSError | None = None
        for address in addresses:
            try:
                sock = socket.create_connection(
                    (str(address), port),
                    timeout,
                    source_address=None if local_address is None else (local_address, 0),
                )
            except TimeoutError as error:
                raise httpcore.ConnectTimeout(str(error)) from error
            except OSError as error:
                last = error
                continue
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return SyncStream(sock)
        raise httpcore.ConnectError(f"cannot connect to {host}:{port}: {last}")


def guarded_transport(policy: AddressPolicy, max_connections: int = 20) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through :class:`GuardedBackend`.

    Proxies from the environment are ignored (``trust_env=False``): a proxy would
    make the connection, and its address checks are not ours.
    """
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx builds its connection pool without a way to pass a network backend
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=5.0,
        network_backend=GuardedBackend(policy),
    )
    return transport
