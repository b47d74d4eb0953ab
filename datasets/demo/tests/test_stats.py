import pytest

from shop.stats import cheapest, mean, sku_frequencies


def test_sku_frequencies(orders):
    skus = [o["sku"] for o in orders]
    freq = sku_frequencies(skus)
    assert sum(freq.values()) == len(skus)
    assert list(freq) == list(dict.fromkeys(skus))
    assert sku_frequencies(["b", "a", "b"]) == {"b": 2, "a": 1}


def test_cheapest(orders):
    assert cheapest([o["amount"] for o in orders]) == min(o["amount"] for o in orders)


def test_mean():
    assert mean([1.0, 2.0, 6.0]) == 3.0
    with pytest.raises(ValueError):
        mean([])
