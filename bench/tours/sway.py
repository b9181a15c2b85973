"""The poses a simulated participant cycles through: heads in headsets never keep still,
so each one sways by centimetres and turns by a few degrees over ``VARIANTS`` poses, each
with its own sequence number, all encoded before the run."""

from __future__ import annotations

import math

from protocol.tour_poses import Pose, Transform, encode_pose

VARIANTS = 8


def swaying(x: float, z: float) -> list[bytes]:
    """The encoded pose messages of a participant standing at (x, z)."""
    poses = []
    for variant in range(VARIANTS):
        turn = 0.05 * math.sin(variant)
        poses.append(encode_pose(Pose(Transform((x + 0.01 * variant, 1.6, z - 0.01 * variant),
                                                (0.0, math.sin(turn), 0.0, math.cos(turn))),
                                      seq=variant)))
    return poses
