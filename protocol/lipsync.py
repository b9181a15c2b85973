"""The lip-sync track stored beside each narration in a package (``audio/<name>.lipsync.json``).

Made at build time from the audio itself, so recorded human narration gets one as well as
synthesized speech. Frames are evenly spaced at ``rate`` per second from the start of the
Ogg: ``openness[i]`` (0 closed .. 255 wide open) and ``visemes[i]``, one letter a frame:

- ``X`` rest (silence, pauses, closures),
- ``A`` open (a, and the open part of ao, ai),
- ``E`` spread (i, e),
- ``O`` rounded (o, u),
- ``S`` teeth together (s, sh, x, f: hissing sounds).

A face plays the viseme's mouth shape scaled by the openness.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

VISEMES = "XAEOS"
MAX_FRAMES = 100 * 600  # ten minutes of narration at 100 frames a second

Openness = Annotated[int, Field(ge=0, le=255)]


class LipSyncTrack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind: Literal["redhall-lipsync"] = "redhall-lipsync"
    version: Literal[1] = 1
    rate: int = Field(ge=10, le=100, description="frames per second")
    openness: list[Openness] = Field(max_length=MAX_FRAMES)
    visemes: str = Field(max_length=MAX_FRAMES, pattern=f"^[{VISEMES}]*$")

    @model_validator(mode="after")
    def _one_viseme_a_frame(self) -> LipSyncTrack:
        if len(self.visemes) != len(self.openness):
            raise ValueError(f"{len(self.visemes)} visemes for {len(self.openness)} frames")
        return self

    @property
    def seconds(self) -> float:
        return len(self.openness) / self.rate
