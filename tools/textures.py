"""Textures: checked, resized to powers of two within a maximum, encoded compactly."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from tools.errors import AssetError

MAX_SOURCE_PIXELS = 16384 * 16384


def open_image(path: Path) -> Image.Image:
    """Load an image fully, or raise ``AssetError`` naming the file."""
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise AssetError(str(path), f"image is {image.width}x{image.height}, over the "
                                 "limit of 16384x16384", "scale it down before adding it")
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AssetError(str(path), f"not a readable image ({exc})",
                         "re-export it as PNG or JPEG") from exc


def _pow2_at_most(value: int, limit: int) -> int:
    size = 1
    while size * 2 <= min(value, limit):
        size *= 2
    # Round up when the next power of two is closer and still allowed.
    if size * 2 <= limit and (size * 2 - value) < (value - size):
        size *= 2
    return size


def prepare(image: Image.Image, max_size: int) -> tuple[bytes, str]:
    """Power-of-two, at most ``max_size`` per side; PNG if it needs alpha, else JPEG.

    Returns the encoded bytes and their MIME type.
    """
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getextrema()[3][0] == 255:
        image, has_alpha = image.convert("RGB"), False
    size = (_pow2_at_most(image.width, max_size), _pow2_at_most(image.height, max_size))
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
        image.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    image.save(out, format="JPEG", quality=88, optimize=True, subsampling="4:2:0")
    return out.getvalue(), "image/jpeg"


def image_key(image: Image.Image) -> str:
    """Content identity of decoded pixels, used to deduplicate textures."""
    digest = hashlib.sha256(f"{image.mode}{image.size}".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()
