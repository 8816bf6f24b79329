"""Cached latents (frozen-encoder stage) equal encoding the clip's frames on the fly."""

from __future__ import annotations

from pathlib import Path

import torch

from jepa_wm.data.clips import ClipDataset
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train.latent_cache import LatentClips, encode_stores


def test_latent_clips_match_clip_dataset(synth_store: Path) -> None:
    torch.manual_seed(0)
    model = JepaWorldModel(model_config("tiny", {"action_dim": 2, "state_dim": 2})).eval()
    clips = ClipDataset([synth_store], clip_len=3, frame_skip=2)
    cached = LatentClips(clips, encode_stores(model, [synth_store], "cpu", chunk=7))
    assert len(cached) == len(clips)
    for i in (0, len(clips) // 2, len(clips) - 1):
        ref, got = clips[i], cached[i]
        with torch.no_grad():
            z = model.encode(ref["rgb"][None])[0]
        assert torch.allclose(got["latents"], z, atol=1e-5)
        assert torch.equal(got["state"], ref["state"])
        assert torch.allclose(got["action"], ref["action"])
