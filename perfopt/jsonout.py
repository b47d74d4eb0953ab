"""The one way perfopt writes JSON: NaN and infinities become null.

`json.dumps` writes NaN and Infinity by default, which strict parsers (jq, JavaScript's
JSON.parse, Go, Rust's serde) refuse; perfopt's means and ratios are NaN when nothing was
measured. `allow_nan=False` makes any non-finite number that slips past `finite` a bug
that shows, rather than a file nobody else can read.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float, in dicts, lists and tuples, made None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """`json.dumps` of `value` with NaN/inf as null; `kwargs` as for `json.dumps`."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)
