"""Binary export of order lines for the warehouse system."""

from __future__ import annotations

import struct

RECORD = struct.Struct("<I16sd")


def encode_line(order_id: int, sku: str, amount: float) -> bytes:
    return RECORD.pack(order_id, sku.encode("ascii")[:16], amount)


def encode_orders(orders: list[dict]) -> bytes:
    """Encode orders as fixed-size records behind a 4-byte count header."""
    payload = b""
    for order in orders:
        payload += encode_line(order["id"], order["sku"], order["amount"])
    return struct.pack("<I", len(orders)) + payload


def decode_orders(blob: bytes) -> list[tuple[int, str, float]]:
    (count,) = struct.unpack_from("<I", blob, 0)
    out = []
    for k in range(count):
        order_id, raw, amount = RECORD.unpack_from(blob, 4 + k * RECORD.size)
        out.append((order_id, raw.rstrip(b"\0").decode("ascii"), amount))
    return out
