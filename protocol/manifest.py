"""The package manifest (``manifest.json``) and the packaged scene (``scenes/<id>.json``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from protocol.credit import CreditRule
from protocol.exhibit import SemVer
from protocol.geometry import Vec3
from protocol.i18n import Language, LocalizedText
from protocol.scene import SceneScript, Slug

FORMAT_VERSION = 1
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Entry(_Strict):
    path: str
    sha256: Sha256
    size: int = Field(ge=0, le=2**40)


class SceneRef(_Strict):
    id: Slug
    title: LocalizedText
    script: str = Field(description="path of the packaged scene JSON inside the package")
    credit: CreditRule


class BuildInfo(_Strict):
    tool: str
    tool_version: str
    inputs_sha256: Sha256 = Field(description="fingerprint of every input and option")


class Manifest(_Strict):
    format: int = Field(description="package format version; readers refuse unknown ones")
    id: Slug
    version: SemVer
    title: LocalizedText
    summary: LocalizedText
    publisher: str
    languages: list[Language]
    scenes: list[SceneRef]
    credit: CreditRule | None = None
    font: str = Field(description="path of the font subset inside the package")
    thumbnails: list[str] = Field(default_factory=list)
    entries: list[Entry]
    build: BuildInfo


class ModelLevel(_Strict):
    path: str
    ratio: float = Field(gt=0, le=1)
    triangles: int = Field(ge=0, le=2**31)


class PackagedProp(_Strict):
    """A prop as the engine loads it: model levels, collision proxy, placement."""

    id: Slug
    levels: list[ModelLevel] = Field(min_length=1, max_length=8)
    collision: str | None = None
    position: Vec3
    rotation: Vec3
    scale: Vec3
    bounds: tuple[Vec3, Vec3] = Field(description="axis-aligned min and max, model space")


class PackagedScene(_Strict):
    """``scenes/<id>.json``: the validated script with every asset path inside the package."""

    script: SceneScript
    props: list[PackagedProp]
    audio: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="narration owner -> language -> Ogg path in the package; owners are a "
                    "hotspot's id, `stop:<id>` for a route stop's line and `action:<n>` for "
                    "the n-th action's audio (ids are slugs: no colon, no collision)",
    )
    lipsync: dict[str, str] = Field(
        default_factory=dict,
        description="Ogg path -> its lip-sync track (protocol.lipsync) in the package",
    )
    kind: Literal["redhall-scene"] = "redhall-scene"
