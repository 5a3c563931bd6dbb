"""The operations settings, checked when the app is built (``flask`` commands, web, worker, beat)."""

from __future__ import annotations

import ipaddress


class SettingError(ValueError):
    """An operations setting cannot be used; the message names it and says what it should be."""


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``METRICS_ALLOW_FROM``: networks in CIDR notation (or single addresses), comma-separated."""
    networks = []
    for entry in filter(None, (part.strip() for part in (text or "").split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise SettingError(
                f"METRICS_ALLOW_FROM: {entry!r} is not a network; write addresses or CIDR networks "
                f"separated by commas, e.g. 10.0.0.0/8,192.0.2.7") from None
    return tuple(networks)
