from shop.catalog import Catalog, known_orders, normalize_sku, price_of


def test_normalize_sku():
    assert normalize_sku(" ab-12 ") == "AB12"


def test_known_orders_keeps_catalog_skus_in_order(orders):
    catalog = [f"SKU{k:05d}" for k in range(0, 4000, 2)]
    kept = known_orders(orders, catalog)
    assert kept == [o for o in orders if int(o["sku"][3:]) % 2 == 0]
    assert known_orders([], catalog) == []


def test_price_of():
    assert price_of({"AB12": 3.5}, "ab-12") == 3.5
    assert price_of({}, "zz", default=1.0) == 1.0


def test_catalog_available(orders):
    prices = {o["sku"]: o["amount"] for o in orders}
    discontinued = [f"SKU{k:05d}" for k in range(0, 4000, 3)]
    catalog = Catalog(prices, discontinued)
    skus = [o["sku"] for o in orders]
    available = catalog.available(skus)
    assert all(int(s[3:]) % 3 != 0 for s in available)
    assert len(available) > 1000
