"""Python values as TOML literals, the right-hand side of a "dotted.key=value" override."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence


def literal(value) -> str:
    """The TOML literal of ``value``: str, bool, int, float, list/tuple, dict."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string once non-ASCII is kept as is.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {literal(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if hasattr(value, "item"):  # numpy scalars
        return literal(value.item())
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a TOML value")


def _key(k) -> str:
    k = str(k)
    if k and all(c.isalnum() or c in "-_" for c in k):
        return k
    return json.dumps(k, ensure_ascii=False)


def override(path: str, value) -> str:
    """The override text "path=literal"."""
    return f"{path}={literal(value)}"
