import random

import pytest


@pytest.fixture
def orders():
    rng = random.Random(7)
    return [
        {"id": k, "sku": f"SKU{rng.randrange(4000):05d}", "amount": round(rng.uniform(1, 500), 2)}
        for k in range(6000)
    ]
