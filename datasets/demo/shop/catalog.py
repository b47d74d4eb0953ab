"""Product catalog lookups."""

from __future__ import annotations


def normalize_sku(raw: str) -> str:
    """Upper-case a SKU and strip separators: ' ab-12 ' -> 'AB12'."""
    return raw.strip().upper().replace("-", "").replace(" ", "")


def known_orders(orders: list[dict], catalog_skus: list[str]) -> list[dict]:
    """Keep the orders whose SKU is in the catalog, in order."""
    kept = []
    for order in orders:
        # catalog_skus is a list: every lookup scans it.
        if order["sku"] in catalog_skus:
            kept.append(order)
    return kept


def price_of(prices: dict[str, float], sku: str, default: float = 0.0) -> float:
    return prices.get(normalize_sku(sku), default)


class Catalog:
    """SKUs with prices; discontinued SKUs are kept but flagged."""

    def __init__(self, prices: dict[str, float], discontinued: list[str]) -> None:
        self.prices = dict(prices)
        self.discontinued = list(discontinued)

    def available(self, skus: list[str]) -> list[str]:
        """SKUs that are priced and not discontinued."""
        result = []
        for sku in skus:
            if sku in self.prices and sku not in self.discontinued:
                result.append(sku)
        return result
