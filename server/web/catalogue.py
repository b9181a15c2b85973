"""The portal's one message catalogue: every string a page shows, in zh-CN and English.

The catalogue is kept as YAML files under ``web/messages/`` (one per area of the portal,
so areas do not edit each other's files); they are merged into one table, and a key
defined twice or missing a language is an error at start-up, not a blank on a page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from server.errors import ConfigurationError

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
MESSAGES_DIR = Path(__file__).resolve().parents[2] / "web" / "messages"


class CatalogueError(ConfigurationError):
    """A message file is malformed: a key twice, a language missing, not a mapping."""


def load(directory: Path = MESSAGES_DIR) -> dict[str, dict[str, str]]:
    """Every message, by key, then by language."""
    table: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.yaml")):
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise CatalogueError(f"{path.name}: a mapping of message keys is expected")
        for key, texts in data.items():
            if key in table:
                raise CatalogueError(f"{path.name}: {key} is defined in another file too")
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES) \
                    or not all(isinstance(t, str) and t for t in texts.values()):
                raise CatalogueError(f"{path.name}: {key} needs exactly a non-empty "
                                     f"{' and '.join(LANGUAGES)} text")
            table[str(key)] = texts
    return table


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    return load()


def translate(language: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``language``, with ``{name}`` fields filled from ``values``.
    An unknown key raises KeyError: a page must not show a key instead of words."""
    text = catalogue()[key][language if language in LANGUAGES else DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def translator(language: str) -> Callable[..., str]:
    """:func:`translate` bound to one language, as pages and exports pass it around."""
    def t(key: str, **values: Any) -> str:
        return translate(language, key, **values)
    return t
