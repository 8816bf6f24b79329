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
