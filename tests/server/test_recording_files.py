"""Recording files: Ogg Opus that PyAV decodes with the tour's time kept through silences,
events as JSON lines, and a recording cut off by ``kill -9`` still playable and stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from protocol.ogg import ogg_crc
from server.recording.events import read_lines
from server.recording.ogg import complete_length, packet_samples
from server.recording.recorder import EVENTS, FileTourRecorder, voice_name
from server.recording.store import Recordings
from server.recording.voices import VoicePolicy
from tests.server.recording_support import decode, joined, opus_packets, rms, tone

ROOT = Path(__file__).resolve().parents[2]


def test_the_ogg_checksum_is_the_one_ogg_uses() -> None:
    # the CRC of an empty page header as libogg computes it ("OggS" alone)
    assert ogg_crc(b"OggS") == 0x5FB0A94F
    assert packet_samples(b"\xf8\xff\xfe") == 960
    assert packet_samples(b"") == 0
    assert packet_samples(b"\xfb\x00") == 0  # code 3 with no frames


def test_voice_keeps_the_tour_clock_across_a_silence(tmp_path: Path) -> None:
    start = 1_000_000.0
    recorder = FileTourRecorder(tmp_path / "r", 3, start, VoicePolicy())
    recorder.event(start, joined(0, 1, "guide"))
    first, second = opus_packets(tone(1.0, 440)), opus_packets(tone(1.0, 660))
    for i, packet in enumerate(first):  # words from 0 s to 1 s
        recorder.voice(0, start + i * 0.02, packet)
    for i, packet in enumerate(second):  # then from 2.5 s: 1.5 s said nothing
        recorder.voice(0, start + 2.5 + i * 0.02, packet)
    recorder.close()
    recorder.join(10)
    audio = decode(tmp_path / "r" / voice_name(0))
    assert 3.4 < len(audio) / 48_000 < 3.7
    assert rms(audio, 0.2, 0.9) > 3000
    assert rms(audio, 1.2, 2.4) < 200  # the silence is where it was
    assert rms(audio, 2.7, 3.4) > 3000
    # and the second word is the 660 Hz one, where the tour clock puts it
    part = audio[int(2.7 * 48_000):int(3.4 * 48_000)]
    spectrum = np.abs(np.fft.rfft(part))
    assert abs(np.argmax(spectrum) * 48_000 / len(part) - 660) < 5


def test_a_member_without_the_right_is_not_written(tmp_path: Path) -> None:
    start = 1_000_000.0
    policy = VoicePolicy(keep_members=True, consented={12})
    recorder = FileTourRecorder(tmp_path / "r", 3, start, policy)
    for seat, user, role in ((0, 1, "guide"), (1, 11, "member"), (2, 12, "member"),
                             (3, 13, "spectator")):
        recorder.event(start, joined(seat, user, role))  # type: ignore[arg-type]
    packets = opus_packets(tone(0.2))
    for seat in range(5):  # seat 4 never joined
        for i, packet in enumerate(packets):
            recorder.voice(seat, start + i * 0.02, packet)
    recorder.close()
    recorder.join(10)
    written = sorted(p.name for p in (tmp_path / "r").glob("*.opus"))
    assert written == [voice_name(0), voice_name(2)]


def test_hostile_voice_and_poses_are_dropped_not_written(tmp_path: Path) -> None:
    start = time.time()
    recorder = FileTourRecorder(tmp_path / "r", 3, start, VoicePolicy())
    recorder.event(start, joined(0, 1, "guide"))
    packet = opus_packets(tone(0.1))[0]
    recorder.voice(0, float("nan"), packet)  # taken at its arrival time
    recorder.voice(0, 1e300, packet)
    recorder.voice(0, start, b"")  # not an Opus packet
    recorder.voice(0, start, b"\xfb")
    recorder.voice(0, start - 1e9, packet)  # a clock gone wrong: nothing to place
    recorder.pose(0, start, b"\x50" + b"\x00" * 10)  # a torn pose
    recorder.close()
    recorder.join(10)
    audio = decode(tmp_path / "r" / voice_name(0))
    assert len(audio) / 48_000 < 0.2  # two packets at their arrival, nothing in 1e300 s
    lines = list(read_lines(tmp_path / "r" / EVENTS))
    assert [line for line in lines if "pose" in line] == []


def test_a_recording_killed_with_sigkill_plays_to_its_last_page(tmp_path: Path) -> None:
    folder = tmp_path / "live" / "7-1"
    folder.parent.mkdir()
    writer = subprocess.Popen([sys.executable, "-m", "tests.server.recording_writer",
                               str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    handed = 0
    deadline = time.monotonic() + 60
    while handed < 100 and time.monotonic() < deadline:
        handed = int(writer.stdout.readline() or 0)
    time.sleep(0.1)  # the writer thread catches up with what was handed over
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    voice = folder / voice_name(0)
    data = voice.read_bytes()
    assert complete_length(data) == len(data)  # page by page, none torn
    audio = decode(voice)
    assert len(audio) / 48_000 >= handed * 0.02 - 0.1
    assert rms(audio, 0.2, handed * 0.02 - 0.2) > 3000
    with (folder / EVENTS).open("ab") as events:
        events.write(b'{"t": 1.0, "message": {"ty')  # as if cut mid-line
    # the next start stores it: the lock died with the process
    store = Recordings(tmp_path)
    store.live = folder.parent
    assert list(store.abandoned()) == [folder]
    tour, sha = store.store(folder)
    assert tour == 7
    index = store.index(sha)
    assert index is not None and index["tour"] == 7
    [track] = index["voices"]
    assert track["seat"] == 0 and track["role"] == "guide" and track["user"] == 1
    assert track["seconds"] >= handed * 0.02 - 0.1
    stored = store.path(track["sha256"], ".opus")
    assert stored is not None
    assert len(decode(stored)) == len(audio)
    events_path = store.path(index["events"]["sha256"], ".jsonl")
    assert events_path is not None
    assert events_path.read_bytes().endswith(b"\n")
    poses = [line["pose"] for line in read_lines(events_path) if "pose" in line]
    assert len(poses) >= handed * 0.02 * 10 * 0.8  # about ten a second
    assert all(b["t"] - a["t"] >= 0.099 for a, b in zip(
        [line for line in read_lines(events_path) if "pose" in line],
        [line for line in read_lines(events_path) if "pose" in line][1:], strict=False))
    assert json.loads(next(iter(events_path.read_bytes().splitlines())))["recording"] == 1


def test_the_queue_is_bounded_and_never_waits(tmp_path: Path) -> None:
    start = time.time()
    recorder = FileTourRecorder(tmp_path / "r", 3, start, VoicePolicy())
    recorder.event(start, joined(0, 1, "guide"))
    packet = opus_packets(tone(0.1))[0]
    began = time.perf_counter()
    for i in range(50_000):
        recorder.voice(0, start + i * 0.02, packet)
    assert time.perf_counter() - began < 2.0
    recorder.close()
    recorder.join(30)
    assert not recorder._thread.is_alive()
