"""Textures: checked, resized to powers of two within a maximum, encoded compactly."""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path
from typing import cast

from PIL import Image, UnidentifiedImageError

from tools.errors import AssetError

MAX_TEXTURE_EDGE = 8192  # source images, before they are scaled to the package's maximum
MAX_SOURCE_PIXELS = MAX_TEXTURE_EDGE * MAX_TEXTURE_EDGE
_TOO_BIG_HINT = f"scale it down to at most {MAX_TEXTURE_EDGE} pixels a side before adding it"


def _over_limit(width: int, height: int) -> bool:
    return width > MAX_TEXTURE_EDGE or height > MAX_TEXTURE_EDGE or \
        width * height > MAX_SOURCE_PIXELS


def _too_big(file: str, what: str, width: int | None, height: int | None) -> AssetError:
    size = f"{width}x{height}" if width is not None else "too large to open safely"
    return AssetError(file, f"{what} is {size}, over the limit of "
                      f"{MAX_TEXTURE_EDGE}x{MAX_TEXTURE_EDGE}", _TOO_BIG_HINT)


def _open(source: Path | io.BytesIO) -> Image.Image:
    """Open an image lazily; the pixel count is checked by the caller, not by PIL's warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(source)


def check_image_header(name: str, data: bytes, model: Path) -> None:
    """Refuse a model's texture that is unreadable or over the limit, before decoding it."""
    what = f"texture `{name}`"
    try:
        with _open(io.BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise _too_big(str(model), what, None, None) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AssetError(str(model), f"{what} is not a readable image ({exc})",
                         "re-export the texture as PNG or JPEG") from exc
    if _over_limit(width, height):
        raise _too_big(str(model), what, width, height)


def open_image(path: Path) -> Image.Image:
    """Load an image fully, or raise ``AssetError`` naming the file."""
    try:
        with _open(path) as image:
            if _over_limit(image.width, image.height):
                raise _too_big(str(path), "image", image.width, image.height)
            image.load()
            return image.copy()
    except Image.DecompressionBombError as exc:
        raise _too_big(str(path), "image", None, None) from exc
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
    # an RGBA image's extrema are one (min, max) pair per band
    if has_alpha and cast("tuple[tuple[int, int], ...]", image.getextrema())[3][0] == 255:
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
