"""attrs workload: a data model built from attrs classes, as an application's domain layer
uses it.

Defines classes with `attrs.define` / `attr.s` (defaults, factories, converters,
validators, frozen and slotted variants, nested classes), builds many instances, and
uses `asdict`, `astuple`, `evolve`, equality, ordering, hashing and repr on them.
"""

import random
import time

import attr
import attrs
from attrs import field, validators

rng = random.Random(29)


@attrs.define(order=True)
class Address:
    street: str
    city: str = field(validator=validators.instance_of(str))
    zip_code: str = field(default="00000", validator=validators.matches_re(r"\d{5}"))


@attrs.frozen
class Money:
    amount: int = field(converter=int, validator=[validators.ge(0), validators.lt(10**9)])
    currency: str = field(default="EUR", validator=validators.in_(["EUR", "USD", "GBP"]))


@attrs.define
class Line:
    sku: str
    qty: int = field(validator=validators.and_(validators.instance_of(int), validators.gt(0)))
    price: Money = field(factory=lambda: Money(0))


@attrs.define(slots=True)
class Order:
    id: int
    customer: str
    address: Address
    lines: list = field(factory=list)
    tags: frozenset = field(factory=frozenset, converter=frozenset)
    note: str | None = field(default=None,
                             validator=validators.optional(validators.instance_of(str)))


@attr.s(auto_attribs=True, cmp=False, hash=True)
class LegacyEvent:
    kind: str
    order_id: int
    payload: dict = attr.ib(factory=dict, hash=False)


def make_order(i):
    addr = Address(f"{rng.randint(1, 300)} Main St", rng.choice(["Paris", "Lyon", "Nice"]),
                   f"{rng.randint(10000, 99999)}")
    lines = [Line(f"SKU{rng.randint(0, 999)}", rng.randint(1, 9),
                  Money(rng.randint(1, 10000), rng.choice(["EUR", "USD"])))
             for _ in range(rng.randint(1, 5))]
    return Order(i, f"cust{rng.randint(0, 500)}", addr, lines, {"new", f"t{i % 7}"},
                 None if i % 3 else "gift")


def main():
    t0 = time.perf_counter()
    orders = [make_order(i) for i in range(50000)]
    dicts = [attrs.asdict(o) for o in orders]
    tuples = [attrs.astuple(o.address) for o in orders]
    changed = [attrs.evolve(o, customer=o.customer.upper(), note="moved") for o in orders[:25000]]
    same = sum(a == b for a, b in zip(orders, changed, strict=False))
    addresses = sorted(o.address for o in orders)
    money = {line.price for o in orders for line in o.lines}
    events = {LegacyEvent("created", o.id, {"n": len(o.lines)}) for o in orders}
    text = sum(len(repr(o)) for o in orders[:12000])
    invalid = 0
    for k in range(12000):
        try:
            Money(-k - 1)
        except ValueError:
            invalid += 1
        try:
            Address("x", "y", "12a45")
        except ValueError:
            invalid += 1
    attrs.validate(orders[0])
    print(f"orders {len(orders)} dicts {len(dicts)} tuples {len(tuples)} same {same} "
          f"addresses {len(addresses)} money {len(money)} events {len(events)} repr {text} "
          f"invalid {invalid} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
