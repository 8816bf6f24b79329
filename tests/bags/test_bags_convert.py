"""bag2zarr on synthetic bags written with rosbags: encodings, sync, episodes, errors."""

from __future__ import annotations

import numpy as np
import pytest

from jepa_wm.bags.config import BagConvertConfig, load_bag_config
from jepa_wm.bags.convert import convert_bags
from jepa_wm.bags.synth import SynthSpec, frame_rgb, joint_positions, write_synthetic_bag
from jepa_wm.cli.bag2zarr import _summary
from jepa_wm.config import from_dict
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import BagError, ConfigError

JOINTS = ["j1", "j2", "j3"]


def _cfg(**kw) -> BagConvertConfig:
    data = {"fps": 10.0, "state": {"joints": JOINTS}}
    data.update(kw)
    return from_dict(BagConvertConfig, data)


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_roundtrip_frames_states_and_metadata(tmp_path, storage: str) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=40), storage=storage)
    report = convert_bags([bag], tmp_path / "out.zarr", _cfg(), progress=False)
    st = TrajectoryStore.open(tmp_path / "out.zarr")
    ep = st.episode(0)
    # 20 Hz camera resampled to 10 Hz: every second frame, channel 0 holds the frame index
    assert report["frames"] == 20 and st.num_episodes == 1
    assert ep["rgb"][:, 0, 0, 0].tolist() == list(range(0, 40, 2))
    assert np.array_equal(ep["rgb"][3], frame_rgb(6, 32))
    # states at 100 Hz coincide with frame stamps: nearest sampling is exact
    t = ep["timestamp"] - ep["timestamp"][0]
    expect = np.stack([joint_positions(x, 3) for x in t])
    np.testing.assert_allclose(ep["state"], expect, atol=1e-6)
    np.testing.assert_allclose(ep["action"][:-1], np.diff(ep["state"], axis=0), atol=1e-6)
    assert np.all(ep["action"][-1] == 0)
    src = st.attrs["source"]
    assert src["bags"] == [str(bag.resolve())] and len(src["config_sha256"]) == 64
    assert src["topics"]["/camera/image_raw"] == "sensor_msgs/msg/Image"
    assert st.attrs["features"]["state"]["names"] == JOINTS


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8", "mono8", "png", "jpeg"])
def test_every_image_encoding(tmp_path, encoding: str) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=6, size=16, encoding=encoding))
    convert_bags([bag], tmp_path / "o.zarr", _cfg(fps=20.0), progress=False)
    rgb = TrajectoryStore.open(tmp_path / "o.zarr").episode(0)["rgb"]
    truth = np.stack([frame_rgb(i, 16) for i in range(6)]).astype(int)
    if encoding == "mono8":
        luma = truth @ np.array([0.299, 0.587, 0.114])
        assert np.abs(rgb[..., 0] - luma).max() <= 1 and np.all(rgb[..., 0] == rgb[..., 2])
    elif encoding == "jpeg":
        assert np.abs(rgb.astype(int) - truth).mean() < 6
    else:
        assert np.array_equal(rgb, truth)


def test_resize_and_crop(tmp_path) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=4, size=32))
    cfg = _cfg(fps=20.0, image={"crop": [0, 0, 32, 24], "center_square": True, "resize": [8, 8]})
    convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    assert TrajectoryStore.open(tmp_path / "o.zarr").episode(0)["rgb"].shape == (4, 8, 8, 3)


def test_out_of_order_stamps_are_sorted(tmp_path) -> None:
    # header stamps of frame pairs swapped relative to arrival (log) order
    def swap(i: int, log: int) -> int:
        return log + (50_000_000 if i % 2 == 0 else -50_000_000)

    spec = SynthSpec(frames=20, cam_fps=20.0, cam_stamp=swap)
    bag = write_synthetic_bag(tmp_path / "bag", spec)
    report = convert_bags([bag], tmp_path / "o.zarr", _cfg(fps=20.0), progress=False)
    ep = TrajectoryStore.open(tmp_path / "o.zarr").episode(0)
    assert report["bags"][0]["out_of_order_stamps"] > 0
    assert np.all(np.diff(ep["timestamp"]) > 0)
    # frames come out in stamp order: 1, 0, 3, 2, ...
    assert ep["rgb"][:4, 0, 0, 0].tolist() == [1, 0, 3, 2]


def test_clock_jump_splits_and_resyncs(tmp_path) -> None:
    # the sim clock restarts 100 s earlier half-way through (camera and joint states alike)
    jump = 100_000_000_000
    t_jump = int(1_700_000_000.0 * 1e9) + 2_000_000_000

    def cam(i: int, log: int) -> int:
        return log - jump if log >= t_jump else log

    spec = SynthSpec(frames=80, cam_stamp=cam, state_stamp=cam, commands=False)
    bag = write_synthetic_bag(tmp_path / "bag", spec)
    report = convert_bags([bag], tmp_path / "o.zarr", _cfg(), progress=False)
    st = TrajectoryStore.open(tmp_path / "o.zarr")
    assert report["bags"][0]["clock_jumps"] >= 1 and st.num_episodes == 2
    for i in range(2):
        ep = st.episode(i)
        assert np.all(np.diff(ep["timestamp"]) > 0)
        # each frame's state comes from its own clock epoch (the synthetic joint values are a
        # function of their header stamp; a cross-epoch match would be ~100 s off)
        expect = np.stack([joint_positions(x - 1_700_000_000.0, 3) for x in ep["timestamp"]])
        np.testing.assert_allclose(ep["state"], expect, atol=1e-6)


def test_missing_joint_name_is_refused(tmp_path) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=5))
    cfg = from_dict(BagConvertConfig, {"state": {"joints": ["j1", "elbow"]}})
    with pytest.raises(BagError, match="elbow"):
        convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    assert not (tmp_path / "o.zarr").exists()


def test_second_bag_missing_topic_writes_nothing(tmp_path) -> None:
    good = write_synthetic_bag(tmp_path / "good", SynthSpec(frames=10))
    cfg = _cfg(action={"source": "command", "topic": "/cmd_vel"})
    with pytest.raises(BagError, match="/cmd_vel"):
        convert_bags([good], tmp_path / "o.zarr", cfg, progress=False)
    assert not (tmp_path / "o.zarr").exists()


def test_command_actions_and_marker_episodes(tmp_path) -> None:
    spec = SynthSpec(frames=60, markers=[(0.2, True), (1.0, False), (1.5, True), (2.6, False)])
    bag = write_synthetic_bag(tmp_path / "bag", spec)
    cfg = _cfg(
        action={"source": "command", "topic": "/arm_controller/joint_trajectory"},
        episodes={"split": "marker", "marker_topic": "/episode_marker"},
    )
    report = convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    st = TrajectoryStore.open(tmp_path / "o.zarr")
    assert st.num_episodes == 2 and report["bags"][0]["dropped"]["outside_episode"] > 0
    ep = st.episode(0)
    t = ep["rgb"][:, 0, 0, 0] / 20.0
    # the trajectory command sent after frame t targets the joints at t + 1/20 s
    expect = np.stack([joint_positions(x + 0.05, 3) for x in t])
    np.testing.assert_allclose(ep["action"], expect, atol=1e-6)
    assert t[0] >= 0.2 and t[-1] <= 1.0
    assert st.attrs["features"]["action"]["names"] == JOINTS


def test_twist_commands(tmp_path) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=20, twist=True))
    cfg = _cfg(
        action={"source": "command", "topic": "/cmd_vel", "twist_fields": ["linear.x", "angular.z"]}
    )
    convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    ep = TrajectoryStore.open(tmp_path / "o.zarr").episode(0)
    t = ep["rgb"][:, 0, 0, 0] / 20.0
    np.testing.assert_allclose(ep["action"][:, 0], np.cos(t), atol=1e-6)
    np.testing.assert_allclose(ep["action"][:, 1], np.sin(t), atol=1e-6)


def test_odometry_state_and_array_commands(tmp_path) -> None:
    spec = SynthSpec(frames=30, odom=True, array_commands=True, commands=False)
    bag = write_synthetic_bag(tmp_path / "bag", spec)
    cfg = from_dict(
        BagConvertConfig,
        {
            "fps": 20.0,
            "state": {"odom_topic": "/odom", "method": "linear"},
            "action": {"source": "command", "topic": "/expert/action", "names": ["v", "w"]},
        },
    )
    convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    st = TrajectoryStore.open(tmp_path / "o.zarr")
    ep = st.episode(0)
    t = ep["rgb"][:, 0, 0, 0] / 20.0
    yaw = np.angle(np.exp(3j * t))  # wrapped to (-pi, pi]
    np.testing.assert_allclose(ep["state"], np.stack([t, 2 * t, yaw], 1), atol=1e-5)
    np.testing.assert_allclose(ep["action"], np.stack([t, -t], 1), atol=1e-6)
    assert st.attrs["features"]["state"]["names"] == ["odom.x", "odom.y", "odom.yaw"]
    assert st.attrs["features"]["action"]["names"] == ["v", "w"]


def test_linear_interpolation_and_gap_split(tmp_path) -> None:
    # states at 30 Hz rarely coincide with 20 Hz frames; a 0.6 s camera dropout splits episodes
    spec = SynthSpec(frames=40, state_fps=30.0, skip_frames=tuple(range(15, 27)), commands=False)
    bag = write_synthetic_bag(tmp_path / "bag", spec)
    cfg = _cfg(fps=20.0, state={"joints": JOINTS, "method": "linear", "tolerance": 0.05})
    convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    st = TrajectoryStore.open(tmp_path / "o.zarr")
    assert st.num_episodes == 2
    ep = st.episode(0)
    t = ep["rgb"][:, 0, 0, 0] / 20.0
    expect = np.stack([joint_positions(x, 3) for x in t])
    np.testing.assert_allclose(ep["state"], expect, atol=2e-3)  # linear vs smooth truth


def test_config_yaml_rejects_unknown_keys(tmp_path) -> None:
    (tmp_path / "t.yaml").write_text("fps: 5\nstate: {joints: [a], colour: red}\n")
    with pytest.raises(ConfigError, match="colour"):
        load_bag_config(tmp_path / "t.yaml")
    (tmp_path / "t.yaml").write_text("fps: 5\nstate: {joints: [a, b]}\n")
    assert load_bag_config(tmp_path / "t.yaml").state.joints == ("a", "b")


def test_failure_after_first_episode_leaves_no_store(tmp_path) -> None:
    from jepa_wm.errors import JepaWmError

    small = write_synthetic_bag(tmp_path / "small", SynthSpec(frames=6, size=16))
    large = write_synthetic_bag(tmp_path / "large", SynthSpec(frames=6, size=24))
    # the second bag's frames do not fit the store's image shape (no image.resize)
    with pytest.raises(JepaWmError):
        convert_bags([small, large], tmp_path / "o.zarr", _cfg(), progress=False)
    assert not (tmp_path / "o.zarr").exists()
    convert_bags(
        [small, large], tmp_path / "o.zarr", _cfg(image={"resize": [8, 8]}), progress=False
    )
    assert TrajectoryStore.open(tmp_path / "o.zarr").num_episodes == 2


@pytest.mark.parametrize("partial", ["keep", "drop"])
def test_marker_episode_cut_by_a_crash_is_partial(tmp_path, partial: str) -> None:
    # a recorder killed mid-episode: the second episode starts at 1.5 s and is never stopped
    spec = SynthSpec(frames=60, markers=[(0.2, True), (1.0, False), (1.5, True)])
    bag = write_synthetic_bag(tmp_path / "bag", spec)
    cfg = _cfg(episodes={"split": "marker", "marker_topic": "/episode_marker", "partial": partial})
    report = convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    st = TrajectoryStore.open(tmp_path / "o.zarr")
    b = report["bags"][0]
    if partial == "keep":
        assert st.num_episodes == 2 and report["partial_episodes"] == [1]
        assert st.attrs["partial_episodes"] == [1] and b["partial_episodes"] == 1
        assert "cut off by a crash: 1 kept and marked partial, 0 dropped" in _summary(report)
    else:
        assert st.num_episodes == 1 and report["partial_episodes"] == []
        assert b["partial_dropped"] == 1 and b["dropped"]["partial_episode"] > 10
    first = st.episode(0)["rgb"][:, 0, 0, 0] / 20.0
    assert first[0] >= 0.2 and first[-1] <= 1.0  # the complete episode is untouched


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_unclosed_bag_last_gap_episode_is_partial(tmp_path, storage: str) -> None:
    # no markers: a bag its recorder never closed (no metadata.yaml) has its last episode cut
    spec = SynthSpec(frames=40, skip_frames=tuple(range(15, 27)), commands=False)
    bag = write_synthetic_bag(tmp_path / "bag", spec, storage=storage)
    closed = convert_bags([bag], tmp_path / "closed.zarr", _cfg(), progress=False)
    assert closed["episodes"] == 2 and closed["partial_episodes"] == []
    (bag / "metadata.yaml").unlink()
    report = convert_bags([bag], tmp_path / "o.zarr", _cfg(), progress=False)
    assert report["episodes"] == 2 and report["partial_episodes"] == [1]
    drop = _cfg(episodes={"partial": "drop"})
    report = convert_bags([bag], tmp_path / "d.zarr", drop, progress=False)
    assert report["episodes"] == 1 and report["bags"][0]["partial_dropped"] == 1


@pytest.mark.parametrize("method", ["nearest", "linear"])
def test_arm_and_gripper_on_separate_joint_state_messages_merge(tmp_path, method: str) -> None:
    # j1, j2 at 100 Hz from the arm's driver; j3 alone at 20 Hz from the gripper's
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=30, split_every=5))
    cfg = _cfg(state={"joints": JOINTS, "method": method})
    report = convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    ep = TrajectoryStore.open(tmp_path / "o.zarr").episode(0)
    assert report["frames"] >= 14 and not report["bags"][0]["dropped"].get("no_state")
    truth = np.stack([joint_positions(x - 1_700_000_000.0, 3) for x in ep["timestamp"]])
    np.testing.assert_allclose(ep["state"][:, :2], truth[:, :2], atol=1e-6)
    np.testing.assert_allclose(ep["state"][:, 2], truth[:, 2], atol=0.05)  # <= 50 ms old


def test_joint_in_no_message_names_what_was_seen(tmp_path) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=5, split_every=5))
    cfg = _cfg(state={"joints": ["j1", "finger"]})
    with pytest.raises(BagError, match=r"\['finger'\] appear in no JointState .*'j3'"):
        convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)


@pytest.mark.parametrize(
    ("delay", "warn", "offset"),
    [
        (0.001, None, 0.0),
        (-0.001, "stamped less than 5 ms before", -0.002),
        (0.13, "first command comes 130 ms", 0.129),
    ],
    ids=["on_time", "skew_1ms_early", "lag_130ms"],
)
def test_command_to_frame_offsets_reported_and_ambiguity_warned(
    tmp_path, delay: float, warn: str | None, offset: float
) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=40, command_delay=delay))
    action = {"source": "command", "topic": "/arm_controller/joint_trajectory"}
    report = convert_bags([bag], tmp_path / "a.zarr", _cfg(fps=20.0, action=action), progress=False)
    b = report["bags"][0]
    assert abs(b["command_offset_ms"]["median"] - (delay * 1e3) % 50.0) < 0.5
    assert abs(b["first_command_lag_ms"] - max(delay, 0.0) * 1e3) < 0.5 or delay < 0
    if warn is None:
        assert not b["warnings"]
    else:
        assert any(warn in w and "ambiguous" in w for w in b["warnings"]), b["warnings"]
    # with the measured offset set, each frame gets the command computed from it
    cfg = _cfg(fps=20.0, action={**action, "offset": offset})
    convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    ep = TrajectoryStore.open(tmp_path / "o.zarr").episode(0)
    t = ep["rgb"][:, 0, 0, 0] / 20.0
    expect = np.stack([joint_positions(x + 0.05, 3) for x in t])
    np.testing.assert_allclose(ep["action"][:-4], expect[:-4], atol=1e-6)
