"""Convert ROS 2 image messages to and from RGB numpy arrays (numpy + cv2 only, no ROS import).

Used by the ROS nodes (live ``sensor_msgs/Image`` / ``CompressedImage``) and by the bag converter
(``jepa_wm.bags``), so both decode pixels the same way.

Usage::

    rgb = image_msg_to_rgb(msg.data, msg.encoding, msg.height, msg.width, msg.step)  # (H, W, 3) uint8
    fields = rgb_to_image_fields(rgb)          # dict for sensor_msgs/Image(**fields) minus header
    rgb = compressed_to_rgb(msg.data, msg.format)
    data = rgb_to_compressed(rgb, "png")       # bytes for sensor_msgs/CompressedImage.data
"""

from __future__ import annotations

from typing import Any

import numpy as np

# encoding -> (channels, channel order as read from the buffer); 8-bit only.
_LAYOUTS: dict[str, tuple[int, str]] = {
    "rgb8": (3, "rgb"),
    "bgr8": (3, "bgr"),
    "rgba8": (4, "rgba"),
    "bgra8": (4, "bgra"),
    "mono8": (1, "mono"),
}
SUPPORTED_ENCODINGS: tuple[str, ...] = tuple(_LAYOUTS)
SUPPORTED_COMPRESSED_FORMATS: tuple[str, ...] = ("jpeg", "png")
# One rule for raw and compressed images: camera inputs are 8-bit. These encodings (depth
# cameras, HDR) are refused with the same message as a PNG that decodes to 16-bit samples.
_DEEP_ENCODINGS = {
    "16uc1": "16-bit", "16sc1": "16-bit", "mono16": "16-bit", "rgb16": "16-bit",
    "bgr16": "16-bit", "rgba16": "16-bit", "bgra16": "16-bit", "16uc3": "16-bit",
    "32fc1": "32-bit float", "32sc1": "32-bit", "64fc1": "64-bit float",
}  # fmt: skip


def _deep_error(what: str, depth: str) -> ImageEncodingError:
    return ImageEncodingError(
        f"{what} holds {depth} samples (a depth image?): camera inputs must be 8-bit; "
        f"supported: {', '.join(SUPPORTED_ENCODINGS)}, or 8-bit jpeg/png"
    )


class ImageEncodingError(ValueError):
    """An image uses an encoding we cannot turn into RGB, or its buffer does not match its size.

    ``hardware`` may not import ``jepa_wm``, so this subclasses ValueError; the bag converter
    re-raises it as a ``BagError``.
    """


def _as_uint8(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data.reshape(-1).view(np.uint8) if data.dtype != np.uint8 else data.reshape(-1)
    return np.frombuffer(data, dtype=np.uint8)


def image_msg_to_rgb(
    data: bytes | bytearray | memoryview | np.ndarray,
    encoding: str,
    height: int,
    width: int,
    step: int,
) -> np.ndarray:
    """Decode the pixel buffer of a ``sensor_msgs/Image`` into RGB.

    data: the raw buffer, ``step`` bytes per row (rows may be padded beyond ``width * channels``).
    Returns a new, C-contiguous uint8 array of shape (height, width, 3). Alpha is dropped and
    mono8 is replicated to three channels. Other encodings (16UC1 depth, 32FC1, bayer, yuv...)
    raise ImageEncodingError naming the supported ones; 16-bit and float ones say so, with the
    same words as a 16-bit PNG in ``compressed_to_rgb``.
    """
    enc = encoding.strip().lower()
    if enc in _DEEP_ENCODINGS:
        raise _deep_error(f"a {encoding} image", _DEEP_ENCODINGS[enc])
    if enc not in _LAYOUTS:
        raise ImageEncodingError(
            f"unsupported image encoding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}"
        )
    channels, order = _LAYOUTS[enc]
    height, width, step = int(height), int(width), int(step)
    row = width * channels
    buf = _as_uint8(data)
    if height <= 0 or width <= 0:
        raise ImageEncodingError(f"image has an empty size {height}x{width}")
    if step < row:
        raise ImageEncodingError(
            f"{encoding} image {height}x{width} declares step {step}, less than a row of {row} bytes"
        )
    if step > row and row * height <= buf.size < step * (height - 1) + row:
        raise ImageEncodingError(
            f"{encoding} image {height}x{width} declares rows padded to step {step} (> {row}), "
            f"but its buffer of {buf.size} bytes holds unpadded rows"
        )
    if buf.size < step * (height - 1) + row:
        raise ImageEncodingError(
            f"{encoding} image {height}x{width} with step {step} needs "
            f"{step * (height - 1) + row} bytes, buffer has {buf.size}"
        )
    if buf.size < step * height:  # last row unpadded: pad so the strided view is valid
        buf = np.concatenate([buf, np.zeros(step * height - buf.size, np.uint8)])
    img = buf[: step * height].reshape(height, step)[:, :row].reshape(height, width, channels)
    if order == "rgb":
        return np.ascontiguousarray(img)
    if order == "bgr":
        return np.ascontiguousarray(img[:, :, ::-1])
    if order == "rgba":
        return np.ascontiguousarray(img[:, :, :3])
    if order == "bgra":
        return np.ascontiguousarray(img[:, :, 2::-1])
    return np.ascontiguousarray(np.repeat(img, 3, axis=2))  # mono


def rgb_to_image_fields(rgb: np.ndarray, encoding: str = "rgb8") -> dict[str, Any]:
    """Fields of a ``sensor_msgs/Image`` (all but ``header``) holding ``rgb``.

    rgb: (H, W, 3) uint8. ``encoding`` is one of SUPPORTED_ENCODINGS (mono8 uses the luma).
    Returns {"height", "width", "encoding", "is_bigendian", "step", "data": bytes}.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ImageEncodingError(f"expected uint8 (H, W, 3), got {rgb.dtype} {rgb.shape}")
    enc = encoding.strip().lower()
    if enc == "rgb8":
        img = rgb
    elif enc == "bgr8":
        img = rgb[:, :, ::-1]
    elif enc in ("rgba8", "bgra8"):
        color = rgb if enc == "rgba8" else rgb[:, :, ::-1]
        img = np.concatenate([color, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
    elif enc == "mono8":
        luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        img = np.clip(np.rint(luma), 0, 255).astype(np.uint8)[:, :, None]
    else:
        raise ImageEncodingError(
            f"unsupported image encoding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}"
        )
    img = np.ascontiguousarray(img)
    h, w, c = img.shape
    return {
        "height": h,
        "width": w,
        "encoding": enc,
        "is_bigendian": 0,
        "step": w * c,
        "data": img.tobytes(),
    }


def _compressed_kind(fmt: str) -> str:
    """'jpeg' or 'png' from a CompressedImage.format such as 'jpeg' or 'rgb8; jpeg compressed bgr8'."""
    f = fmt.strip().lower()
    if "compresseddepth" in f.replace(" ", ""):
        raise ImageEncodingError(f"compressed depth images are not supported (format {fmt!r})")
    tail = f.split(";")[-1]
    for kind, words in (("jpeg", ("jpeg", "jpg")), ("png", ("png",))):
        if any(w in tail for w in words):
            return kind
    raise ImageEncodingError(
        f"unsupported compressed format {fmt!r}; supported: "
        f"{', '.join(SUPPORTED_COMPRESSED_FORMATS)}"
    )


def compressed_to_rgb(data: bytes | bytearray | memoryview | np.ndarray, format: str) -> np.ndarray:
    """Decode a ``sensor_msgs/CompressedImage`` (jpeg or png) to (H, W, 3) uint8 RGB via cv2.

    Grey images are replicated to three channels, alpha is dropped. A PNG of 16-bit samples
    (a depth camera through compressed_image_transport) raises ImageEncodingError, as a raw
    16UC1 image does: cv2's colour decoding would silently keep only the high byte.
    """
    import cv2

    _compressed_kind(format)
    declared = format.split(";")[0].strip().lower()
    if declared in _DEEP_ENCODINGS:
        raise _deep_error(f"a {format!r} compressed image", _DEEP_ENCODINGS[declared])
    buf = _as_uint8(data)
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if img is None:
        raise ImageEncodingError(f"could not decode {format!r} image ({buf.size} bytes)")
    if img.dtype != np.uint8:
        depth = f"{img.dtype.itemsize * 8}-bit" + (" float" if img.dtype.kind == "f" else "")
        raise _deep_error(f"a {format!r} compressed image", depth)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    code = cv2.COLOR_BGRA2RGB if img.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(img, code)


def rgb_to_compressed(rgb: np.ndarray, format: str = "jpeg", quality: int = 90) -> bytes:
    """Encode (H, W, 3) uint8 RGB as jpeg or png bytes (what compressed_image_transport sends)."""
    import cv2

    kind = _compressed_kind(format)
    bgr = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.uint8), cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if kind == "jpeg" else []
    ok, enc = cv2.imencode(".jpg" if kind == "jpeg" else ".png", bgr, params)
    if not ok:
        raise ImageEncodingError(f"cv2 could not encode a {kind} image")
    return enc.tobytes()
