"""Camera capture through OpenCV: a device index ("0"), a video file, or a stream URL.

Frames come back as RGB uint8 (H, W, 3), optionally resized. A file can loop, so a recorded
video can stand in for a live camera in tests and demos.

Usage::

    cam = Camera.open("0", width=640, height=480)   # or "clip.mp4", "rtsp://..."
    rgb = cam.read()                                 # (H, W, 3) uint8, CameraError when it fails
    cam.close()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


class CameraError(RuntimeError):
    """The camera cannot be opened, or a frame cannot be read."""


@dataclass
class Camera:
    """An opened OpenCV capture. Use ``Camera.open``; ``read`` returns RGB frames."""

    source: str
    capture: cv2.VideoCapture
    size: tuple[int, int] | None = None  # (width, height) to resize to, None = native
    loop: bool = False
    frames_read: int = 0

    @classmethod
    def open(cls, source: str | int, width: int = 0, height: int = 0, loop: bool = False) -> Camera:
        """Open a device index (int or digit string), a file path or a URL."""
        src = str(source)
        is_index = src.isdigit()
        if not is_index and "://" not in src and not Path(src).is_file():
            raise CameraError(
                f"camera source {src!r}: no such file (and not a device index or URL)"
            )
        cap = cv2.VideoCapture(int(src) if is_index else src)
        if not cap.isOpened():
            raise CameraError(f"camera source {src!r}: OpenCV could not open it")
        size = (int(width), int(height)) if width > 0 and height > 0 else None
        return cls(src, cap, size, loop and not is_index)

    @property
    def fps(self) -> float:
        """The source's nominal frame rate (0 if unknown)."""
        return float(self.capture.get(cv2.CAP_PROP_FPS) or 0.0)

    def read(self) -> np.ndarray:
        """The next frame as RGB uint8 (H, W, 3). Files rewind at the end when ``loop``."""
        ok, bgr = self.capture.read()
        if not ok and self.loop and self.frames_read > 0:
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, bgr = self.capture.read()
        if not ok or bgr is None:
            raise CameraError(
                f"camera source {self.source!r}: no frame (end of stream or device lost)"
            )
        self.frames_read += 1
        if self.size is not None and (bgr.shape[1], bgr.shape[0]) != self.size:
            bgr = cv2.resize(bgr, self.size, interpolation=cv2.INTER_AREA)
        if bgr.ndim == 2:
            return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        """Release the device or file."""
        self.capture.release()


def intrinsics(width: int, height: int, fov_deg: float) -> np.ndarray:
    """Pinhole K (3, 3) for a vertical field of view, as used for CameraInfo."""
    f = 0.5 * height / np.tan(np.deg2rad(fov_deg) / 2)
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], dtype=np.float64)
