"""Textures, narration audio, speech synthesis and font subsets."""

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile
from fontTools.ttLib import TTFont
from PIL import Image

from tools.audio import espeak_available
from tools.audio_codec import normalize, synthesize
from tools.errors import AssetError
from tools.fonts import BASE_CHARACTERS, subset_font
from tools.ogg import set_serial
from tools.textures import open_image, prepare

FONT = Path(__file__).resolve().parents[2] / "assets/fonts/wqy-microhei.ttc"


def test_textures_become_powers_of_two_within_the_limit() -> None:
    data, mime = prepare(Image.new("RGB", (1000, 300), (10, 20, 30)), 512)
    image = Image.open(io.BytesIO(data))
    assert mime == "image/jpeg" and image.size == (512, 256)
    data, mime = prepare(Image.new("RGBA", (64, 64), (10, 20, 30, 100)), 2048)
    assert mime == "image/png" and Image.open(io.BytesIO(data)).mode == "RGBA"
    data, mime = prepare(Image.new("RGBA", (64, 64), (10, 20, 30, 255)), 2048)
    assert mime == "image/jpeg"  # an alpha channel that is all opaque is dropped


def test_broken_images_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(AssetError, match=r"bad.png: not a readable image"):
        open_image(bad)


def _tone(path: Path, seconds: float = 1.0, amplitude: float = 0.05, rate: int = 22050) -> None:
    t = np.arange(int(seconds * rate)) / rate
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 220 * t)], 1)
    soundfile.write(str(path), stereo * amplitude, rate)


def test_audio_is_normalized_to_mono_ogg_deterministically(tmp_path: Path) -> None:
    _tone(tmp_path / "quiet.wav", amplitude=0.01)
    first, seconds = normalize(tmp_path / "quiet.wav", "quiet")
    again, _ = normalize(tmp_path / "quiet.wav", "quiet")
    assert first == again and first[:4] == b"OggS"
    assert seconds == pytest.approx(1.0)
    samples, _ = soundfile.read(io.BytesIO(first))
    assert samples.ndim == 1
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(samples**2)))
    assert rms_dbfs == pytest.approx(-20, abs=1.5)


def test_broken_audio_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"ID3 not audio")
    with pytest.raises(AssetError, match=r"bad.mp3: cannot decode the audio"):
        normalize(bad, "bad")


def test_ogg_serial_rewrite_keeps_the_stream_valid(tmp_path: Path) -> None:
    _tone(tmp_path / "a.wav")
    buffer = io.BytesIO()
    soundfile.write(buffer, soundfile.read(str(tmp_path / "a.wav"))[0], 22050, format="OGG",
                    subtype="VORBIS")
    fixed = set_serial(buffer.getvalue(), 1234)
    assert fixed[14:18] == (1234).to_bytes(4, "little")
    assert len(soundfile.read(io.BytesIO(fixed))[0]) == 22050  # CRCs right: it decodes
    with pytest.raises(ValueError, match="not an Ogg page"):
        set_serial(b"RIFF....", 1)


def test_espeak_speaks_mandarin() -> None:
    assert espeak_available(), "scripts/setup installs espeak-ng"
    data, seconds = synthesize("十三根铁索", "test")
    assert data[:4] == b"OggS" and 0.5 < seconds < 10


def test_font_subset_holds_exactly_the_shown_characters() -> None:
    data, count = subset_font(FONT, "飞夺泸定桥")
    font = TTFont(io.BytesIO(data))
    kept = {chr(c) for c in font.getBestCmap()}
    assert set("飞夺泸定桥") <= kept
    assert kept - set(BASE_CHARACTERS) - {"\u3000"} == set("飞夺泸定桥")
    assert count == len(set("飞夺泸定桥" + BASE_CHARACTERS))
    assert len(data) < 60_000  # a subset, not the 5 MB source


def test_font_without_a_glyph_is_refused() -> None:
    with pytest.raises(AssetError, match="no glyph for 1 character"):
        subset_font(FONT, "红船\U0001F6A2")
