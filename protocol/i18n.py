"""Localized strings: every user-visible text carries zh-CN and may carry zh-TW and en."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["zh-CN", "zh-TW", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "zh-TW", "en")


class LocalizedText(BaseModel):
    """A user-visible string in each supported language; ``zh-CN`` is required."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    zh_CN: str = Field(alias="zh-CN", min_length=1)
    zh_TW: str | None = Field(default=None, alias="zh-TW", min_length=1)
    en: str | None = Field(default=None, min_length=1)

    def get(self, language: Language) -> str:
        """The text in ``language``, falling back to zh-CN when it is missing."""
        value = {"zh-CN": self.zh_CN, "zh-TW": self.zh_TW, "en": self.en}[language]
        return value if value is not None else self.zh_CN

    def texts(self) -> list[str]:
        """Every language variant present, in a fixed order."""
        return [t for t in (self.zh_CN, self.zh_TW, self.en) if t is not None]
