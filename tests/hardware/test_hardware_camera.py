"""Camera capture from a video file written with cv2.VideoWriter."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.camera import Camera, CameraError, intrinsics


def _write_video(path: Path, frames: int = 4) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 24))
    assert writer.isOpened()
    for i in range(frames):
        bgr = np.zeros((24, 32, 3), np.uint8)
        bgr[..., 2] = 200  # red in BGR
        bgr[:, : 8 * (i + 1), 1] = 100
        writer.write(bgr)
    writer.release()


def test_hardware_camera_reads_rgb_frames_and_loops(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    _write_video(video)
    cam = Camera.open(str(video), width=16, height=12, loop=True)
    frames = [cam.read() for _ in range(6)]  # 4 frames, then rewinds
    cam.close()
    assert all(f.shape == (12, 16, 3) and f.dtype == np.uint8 for f in frames)
    assert frames[0][..., 0].mean() > 150 and frames[0][..., 2].mean() < 50  # RGB order
    assert cam.frames_read == 6


def test_hardware_camera_end_of_file_and_missing_source(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    _write_video(video, frames=2)
    cam = Camera.open(video)
    cam.read()
    cam.read()
    with pytest.raises(CameraError, match="no frame"):
        cam.read()
    with pytest.raises(CameraError, match="no such file"):
        Camera.open(tmp_path / "missing.mp4")


def test_hardware_intrinsics_centre() -> None:
    k = intrinsics(64, 64, 90.0)
    assert k[0, 2] == 32 and k[1, 2] == 32 and k[0, 0] == pytest.approx(32.0)
