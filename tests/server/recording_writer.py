"""A process that records a tour until it is killed: ``python -m tests.server.recording_writer
FOLDER [TOUR]``. It prints the number of voice packets handed to the recorder after each, so the
test knows how much was written before its ``kill -9``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from protocol.tour_poses import Pose, Transform, encode_pose
from server.recording.recorder import FileTourRecorder
from server.recording.voices import VoicePolicy
from tests.server.recording_support import joined, opus_packets, tone


def main(folder: Path, tour: int) -> None:
    packets = opus_packets(tone(60.0))
    start = time.time()
    recorder = FileTourRecorder(folder, tour, start, VoicePolicy())
    recorder.event(start, joined(0, 1, "guide"))
    for i, packet in enumerate(packets):
        at = start + i * 0.02
        recorder.voice(0, at, packet)
        recorder.pose(0, at, encode_pose(Pose(Transform((i * 0.01, 1.6, 0.0)))))
        time.sleep(0.02)  # packets come as a speaker makes them
        print(i + 1, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 7)
