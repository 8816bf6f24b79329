"""hardware.image_codec: every encoding both ways, padded rows, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from hardware.image_codec import (
    SUPPORTED_ENCODINGS,
    ImageEncodingError,
    compressed_to_rgb,
    image_msg_to_rgb,
    rgb_to_compressed,
    rgb_to_image_fields,
)

RGB = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)


@pytest.mark.parametrize("encoding", [e for e in SUPPORTED_ENCODINGS if e != "mono8"])
def test_color_encodings_roundtrip(encoding: str) -> None:
    f = rgb_to_image_fields(RGB, encoding)
    out = image_msg_to_rgb(f["data"], f["encoding"], f["height"], f["width"], f["step"])
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    assert np.array_equal(out, RGB)


def test_mono8_is_replicated_luma() -> None:
    f = rgb_to_image_fields(RGB, "mono8")
    out = image_msg_to_rgb(np.frombuffer(f["data"], np.uint8), "mono8", 5, 7, 7)
    luma = RGB.astype(float) @ [0.299, 0.587, 0.114]
    assert np.abs(out[..., 0] - luma).max() <= 0.5 and np.all(out[..., 0] == out[..., 2])


def test_padded_rows_and_short_last_row() -> None:
    rows = np.frombuffer(rgb_to_image_fields(RGB)["data"], np.uint8).reshape(5, 21)
    padded = np.concatenate([rows, np.full((5, 11), 77, np.uint8)], axis=1)  # step 32
    assert np.array_equal(image_msg_to_rgb(padded.tobytes(), "rgb8", 5, 7, 32), RGB)
    short = padded.reshape(-1)[: 32 * 4 + 21]  # publishers may drop the last row's padding
    assert np.array_equal(image_msg_to_rgb(short.tobytes(), "rgb8", 5, 7, 32), RGB)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ImageEncodingError, match="16UC1.*supported: rgb8"):
        image_msg_to_rgb(b"\0" * 8, "16UC1", 2, 2, 4)
    with pytest.raises(ImageEncodingError, match="needs 105 bytes"):
        image_msg_to_rgb(b"\0" * 50, "rgb8", 5, 7, 21)
    with pytest.raises(ImageEncodingError, match="compressed depth"):
        compressed_to_rgb(b"x", "16UC1; compressedDepth")
    with pytest.raises(ImageEncodingError, match="could not decode"):
        compressed_to_rgb(b"definitely not a png", "png")
    assert issubclass(ImageEncodingError, ValueError)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "rgb8; jpeg compressed bgr8"])
def test_compressed_roundtrip(fmt: str) -> None:
    img = np.tile(np.linspace(0, 255, 32, dtype=np.uint8)[None, :, None], (16, 1, 3))
    out = compressed_to_rgb(rgb_to_compressed(img, fmt, quality=95), fmt)
    tol = 0 if fmt == "png" else 4
    assert out.shape == img.shape and np.abs(out.astype(int) - img).max() <= tol


def _png(img: np.ndarray) -> bytes:
    import cv2

    ok, enc = cv2.imencode(".png", img)
    assert ok
    return enc.tobytes()


@pytest.mark.parametrize(
    ("kind", "decode"),
    [
        ("raw 16UC1", lambda d: image_msg_to_rgb(d.tobytes(), "16UC1", 4, 6, 12)),
        ("raw mono16", lambda d: image_msg_to_rgb(d.tobytes(), "mono16", 4, 6, 12)),
        ("16-bit png", lambda d: compressed_to_rgb(_png(d), "png")),
        (
            "16-bit png, format says so",
            lambda d: compressed_to_rgb(_png(d), "16UC1; png compressed"),
        ),
        ("16-bit colour png", lambda d: compressed_to_rgb(_png(np.dstack([d] * 3)), "png")),
    ],
)
def test_16_bit_images_one_rule(kind: str, decode) -> None:
    # depth in mm (1000..5000): cv2's colour decode used to turn a png of it into values 3..19
    depth = np.linspace(1000, 5000, 24).astype(np.uint16).reshape(4, 6)
    with pytest.raises(ImageEncodingError, match="16-bit samples .*camera inputs must be 8-bit"):
        decode(depth)


def test_8_bit_grey_and_alpha_png_decode() -> None:
    grey = np.arange(24, dtype=np.uint8).reshape(4, 6)
    out = compressed_to_rgb(_png(grey), "png")
    assert out.shape == (4, 6, 3) and np.array_equal(out[..., 1], grey)
    bgra = np.dstack([grey, grey + 1, grey + 2, np.full_like(grey, 9)])
    np.testing.assert_array_equal(compressed_to_rgb(_png(bgra), "png")[..., 0], grey + 2)
