"""The exhibit definition: which scenes form one exhibition, in what order."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from protocol.credit import CreditRule
from protocol.i18n import Language, LocalizedText
from protocol.scene import Slug

SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]


class ExhibitDefinition(BaseModel):
    """``exhibits/<id>.yaml``: an exhibition made of scenes, built into one package."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    version: SemVer
    title: LocalizedText
    summary: LocalizedText
    publisher: str = Field(min_length=1)
    scenes: list[Slug] = Field(
        min_length=1, description="scene ids, in visiting order; read from `scene_dir`"
    )
    scene_dir: str = Field(default="../scenes", description="relative to this file")
    languages: list[Language] = Field(
        default_factory=lambda: list[Language](["zh-CN", "en"]),
        description="languages every visible string must have; zh-CN is always required",
    )
    font: str = Field(
        default="assets/fonts/wqy-microhei.ttc",
        description="font the subset is cut from, relative to the content folder",
    )
    credit: CreditRule | None = Field(
        default=None, description="an extra award for completing every scene"
    )
