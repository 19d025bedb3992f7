"""The address phones at a venue can reach: never 127.0.0.1 when the laptop has a LAN address."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, request

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def lan_addresses() -> list[str]:
    """Non-loopback IPv4 addresses of this machine, found without sending any packet."""
    found: list[str] = []
    candidates: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            candidates.append(str(info[4][0]))
    except OSError:
        pass
    try:
        import fcntl
        import struct

        for _index, name in socket.if_nameindex():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))
                except OSError:
                    continue
                candidates.append(socket.inet_ntoa(packed[20:24]))
    except (ImportError, OSError):
        pass
    for addr in candidates:
        ip = ipaddress.ip_address(addr)
        if not ip.is_loopback and not ip.is_link_local and addr not in found:
            found.append(addr)
    # Prefer private (venue wifi / hotspot) addresses.
    found.sort(key=lambda a: (not ipaddress.ip_address(a).is_private, a))
    return found


def public_base_url() -> str:
    """Base URL for join links and QR codes."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/")
    base = request.host_url.rstrip("/")
    parts = urlsplit(base)
    if (parts.hostname or "") in LOOPBACK_NAMES and current_app.config.get("SERVE_HOST") not in (
        None,
        "127.0.0.1",
        "localhost",
        "::1",
    ):
        lan = lan_addresses()
        if lan:
            netloc = lan[0] + (f":{parts.port}" if parts.port else "")
            return urlunsplit((parts.scheme, netloc, "", "", "")).rstrip("/")
    return base


def reachable_from_phones(base: str) -> bool:
    host = urlsplit(base).hostname or ""
    return host not in LOOPBACK_NAMES
