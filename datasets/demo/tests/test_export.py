from shop.export import decode_orders, encode_orders


def test_round_trip(orders):
    blob = encode_orders(orders)
    assert decode_orders(blob) == [(o["id"], o["sku"], o["amount"]) for o in orders]


def test_empty():
    assert decode_orders(encode_orders([])) == []


def test_round_trip_of_a_day_of_orders(orders):
    day = orders * 2  # the warehouse takes a day's orders in one export
    assert decode_orders(encode_orders(day))[-1] == decode_orders(encode_orders(orders))[-1]
