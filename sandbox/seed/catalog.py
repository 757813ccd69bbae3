"""Products (ASINs, variation families, localized titles) and each seller's listings (SKUs)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller

# (en, de, ja) so that DE and JP documents carry non-ASCII text
_NOUNS = [
    ("Kitchen Knife", "Küchenmesser", "キッチンナイフ"),
    ("Water Bottle", "Trinkflasche", "水筒"),
    ("Yoga Mat", "Yogamatte", "ヨガマット"),
    ("Desk Lamp", "Schreibtischlampe", "デスクライト"),
    ("Backpack", "Rucksack", "リュックサック"),
    ("Coffee Grinder", "Kaffeemühle", "コーヒーミル"),
    ("Phone Case", "Handyhülle", "スマホケース"),
    ("Bath Towel", "Badetuch", "バスタオル"),
    ("Running Shoes", "Laufschuhe", "ランニングシューズ"),
    ("Wireless Earbuds", "Kabellose Ohrhörer", "ワイヤレスイヤホン"),
    ("Cast Iron Pan", "Gusseisenpfanne", "鋳鉄フライパン"),
    ("Garden Hose", "Gartenschlauch", "ガーデンホース"),
    ("Notebook", "Notizbuch", "ノート"),
    ("Pillow", "Kopfkissen", "枕"),
    ("Toothbrush", "Zahnbürste", "歯ブラシ"),
    ("Dog Leash", "Hundeleine", "犬用リード"),
    ("Tea Kettle", "Wasserkocher", "電気ケトル"),
    ("Bike Light", "Fahrradlicht", "自転車ライト"),
]
_ADJECTIVES = [
    ("Premium", "Hochwertige", "プレミアム"),
    ("Stainless Steel", "Edelstahl", "ステンレス"),
    ("Organic", "Bio", "オーガニック"),
    ("Compact", "Kompakte", "コンパクト"),
    ("Ergonomic", "Ergonomische", "人間工学"),
    ("Foldable", "Faltbare", "折りたたみ"),
    ("Heavy-Duty", "Robuste", "頑丈な"),
]
_COLORS = [
    ("Black", "Schwarz", "ブラック"),
    ("White", "Weiß", "ホワイト"),
    ("Blue", "Blau", "ブルー"),
    ("Green", "Grün", "グリーン"),
    ("Red", "Rot", "レッド"),
]
_SIZES = ["S", "M", "L", "XL"]
_BRANDS = ["Acme", "Nordlicht", "Sakura & Co", "Ölberg", "Zenith", "Fjällräv", "Kōbō", "Pinecrest"]
_LANG_INDEX = {"en": 0, "de": 1, "ja": 2}
_ASIN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Product:
    asin: str
    brand: str
    titles: tuple[str, str, str]  # en, de, ja
    parent_asin: str | None
    color: str | None
    size: str | None
    usd_price_cents: int
    category: str
    sales_rank: int

    def title(self, marketplace_id: str) -> str:
        language = MARKETPLACES[marketplace_id].language[:2]
        return self.titles[_LANG_INDEX.get(language, 0)]


@dataclass(frozen=True)
class Listing:
    sku: str
    product_index: int
    fulfilled_by: str  # AMAZON (FBA) or MERCHANT
    prices_minor: dict[str, int]  # marketplace id -> unit price in minor units


@dataclass
class Catalog:
    products: list[Product]
    parents: dict[str, tuple[str, str, str]]  # parent asin -> titles
    listings: dict[str, list[Listing]] = field(default_factory=dict)  # seller id -> listings

    def by_asin(self) -> dict[str, Product]:
        return {p.asin: p for p in self.products}


def _asin(rng: np.random.Generator, used: set[str]) -> str:
    while True:
        tail = "".join(_ASIN_CHARS[i] for i in rng.integers(0, len(_ASIN_CHARS), 8))
        asin = "B0" + tail
        if asin not in used:
            used.add(asin)
            return asin


def seed_catalog(seed: int, n_products: int, sellers: list[Seller]) -> Catalog:
    """Products in families of variations, then listings that overlap between sellers."""
    rng = np.random.default_rng([seed, 1])
    used: set[str] = set()
    products: list[Product] = []
    parents: dict[str, tuple[str, str, str]] = {}
    while len(products) < n_products:
        noun = _NOUNS[int(rng.integers(len(_NOUNS)))]
        adjective = _ADJECTIVES[int(rng.integers(len(_ADJECTIVES)))]
        brand = _BRANDS[int(rng.integers(len(_BRANDS)))]
        base_titles = tuple(f"{brand} {adjective[i]} {noun[i]}" for i in range(3))
        price = int(np.clip(rng.lognormal(np.log(2500), 0.7), 499, 29999))
        rank = int(rng.integers(50, 400_000))
        category = noun[0]
        if rng.random() < 0.3:
            parent = _asin(rng, used)
            parents[parent] = base_titles  # type: ignore[assignment]
            colors = rng.choice(len(_COLORS), size=int(rng.integers(2, 4)), replace=False)
            sizes = _SIZES[: int(rng.integers(1, 4))]
            for c in colors:
                color = _COLORS[int(c)]
                for size in sizes:
                    titles = (
                        f"{base_titles[0]}, {color[0]}, Size {size}",
                        f"{base_titles[1]}, {color[1]}, Größe {size}",
                        f"{base_titles[2]} {color[2]} {size}サイズ",
                    )
                    products.append(
                        Product(
                            _asin(rng, used),
                            brand,
                            titles,
                            parent,
                            color[0],
                            size,
                            price + 100 * _SIZES.index(size),
                            category,
                            rank + int(rng.integers(0, 5000)),
                        )
                    )
        else:
            products.append(
                Product(
                    _asin(rng, used),
                    brand,
                    base_titles,
                    None,
                    None,
                    None,  # type: ignore[arg-type]
                    price,
                    category,
                    rank,
                )
            )
    products = products[:n_products]
    catalog = Catalog(products=products, parents=parents)
    for index, seller in enumerate(sellers):
        share = (0.6, 0.5, 0.4)[index % 3]
        chosen = np.sort(
            rng.choice(len(products), size=max(5, int(len(products) * share)), replace=False)
        )
        # per listing: one draw for who fulfils it, one per marketplace for its price
        draws = rng.random((len(chosen), 1 + len(seller.marketplace_ids)))
        amazon = draws[:, 0] < 0.65
        base = np.array([products[int(i)].usd_price_cents for i in chosen]) / 100
        prices = {}
        for column, marketplace_id in enumerate(seller.marketplace_ids, start=1):
            market = MARKETPLACES[marketplace_id]
            factor = 0.95 + (1.1 - 0.95) * draws[:, column]  # as Generator.uniform(0.95, 1.1)
            minor = np.round(base * market.usd_rate * factor * 10**market.minor_digits)
            minor = minor.astype(np.int64)
            prices[marketplace_id] = minor // 10 * 10 + 9 if market.minor_digits == 2 else minor
        listings = [
            Listing(
                sku=f"{seller.region.upper()}-{products[int(product_index)].asin[-5:]}-{n:04d}",
                product_index=int(product_index),
                fulfilled_by="AMAZON" if amazon[n] else "MERCHANT",
                prices_minor={m: int(column[n]) for m, column in prices.items()},
            )
            for n, product_index in enumerate(chosen)
        ]
        catalog.listings[seller.seller_id] = listings
    return catalog
