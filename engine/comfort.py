"""Comfort while moving: a dark vignette narrows the view during smooth locomotion,
which reduces motion sickness in a headset; it fades out when the member stops."""

from __future__ import annotations

import numpy as np
from panda3d.core import CardMaker, NodePath, PNMImage, Texture, TransparencyAttrib

from engine.navigation import Navigation

FADE_SECONDS = 0.25


def _radial_alpha(size: int = 128) -> Texture:
    y, x = np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1
    alpha = np.clip((np.hypot(x, y) - 0.55) / 0.45, 0, 1)
    image = PNMImage(size, size, 4)
    image.fill(0, 0, 0)
    for row in range(size):
        for col in range(size):
            image.setAlpha(col, row, float(alpha[row, col]))
    texture = Texture("vignette")
    texture.load(image)
    return texture


class Vignette:
    def __init__(self, overlay: NodePath, navigation: Navigation, aspect: float) -> None:
        self.navigation = navigation
        card = CardMaker("vignette")
        card.setFrame(-aspect, aspect, -1, 1)
        self.node = overlay.attachNewNode(card.generate())
        self.node.setTexture(_radial_alpha())
        self.node.setTransparency(TransparencyAttrib.MAlpha)
        self.node.setBin("fixed", 30)
        self.node.setDepthTest(False)
        self.enabled = True
        self.strength = 0.0
        self.node.setAlphaScale(0.0)

    def update(self, dt: float) -> None:
        target = 1.0 if (self.enabled and self.navigation.moving) else 0.0
        step = dt / FADE_SECONDS
        self.strength = min(target, self.strength + step) if target > self.strength \
            else max(target, self.strength - step)
        self.node.setAlphaScale(self.strength)
