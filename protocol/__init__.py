"""RedHall's shared contract: pydantic models only, no I/O."""

from protocol.credit import CreditRule
from protocol.errors import RedhallError
from protocol.exhibit import ExhibitDefinition
from protocol.i18n import LANGUAGES, Language, LocalizedText
from protocol.manifest import (
    FORMAT_VERSION,
    BuildInfo,
    Entry,
    Manifest,
    ModelLevel,
    PackagedProp,
    PackagedScene,
    SceneRef,
)
from protocol.scene import Hotspot, Prop, QuizItem, RouteStop, SceneScript, Source

__all__ = [
    "FORMAT_VERSION",
    "LANGUAGES",
    "BuildInfo",
    "CreditRule",
    "Entry",
    "ExhibitDefinition",
    "Hotspot",
    "Language",
    "LocalizedText",
    "Manifest",
    "ModelLevel",
    "PackagedProp",
    "PackagedScene",
    "Prop",
    "QuizItem",
    "RedhallError",
    "RouteStop",
    "SceneRef",
    "SceneScript",
    "Source",
]
