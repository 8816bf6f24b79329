"""Pictures for ``jepa-wm viz``: panels, the energy curve, the energy heat map, H.264 mp4.

Everything is drawn with OpenCV on uint8 RGB arrays [H, W, 3] (no plotting library needed) and
videos are written with PyAV's libx264 (yuv420p), which every browser and player opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE, BLACK, GREY = (255, 255, 255), (0, 0, 0), (150, 150, 150)
CURVE, SWITCH = (31, 119, 180), (214, 39, 40)


def upscale(img: np.ndarray, size: int) -> np.ndarray:
    """uint8 [h, w, 3] -> [size, size, 3], nearest neighbour (the planner's pixels stay visible)."""
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_NEAREST)


def label(img: np.ndarray, text: str, scale: float = 0.45) -> np.ndarray:
    """A copy of ``img`` with ``text`` top left, white on a dark band."""
    out = np.ascontiguousarray(img).copy()
    (w, h), base = cv2.getTextSize(text, FONT, scale, 1)
    out[: h + base + 6, : w + 8] = (out[: h + base + 6, : w + 8] * 0.35).astype(np.uint8)
    cv2.putText(out, text, (4, h + 3), FONT, scale, WHITE, 1, cv2.LINE_AA)
    return out


def energy_curve(
    energies: Sequence[float],
    total: int,
    width: int,
    height: int,
    top: float,
    switches: Sequence[int] = (),
) -> np.ndarray:
    """uint8 [height, width, 3]: energy per step so far on a fixed 0..top axis, ``total`` steps
    wide; red ticks where the planner switched to the next subgoal."""
    img = np.full((height, width, 3), 255, np.uint8)
    left, right, up, down = 48, 10, 22, 22
    x0, x1, y0, y1 = left, width - right, up, height - down
    cv2.rectangle(img, (x0, y0), (x1, y1), GREY, 1)
    cv2.putText(img, "energy to the current goal", (x0, 15), FONT, 0.42, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, f"{top:.2f}", (4, y0 + 8), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, "0", (30, y1), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, f"step (of {total})", (x1 - 95, height - 6), FONT, 0.38, BLACK, 1, cv2.LINE_AA)

    def xy(i: int, e: float) -> tuple[int, int]:
        x = x0 + (x1 - x0) * i / max(total - 1, 1)
        y = y1 - (y1 - y0) * min(max(e / top, 0.0), 1.0)
        return int(round(x)), int(round(y))

    for s in switches:
        x = xy(s, 0.0)[0]
        cv2.line(img, (x, y0), (x, y1), SWITCH, 1)
    pts = np.array([xy(i, e) for i, e in enumerate(energies)], np.int32)
    if len(pts) > 1:
        cv2.polylines(img, [pts], False, CURVE, 2, cv2.LINE_AA)
    if len(pts):
        cv2.circle(img, tuple(int(v) for v in pts[-1]), 4, CURVE, -1, cv2.LINE_AA)
        text = f"now {energies[-1]:.3f}"
        cv2.putText(img, text, (x1 - 110, y0 + 18), FONT, 0.5, CURVE, 1, cv2.LINE_AA)
    return img


def heat_map(
    energy: np.ndarray,
    x_values: np.ndarray,
    y_values: np.ndarray,
    names: tuple[str, str],
    marks: dict[str, tuple[float, float, tuple[int, int, int]]],
    title: str = "",
    size: int = 420,
) -> np.ndarray:
    """uint8 RGB picture of ``energy`` [ny, nx] over x_values [nx] × y_values [ny] (y up), with
    named markers ``{name: (x, y, rgb)}`` (outlined in black), a title and a colour bar (dark =
    low energy)."""
    lo, hi = float(np.nanmin(energy)), float(np.nanmax(energy))
    norm = ((energy - lo) / max(hi - lo, 1e-12) * 255).clip(0, 255).astype(np.uint8)
    body = cv2.applyColorMap(np.flipud(norm), cv2.COLORMAP_VIRIDIS)[..., ::-1]
    body = cv2.resize(body, (size, size), interpolation=cv2.INTER_NEAREST)
    pad_l, pad_t, pad_r, pad_b = 70, 30, 110, 55
    img = np.full((size + pad_t + pad_b, size + pad_l + pad_r, 3), 255, np.uint8)
    img[pad_t : pad_t + size, pad_l : pad_l + size] = body

    def px(x: float, y: float) -> tuple[int, int]:
        fx = (x - x_values[0]) / (x_values[-1] - x_values[0])
        fy = (y - y_values[0]) / (y_values[-1] - y_values[0])
        return int(pad_l + fx * (size - 1)), int(pad_t + (1 - fy) * (size - 1))

    for i, (name, (x, y, colour)) in enumerate(marks.items()):
        kind = cv2.MARKER_TILTED_CROSS if i % 2 else cv2.MARKER_CROSS
        for where, length in ((px(x, y), 18), ((pad_l + i * 190, pad_t + size + 36), 12)):
            cv2.drawMarker(img, where, BLACK, kind, length + 2, 5, cv2.LINE_AA)
            cv2.drawMarker(img, where, colour, kind, length, 2, cv2.LINE_AA)
        lx, ly = pad_l + i * 190, pad_t + size + 40  # the legend, in one row under the map
        cv2.putText(img, name, (lx + 10, ly), FONT, 0.42, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, title, (pad_l, 20), FONT, 0.45, BLACK, 1, cv2.LINE_AA)
    xs, ys = f"{x_values[0]:+.3f}", f"{x_values[-1]:+.3f}"
    cv2.putText(img, xs, (pad_l - 10, pad_t + size + 16), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, ys, (pad_l + size - 40, pad_t + size + 16), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, names[0], (pad_l + size // 2 - 10, pad_t + size + 16), FONT, 0.45, BLACK, 1)
    cv2.putText(img, f"{y_values[-1]:+.3f}", (4, pad_t + 10), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, f"{y_values[0]:+.3f}", (4, pad_t + size), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, names[1], (8, pad_t + size // 2), FONT, 0.45, BLACK, 1)
    bar = cv2.applyColorMap(
        np.linspace(255, 0, size).astype(np.uint8)[:, None], cv2.COLORMAP_VIRIDIS
    )
    img[pad_t : pad_t + size, pad_l + size + 15 : pad_l + size + 35] = bar[..., ::-1]
    bx = pad_l + size + 40
    cv2.putText(img, f"{hi:.3f}", (bx, pad_t + 10), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, f"{lo:.3f}", (bx, pad_t + size), FONT, 0.38, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, "energy", (bx, pad_t + size // 2), FONT, 0.42, BLACK, 1, cv2.LINE_AA)
    return img


def write_mp4(path: str | Path, frames: Sequence[np.ndarray], fps: float) -> None:
    """H.264 mp4 of uint8 RGB frames [H, W, 3] (H and W padded to even sizes for yuv420p)."""
    import av

    h, w = frames[0].shape[:2]
    eh, ew = h + h % 2, w + w % 2
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=max(1, round(fps)))
        stream.width, stream.height, stream.pix_fmt = ew, eh, "yuv420p"
        stream.options = {"crf": "23"}
        for f in frames:
            padded = np.full((eh, ew, 3), 255, np.uint8)
            padded[:h, :w] = f
            container.mux(stream.encode(av.VideoFrame.from_ndarray(padded, format="rgb24")))
        container.mux(stream.encode())


def save_png(path: str | Path, img: np.ndarray) -> None:
    """Write a uint8 RGB image as PNG; raises OSError when it cannot."""
    if not cv2.imwrite(str(path), np.ascontiguousarray(img[..., ::-1])):
        raise OSError(f"cannot write {path}")
