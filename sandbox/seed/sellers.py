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


def seed_sellers(seed: int) -> list[Seller]:
    """Three sellers: North America (US, CA), Europe (UK, DE) and Far East (JP)."""
    plans = [
        ("Sandbox Outfitters NA", "na", ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"), (0.8, 0.2), 0.5),
        ("Sandbox Handel EU", "eu", ("A1F83G8C2ARO7P", "A1PA6795UKMFR9"), (0.55, 0.45), 0.35),
        ("Sandbox Shoten FE", "fe", ("A1VC38T7YXB528",), (1.0,), 0.15),
    ]
    sellers = []
    for name, region, marketplaces, weights, share in plans:
        sellers.append(
            Seller(
                seller_id="A" + _derive(seed, f"seller:{region}", 13),
                name=name,
                region=region,
                marketplace_ids=marketplaces,
                marketplace_weights=weights,
                order_share=share,
                refresh_token="Atzr|" + _derive(seed, f"refresh:{region}", 96, _ALNUM + "-_"),
            )
        )
    return sellers
