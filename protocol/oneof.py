"""Externally tagged unions: ``{box: {...}}`` picks the box variant by its only key."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Discriminator, Tag


def _single_key(tags: tuple[str, ...]) -> Any:
    def pick(value: Any) -> str | None:
        if isinstance(value, dict):
            present = [t for t in tags if t in value]
            return present[0] if len(present) == 1 else None
        for tag in tags:
            if getattr(value, tag, None) is not None:
                return tag
        return None

    return pick


def one_of(**variants: type) -> Any:
    """An annotated union whose variant is named by the single key of the mapping.

    Args:
        variants: tag -> model class; each model has exactly one field named like its tag.
    """
    tags = tuple(variants)
    members = tuple(Annotated[model, Tag(tag)] for tag, model in variants.items())
    return Annotated[
        Union[members],  # noqa: UP007 - a runtime tuple of members needs Union[...]
        Discriminator(
            _single_key(tags),
            custom_error_type="one_of",
            custom_error_message="expected exactly one of: " + ", ".join(tags),
        ),
    ]
