"""Offline training of world models on trajectory stores.

Where things live:

* ``trainer.py`` - ``train()``: the run's stages (``Stage``: name, steps, and whether it trains on
  frames or on latents cached from the frozen encoder), the loop, logs, checkpoints;
* ``state.py`` - ``TrainState``: everything ``--resume`` restores (stage, step, best validation,
  optimizer and objective tensors), saved and loaded there only (safetensors + JSON, no pickle);
* ``objectives.py`` - the ``Objective`` interface (forward, ``update_target``, ``finish_stage``,
  ``heads``, ``resume_parts``, with no-op defaults) and the prediction, VICReg and SIGReg
  objectives; ``masked.py`` - the masked-prediction objective;
* ``data.py`` - stores -> train/val clips, normalisation stats, the typed ``Batch``;
* ``latent_cache.py`` - the frozen encoder's latents of every frame, and clips over them;
* ``config.py`` - ``TrainConfig``; ``evaluate.py`` - validation losses and open-loop errors.
"""
