"""The seeded selling partners, one LWA application, and their test credentials."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _derive(seed: int, label: str, length: int, alphabet: str = _ALNUM) -> str:
    stream = hashlib.shake_256(f"{seed}:{label}".encode()).digest(length)
    return "".join(alphabet[byte % len(alphabet)] for byte in stream)


@dataclass(frozen=True)
class Seller:
    seller_id: str
    name: str
    region: str
    marketplace_ids: tuple[str, ...]
    marketplace_weights: tuple[float, ...]
    order_share: float
    refresh_token: str


@dataclass(frozen=True)
class LwaApp:
    client_id: str
    client_secret: str


def seed_app(seed: int) -> LwaApp:
    hexchars = "0123456789abcdef"
    return LwaApp(
        client_id="amzn1.application-oa2-client." + _derive(seed, "client", 32, hexchars),
        client_secret="amzn1.oa2-cs.v1." + _derive(seed, "secret", 64, hexchars),
    )


REGIONS = (  # name, region, marketplaces, their weights, the region's weight in orders
    ("Sandbox Outfitters NA", "na", ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"), (0.8, 0.2), 0.5),
    ("Sandbox Handel EU", "eu", ("A1F83G8C2ARO7P", "A1PA6795UKMFR9"), (0.55, 0.45), 0.35),
    ("Sandbox Shoten FE", "fe", ("A1VC38T7YXB528",), (1.0,), 0.15),
)


def seller_label(region: str, index: int) -> str:
    """What a seller's secrets derive from: its region, and for an agency's 4th seller on, its
    place too (so that the first three stay what they always were)."""
    return region if index < len(REGIONS) else f"{region}:{index}"


def seed_sellers(seed: int, count: int = len(REGIONS)) -> list[Seller]:
    """`count` sellers over North America (US, CA), Europe (UK, DE) and Far East (JP) in turn;
    orders are shared by region weight."""
    plans = [REGIONS[index % len(REGIONS)] for index in range(count)]
    total = sum(plan[4] for plan in plans)
    sellers = []
    for index, (name, region, marketplaces, weights, weight) in enumerate(plans):
        label = seller_label(region, index)
        if index >= len(REGIONS):
            name = f"Sandbox Seller {index + 1:04d} {region.upper()}"
        sellers.append(
            Seller(
                seller_id="A" + _derive(seed, f"seller:{label}", 13),
                name=name,
                region=region,
                marketplace_ids=marketplaces,
                marketplace_weights=weights,
                order_share=weight / total,
                refresh_token="Atzr|" + _derive(seed, f"refresh:{label}", 96, _ALNUM + "-_"),
            )
        )
    return sellers
