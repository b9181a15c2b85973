"""Procedural primitives a scene script can use to block out a scene without a modeller."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocol.oneof import one_of

MAX_COORDINATE = 1e6
"""Metres (and degrees): no exhibit is wider than a thousand kilometres."""
Coordinate = Annotated[float, Field(ge=-MAX_COORDINATE, le=MAX_COORDINATE, allow_inf_nan=False)]
Vec2 = tuple[Coordinate, Coordinate]
Vec3 = tuple[Coordinate, Coordinate, Coordinate]
Axis = Literal["x", "y", "z"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class BoxSpec(_Strict):
    size: Vec3 = Field(description="extent along x, y, z in metres")


class CylinderSpec(_Strict):
    radius: float = Field(gt=0)
    height: float = Field(gt=0)
    sections: int = Field(default=24, ge=3, le=256)
    axis: Axis = "z"


class PlaneSpec(_Strict):
    size: Vec2 = Field(description="extent along x and y in metres; faces +z")


class SphereSpec(_Strict):
    radius: float = Field(gt=0)
    subdivisions: int = Field(default=2, ge=0, le=5)


class ExtrusionSpec(_Strict):
    outline: list[Vec2] = Field(min_length=3, description="2D outline in the xy plane")
    height: float = Field(gt=0, description="extruded along +z")
    holes: list[list[Vec2]] = Field(default_factory=list)


class ChainSpec(_Strict):
    length: float = Field(gt=0, le=500, description="span along +y in metres")
    link: float = Field(gt=0.02, description="length of one link in metres")
    thickness: float = Field(default=0.025, gt=0, description="bar diameter of a link")
    sag: float = Field(default=0.0, ge=0, description="droop at mid-span in metres")


class TerrainSpec(_Strict):
    heightmap: str = Field(description="grey-scale PNG; white is highest")
    size: Vec2 = Field(description="extent along x and y in metres")
    height: float = Field(gt=0, description="height of white above black in metres")
    resolution: int = Field(default=128, ge=2, le=512, description="grid cells per side")


class Box(_Strict):
    box: BoxSpec


class Cylinder(_Strict):
    cylinder: CylinderSpec


class Plane(_Strict):
    plane: PlaneSpec


class Sphere(_Strict):
    sphere: SphereSpec


class Extrusion(_Strict):
    extrusion: ExtrusionSpec


class Chain(_Strict):
    chain: ChainSpec


class Terrain(_Strict):
    terrain: TerrainSpec


Primitive = one_of(
    box=Box,
    cylinder=Cylinder,
    plane=Plane,
    sphere=Sphere,
    extrusion=Extrusion,
    chain=Chain,
    terrain=Terrain,
)

PRIMITIVE_KINDS = ("box", "cylinder", "plane", "sphere", "extrusion", "chain", "terrain")
