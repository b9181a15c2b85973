"""The scene script: what content editors write for one historical scene.

Coordinates are metres in a right-handed, Z-up frame (x east, y north, z up);
rotations are heading/pitch/roll in degrees.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from protocol.credit import CreditRule
from protocol.geometry import Primitive, Vec3
from protocol.i18n import Language, LocalizedText
from protocol.oneof import one_of

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
AssetPath = Annotated[str, StringConstraints(min_length=1, max_length=255)]
HistoricDate = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?$"),
]
Units = Literal["m", "cm", "mm", "in", "ft"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Source(_Strict):
    title: str = Field(min_length=1)
    publisher: str | None = None
    date: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    note: str | None = None


class Sun(_Strict):
    heading: float = 40.0
    pitch: float = Field(default=-35.0, ge=-90, le=0)
    color: Color = "#fff4e0"
    intensity: float = Field(default=1.0, ge=0, le=10)


class Ambient(_Strict):
    color: Color = "#b8c4d8"
    intensity: float = Field(default=0.35, ge=0, le=10)


class Fog(_Strict):
    color: Color
    density: float = Field(gt=0, le=1)


class Environment(_Strict):
    sky: Literal["day", "dawn", "dusk", "overcast", "night", "interior"] = "day"
    sun: Sun = Sun()
    ambient: Ambient = Ambient()
    fog: Fog | None = None


class Material(_Strict):
    color: Color = "#cccccc"
    roughness: float = Field(default=0.8, ge=0, le=1)
    metallic: float = Field(default=0.0, ge=0, le=1)
    texture: AssetPath | None = Field(default=None, description="PNG or JPEG base colour map")
    texture_repeat: tuple[float, float] = (1.0, 1.0)
    preset: Literal["plaster", "lacquered-wood", "raw-wood", "grey-brick", "red-brick", "stone",
                    "water", "silk", "iron", "rock", "grass"] | None = Field(
        default=None, description="a procedural material set (base colour, roughness, normal "
                                  "maps) from tools/materials.py; `color` tints it")


class Prop(_Strict):
    """One placed object: a model file an editor brings, or a procedural primitive."""

    id: Slug
    model: AssetPath | None = Field(
        default=None, description="glTF/GLB, OBJ, PLY, STL, OFF, 3MF or DAE file"
    )
    primitive: Primitive | None = None
    material: Material | None = None
    position: Vec3 = (0.0, 0.0, 0.0)
    rotation: Vec3 = Field(default=(0.0, 0.0, 0.0), description="heading, pitch, roll")
    scale: float | Vec3 = 1.0
    units: Units | None = Field(default=None, description="units of the model file")
    up: Literal["y", "z"] | None = Field(default=None, description="up axis of the model file")
    lod: list[Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=lambda: [1.0, 0.4, 0.1],
        description="triangle ratio of each level of detail, first 1.0, decreasing",
        min_length=1,
        max_length=5,
    )
    collision: Literal["hull", "box", "mesh", "none"] = "hull"

    @model_validator(mode="after")
    def _one_shape(self) -> Prop:
        if (self.model is None) == (self.primitive is None):
            raise ValueError("a prop needs exactly one of `model` or `primitive`")
        if self.lod[0] != 1.0 or any(b >= a for a, b in zip(self.lod, self.lod[1:])):
            raise ValueError("`lod` must start at 1.0 and decrease, e.g. [1.0, 0.4, 0.1]")
        if self.material is not None and self.model is not None:
            raise ValueError("`material` applies to primitives; a model file brings its own")
        return self


Audio = AssetPath | dict[Language, AssetPath]


class Hotspot(_Strict):
    id: Slug
    at: Vec3
    title: LocalizedText
    text: LocalizedText
    audio: Audio | None = Field(
        default=None, description="narration file (zh-CN), or one per language"
    )
    sources: list[int] = Field(min_length=1, description="indexes into the scene's sources")
    disputed: bool = Field(default=False, description="the facts told here are disputed")
    radius: float = Field(default=0.6, gt=0, le=10)


class Camera(_Strict):
    pos: Vec3
    look_at: Vec3


class RouteStop(_Strict):
    id: Slug
    camera: Camera
    say: LocalizedText
    hotspots: list[Slug] = Field(default_factory=list)
    audio: Audio | None = None


class QuizItem(_Strict):
    id: Slug
    hotspot: Slug | None = None
    prompt: LocalizedText
    choices: list[LocalizedText] = Field(min_length=2, max_length=6)
    answer: int = Field(ge=0, description="index of the right choice, from 0")
    explain: LocalizedText

    @model_validator(mode="after")
    def _answer_in_range(self) -> QuizItem:
        if self.answer >= len(self.choices):
            raise ValueError(
                f"`answer` is {self.answer} but there are only {len(self.choices)} choices "
                f"(counted from 0)"
            )
        return self


class OnEnter(_Strict):
    on_enter: Literal[True]


class OnStop(_Strict):
    on_stop: Slug


class OnHotspot(_Strict):
    on_hotspot: Slug


class PlayAudio(_Strict):
    play_audio: AssetPath


class Highlight(_Strict):
    highlight: Slug


class ShowText(_Strict):
    show_text: LocalizedText


class Action(_Strict):
    trigger: one_of(on_enter=OnEnter, on_stop=OnStop, on_hotspot=OnHotspot)  # type: ignore[valid-type]
    do: one_of(play_audio=PlayAudio, highlight=Highlight, show_text=ShowText)  # type: ignore[valid-type]


class Narrator(_Strict):
    """The narrator figure (数字人讲解员) standing in the scene and speaking its narration."""

    position: Vec3 = Field(description="where the narrator's feet stand, metres")
    facing: Annotated[float, Field(ge=-360, le=360)] | Vec3 = Field(
        description="heading in degrees (0 faces north, +y; 90 west, as prop headings turn), "
                    "or a point to face, such as where visitors stand")
    model: AssetPath | None = Field(
        default=None,
        description="rigged GLB with viseme_A/E/O/S and blink morph targets and a gesture "
                    "animation; by default RedHall's narrator in a grey Zhongshan suit")
    hotspots: list[Slug] | None = Field(
        default=None, description="hotspots whose narration it speaks; all when left out")
    stops: list[Slug] | None = Field(
        default=None, description="route stops it presents; all when left out")


class SceneScript(_Strict):
    """One historical scene as an editor writes it (``scenes/<id>.yaml``)."""

    id: Slug
    title: LocalizedText
    summary: LocalizedText
    date: HistoricDate = Field(description="ISO 8601 date, month, year or interval")
    place: LocalizedText
    sources: list[Source] = Field(min_length=1)
    environment: Environment = Environment()
    spawn: Camera
    props: list[Prop] = Field(min_length=1)
    hotspots: list[Hotspot] = Field(default_factory=list)
    route: list[RouteStop] = Field(default_factory=list)
    quiz: list[QuizItem] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    narrator: Narrator | None = None
    credit: CreditRule
