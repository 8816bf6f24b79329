"""keys.camera_name: the one place a key (store or dataset feature) becomes a camera name."""

from __future__ import annotations

import pytest

from jepa_wm.data import keys as K


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("rgb", "main"),
        ("rgb_wrist", "wrist"),
        ("observation.images.front", "front"),
        ("observation.images.cam-high", "cam_high"),
        ("observation.image", "image"),
    ],
)
def test_camera_name_of_store_keys_and_lerobot_features(key: str, name: str) -> None:
    assert K.camera_name(key) == name
    assert K.is_rgb_key(f"rgb_{name}")  # a LeRobot camera's store key is valid
