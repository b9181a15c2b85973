"""Small conveniences for building protocol values in code (tests, generators)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from protocol.geometry import Primitive

_PRIMITIVE: TypeAdapter[Any] = TypeAdapter(Primitive)


def primitive(value: dict[str, Any]) -> Any:
    """A validated primitive from its script form, e.g. ``{"box": {"size": [1, 1, 1]}}``."""
    return _PRIMITIVE.validate_python(value)
