"""Training tests run torch on one thread; their store and config fixtures (``synth_store``,
``fast_cfg``) live in tests/conftest.py, shared with the app tests that train a model."""

from __future__ import annotations

import torch

torch.set_num_threads(1)
