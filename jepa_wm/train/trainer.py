"""The training loop: stages, AdamW + warmup/cosine, DDP, JSONL logs, checkpoints, resume.

Run directory layout::

    <run>/model.safetensors, model.json     latest weights (load_world_model(<run>))
    <run>/best/model.*                      best validation checkpoint
    <run>/config.yaml                       the resolved TrainConfig, its model whole and with
                                            the data's action/state dims
    <run>/train_state.*                     optimizer/EMA/step for --resume (no pickle):
                                            a TrainState (jepa_wm/train/state.py)
    <run>/log.jsonl                         one JSON object per log/validation event

Under ``torchrun`` every process trains on its own random clips; gradients are averaged by
DistributedDataParallel (gloo on CPU, nccl on CUDA); rank 0 alone writes files.

Each :class:`Stage` says what it trains on (frames, or latents cached from the frozen encoder);
its objective is an :class:`~jepa_wm.train.objectives.Objective`, and batches reach it as a
typed :class:`~jepa_wm.train.data.Batch`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import DataLoader, RandomSampler, Subset

from jepa_wm.config import save_config
from jepa_wm.errors import CheckpointError, ConfigError
from jepa_wm.models.checkpoint import META, load_encoder_weights, load_world_model, save_checkpoint
from jepa_wm.models.config import ModelConfig
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train import distributed as dist_util
from jepa_wm.train.config import TrainConfig
from jepa_wm.train.data import Batch, Inputs, TrainData, drop_nonfinite, prepare_data
from jepa_wm.train.evaluate import validation_losses
from jepa_wm.train.losses import rankme
from jepa_wm.train.masked import MaskedObjective
from jepa_wm.train.objectives import (
    Objective,
    PredictionObjective,
    SIGRegObjective,
    SSLObjective,
)
from jepa_wm.train.state import TrainState

if TYPE_CHECKING:
    from tqdm import tqdm

if TYPE_CHECKING:
    from jepa_wm.train.tb_log import TensorBoardLog


@dataclass(frozen=True)
class Stage:
    """One training stage: its name (pretrain, predictor or joint), its steps, and what it
    trains on (frames, or with ``cache_latents`` the frozen encoder's cached latents)."""

    name: str
    steps: int
    inputs: Inputs = "frames"


def stages(cfg: TrainConfig) -> list[Stage]:
    """The stages of a run, in order."""
    if cfg.mode == "two_stage":
        predictor_inputs: Inputs = "latents" if cfg.cache_latents else "frames"
        return [
            Stage("pretrain", cfg.pretrain_steps),
            Stage("predictor", cfg.steps, predictor_inputs),
        ]
    return [Stage("joint", cfg.steps)]


def lr_at(cfg: TrainConfig, step: int, total: int, time_frac: float = 0.0) -> float:
    """Linear warmup then cosine decay to 10% of ``cfg.lr``.

    ``time_frac`` (elapsed / time budget) advances the decay when a wall-clock budget is the
    binding limit, so a time-limited run still ends at the low learning rate.
    """
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    frac = max((step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps), time_frac)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def _loaders(cfg: TrainConfig, data: TrainData, rank: int) -> tuple[DataLoader, DataLoader]:
    g = torch.Generator().manual_seed(cfg.seed * 1000 + rank)
    sampler = RandomSampler(data.train, replacement=True, num_samples=1 << 40, generator=g)
    train = DataLoader(
        data.train,
        batch_size=cfg.batch_size,
        sampler=sampler,
        num_workers=cfg.num_workers,
        drop_last=True,
        persistent_workers=cfg.num_workers > 0,
    )
    n_val = min(len(data.val), cfg.val_batches * cfg.batch_size)
    idx = torch.linspace(0, len(data.val) - 1, n_val).long().unique().tolist()
    val = DataLoader(Subset(data.val, idx), batch_size=cfg.batch_size, shuffle=False)
    return train, val


_PRETRAIN = {"vicreg": SSLObjective, "sigreg": SIGRegObjective, "masked": MaskedObjective}


def _build_objective(
    model: JepaWorldModel, cfg: TrainConfig, stage: str, inputs: Inputs = "frames"
) -> Objective:
    """The objective of stage ``stage`` (pretrain, predictor, joint) on ``inputs``."""
    if stage == "pretrain":
        return _PRETRAIN[cfg.objective](model, cfg)
    return PredictionObjective(model, cfg, train_encoder=(stage == "joint"), inputs=inputs)


def _optimizer(objective: Objective, cfg: TrainConfig, stage: str) -> torch.optim.Optimizer:
    """AdamW over what stage ``stage`` trains: encoder and/or predictor, and the objective's
    heads (each group with its ``lr_scale``)."""
    model = objective.model
    groups = []
    if stage in ("pretrain", "joint"):
        groups.append(
            {"params": list(model.encoder.parameters()), "lr_scale": cfg.encoder_lr_scale}
        )
    if stage in ("predictor", "joint"):
        groups.append({"params": list(model.predictor.parameters()), "lr_scale": 1.0})
    for head in objective.heads().values():
        groups.append({"params": list(head.parameters()), "lr_scale": 1.0})
    return torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _prepare_run_dir(out: Path, resume: bool, rank: int) -> None:
    if rank != 0:
        return
    if not resume and (out / META).exists():
        raise ConfigError(f"{out} already holds a run; pass --resume or choose another --out")
    out.mkdir(parents=True, exist_ok=True)


def _init_model(cfg: TrainConfig, data: TrainData, out: Path, resume: bool) -> JepaWorldModel:
    """A fresh model, the run's own checkpoint (resume), or a full init from ``cfg.init_from``."""
    mcfg = cfg.model_config(data.action_dim, data.state_dim)
    source = out if resume else cfg.init_from
    if source:
        # init_from keeps the checkpoint's normalisation stats: its predictor was trained on them.
        model = load_world_model(source).train()
        if model.config != mcfg:
            if resume or _with_context(model.config, 1) != _with_context(mcfg, 1):
                raise CheckpointError(
                    f"{source}: the saved model config differs from this run's config"
                )
            # Only the attention window differs: the weights fit, so a Markov predictor can be
            # fine-tuned into one with a longer context.
            widened = JepaWorldModel(mcfg)
            widened.load_state_dict(model.state_dict())
            model = widened.train()
        return model
    model = JepaWorldModel(mcfg)
    model.set_normalization(data.stats)
    if cfg.encoder_init:
        load_encoder_weights(model, cfg.encoder_init)
    return model


def _resumable_parts(objective: Objective) -> dict[str, torch.nn.Module]:
    """Parts of the objective outside the model that a resume needs, by train-state key prefix
    (:meth:`~jepa_wm.train.objectives.Objective.resume_parts`)."""
    return objective.resume_parts()


def _with_context(cfg: ModelConfig, context_len: int) -> ModelConfig:
    return dataclasses.replace(
        cfg, predictor=dataclasses.replace(cfg.predictor, context_len=context_len)
    )


_IMAGE_KEYS = ("rgb", "state", "action")  # what a latent-error image needs of a batch


def _log(out: Path, rank: int, record: dict[str, Any]) -> None:
    if rank == 0:
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")


def train(
    cfg: TrainConfig,
    data_paths: list[str | Path],
    out_dir: str | Path,
    *,
    resume: bool = False,
    device: torch.device | str = "cpu",
    progress: bool = True,
    tensorboard: str | Path | None = None,
) -> dict[str, Any]:
    """Train a world model on ``data_paths`` into ``out_dir``; returns a JSON-able summary.

    tensorboard: also write the JSONL scalars and latent-error images there (see tb_log)."""
    rank, world = dist_util.setup(device)
    try:
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed + rank)
        out = Path(out_dir)
        _prepare_run_dir(out, resume, rank)
        dist_util.barrier()
        data = prepare_data(
            data_paths, cfg.clip_len, cfg.frame_skip, cfg.val_fraction, cfg.seed, cfg.model.views
        )
        # From here the config's model is the one trained: with the data's action/state dims.
        cfg = dataclasses.replace(cfg, model=cfg.model_config(data.action_dim, data.state_dim))
        if rank == 0:
            save_config(cfg, out / "config.yaml")
        state = TrainState.load(out) if resume else TrainState()
        model = _init_model(cfg, data, out, resume).to(device)
        loop = _Loop(cfg, data, model, out, rank, world, device, progress)
        if tensorboard is not None and rank == 0:
            from jepa_wm.train.tb_log import TensorBoardLog

            loop.tb = TensorBoardLog(tensorboard)
        try:
            summary = loop.run(state)
        finally:
            if loop.tb is not None:
                loop.tb.close()
        summary["data"] = data.sources
        return summary
    finally:
        dist_util.cleanup()


class _Loop:
    """Runs the stages of one training run (one instance per process)."""

    def __init__(
        self,
        cfg: TrainConfig,
        data: TrainData,
        model: JepaWorldModel,
        out: Path,
        rank: int,
        world: int,
        device: torch.device | str,
        progress: bool,
    ) -> None:
        self.cfg, self.data, self.model, self.out = cfg, data, model, out
        self.rank, self.world, self.device = rank, world, torch.device(device)
        self.progress = progress and rank == 0
        self.train_loader, self.val_loader = _loaders(cfg, data, rank)
        self.plan = stages(cfg)
        self.total = sum(st.steps for st in self.plan)
        self.steps_done = 0
        self.tb: TensorBoardLog | None = None  # on rank 0 with --tensorboard

    def _log(self, record: dict[str, Any]) -> None:
        _log(self.out, self.rank, record)
        if self.tb is not None:
            self.tb.record(record)

    def run(self, state: TrainState) -> dict[str, Any]:
        """Run the stages from ``state`` (a fresh TrainState, or a loaded one to resume)."""
        from tqdm import tqdm

        t0 = time.time()
        done = sum(st.steps for st in self.plan[: state.stage]) + state.step
        bar = tqdm(total=self.total, initial=done, disable=not self.progress, desc="train")
        last_val: dict[str, float] = {}
        for si in range(state.stage, len(self.plan)):
            if si > state.stage:
                state.next_stage()
            last_val = self._run_stage(self.plan[si], state, bar) or last_val
        bar.close()
        return {
            "steps": self.total,
            "steps_done": self.steps_done,
            "wall_s": time.time() - t0,
            "final_val": last_val,
            "best_val": None if math.isinf(state.best_val) else state.best_val,
            "nonfinite_dropped": state.nonfinite_dropped,
            "params": {
                "encoder": _count(self.model.encoder),
                "predictor": _count(self.model.predictor),
            },
        }

    def _run_stage(self, stage: Stage, state: TrainState, bar: tqdm) -> dict[str, float]:
        cfg = self.cfg
        name, n_steps = stage.name, stage.steps
        objective = _build_objective(self.model, cfg, name, stage.inputs).to(self.device)
        opt = _optimizer(objective, cfg, name)
        state.restore(opt, objective.resume_parts())
        wrapped = dist_util.wrap(objective, self.device)
        if stage.inputs == "latents":
            self._use_cached_latents()
        batches = iter(self.train_loader)
        val: dict[str, float] = {}
        tick, clips = time.time(), 0
        # A wall-clock (max_minutes) or CPU-time (max_cpu_minutes) budget is shared among
        # stages in proportion to their steps.
        clock = time.process_time if cfg.max_cpu_minutes > 0 else time.time
        minutes = cfg.max_cpu_minutes or cfg.max_minutes
        budget = minutes * 60.0 * n_steps / self.total
        start = clock()
        while state.step < n_steps:
            time_frac = (clock() - start) / budget if budget > 0 else 0.0
            step_lr = lr_at(cfg, state.step, n_steps, time_frac)
            for g in opt.param_groups:
                g["lr"] = step_lr * g.get("lr_scale", 1.0)
            # Position in the stage after this step, for the EMA momentum schedule.
            frac = max((state.step + 1) / n_steps, time_frac)
            batch = Batch.collate(next(batches), self.device)
            out, n = self._step(wrapped, objective, opt, batch, state, frac)
            clips += n * self.world
            state.step += 1
            self.steps_done += 1
            bar.update(1)
            if budget > 0 and dist_util.any_rank(clock() - start >= budget, self.device):
                n_steps = state.step  # out of time: this is the stage's last step
            if state.step % cfg.log_every == 0 or state.step == n_steps:
                dt = max(time.time() - tick, 1e-9)
                rec = {
                    "stage": name,
                    "step": state.step,
                    "lr": step_lr,
                    "clips_per_s": clips / dt,
                    "frames_per_s": clips * cfg.clip_len / dt,
                    "nonfinite_dropped": state.nonfinite_dropped,
                    **{k: float(v) for k, v in out.items() if k != "latents"},
                }
                rec["rankme"] = rankme(out["latents"].reshape(-1, out["latents"].shape[-1])[:4096])
                self._log(rec)
                bar.set_postfix(loss=f"{rec['loss']:.4f}")
                tick, clips = time.time(), 0
            if state.step == n_steps:
                objective.finish_stage()  # e.g. the masked objective keeps its EMA target
            if state.step % cfg.val_every == 0 or state.step == n_steps:
                val = self._validate(objective, name, state)
            if state.step % cfg.ckpt_every == 0 or state.step == n_steps:
                self._checkpoint(state, opt, objective)
        return val

    def _use_cached_latents(self) -> None:
        """Frozen encoder: encode every frame once and train the predictor on latents."""
        from jepa_wm.train.latent_cache import LatentClips, encode_stores

        t0 = time.time()
        latents = encode_stores(self.model, self.data.train.paths, self.device)
        self.data.train = LatentClips(self.data.train, latents)
        self.data.val = LatentClips(self.data.val, latents)
        self.train_loader, self.val_loader = _loaders(self.cfg, self.data, self.rank)
        frames = sum(len(z) for z in latents)
        self._log({"event": "cached_latents", "frames": frames, "seconds": time.time() - t0})

    def _step(
        self,
        wrapped: torch.nn.Module,
        objective: Objective,
        opt: torch.optim.Optimizer,
        batch: Batch,
        state: TrainState,
        frac: float,
    ) -> tuple[dict[str, torch.Tensor], int]:
        """One optimizer step on ``batch``; -> (detached losses, clips used)."""
        if batch.inputs != objective.inputs:
            raise ValueError(f"the {objective.inputs} objective got a batch of {batch.inputs}")
        batch, dropped = batch.drop_nonfinite()
        state.nonfinite_dropped += dropped
        n = len(batch)
        # Every rank must run backward (DDP all-reduces inside it): skip only when all are empty.
        if dist_util.any_rank(n == 0, self.device):
            return {"loss": torch.tensor(float("nan")), "latents": torch.zeros(1, 1)}, 0
        out = wrapped(batch.x, batch.state, batch.action)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        if self.cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(
                [p for g in opt.param_groups for p in g["params"]], self.cfg.grad_clip
            )
        opt.step()
        objective.update_target(frac)
        return {k: v.detach() for k, v in out.items()}, n

    def _validate(self, objective: Objective, name: str, state: TrainState) -> dict[str, float]:
        val = validation_losses(objective, self.val_loader, self.device)
        if self.rank == 0 and val:
            self._log({"stage": name, "step": state.step, **val})
            if self.tb is not None:
                raw = next(iter(self.val_loader))
                batch = {k: v.to(self.device) for k, v in raw.items() if k in _IMAGE_KEYS}
                self.tb.images(self.model, drop_nonfinite(batch)[0], name, state.step)
            score = val.get("val_loss", math.inf)
            if name != "pretrain" and score < state.best_val:
                state.best_val = score
                save_checkpoint(self.model, self.out / "best", meta=self._meta(state, val))
        return val

    def _meta(self, state: TrainState, val: dict | None = None) -> dict[str, Any]:
        name = self.plan[state.stage].name
        return {
            "stage": name,
            "step": state.step,
            "mode": self.cfg.mode,
            "data": self.data.sources,
            "action_low": self.data.action_low,
            "action_high": self.data.action_high,
            "split": {"val_fraction": self.cfg.val_fraction, "seed": self.cfg.seed},
            "val": val or {},
        }

    def _checkpoint(
        self, state: TrainState, opt: torch.optim.Optimizer, objective: Objective
    ) -> None:
        if self.rank != 0:
            return
        save_checkpoint(self.model, self.out, meta=self._meta(state))
        state.capture(opt, objective.resume_parts())
        state.save(self.out)


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
