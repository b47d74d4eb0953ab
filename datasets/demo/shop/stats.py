"""Order statistics."""

from __future__ import annotations


def sku_frequencies(skus: list[str]) -> dict[str, int]:
    """How many times each SKU was ordered, in first-seen order."""
    freq = {}
    for sku in skus:
        if sku not in freq:
            freq[sku] = skus.count(sku)
    return freq


def cheapest(prices: list[float]) -> float:
    """The lowest price."""
    return sorted(prices)[0]


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("mean of an empty list")
    return sum(values) / len(values)
