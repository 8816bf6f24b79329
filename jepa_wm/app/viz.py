"""What the planner sees and thinks (``jepa-wm viz``): an episode video and an energy landscape.

Usage::

    model = load_world_model("models/tiny-reach")
    cfg = load_policy_config(None, None, "franka-reach")
    rec = record_episode(model, "franka-reach", cfg, seed=1_000_000)
    frames = episode_frames(rec)                  # uint8 [H, W, 3] each
    land = energy_landscape(model, "franka-reach", cfg, seed=1_000_000, step=5)

The episode video shows, per control step, a 256 px render from a person's viewpoint beside
the planner's view of every camera (at its own resolution, enlarged) and the goal image the
planner is aiming at (the current subgoal on grasp tasks), with the energy curve under them.

The landscape is the planner's energy over two action dimensions at one step of a held-out
episode (an evaluation seed, driven by a scripted policy): the goal is the episode's next
frame, so a good model puts low energy at the action that was really taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from hardware.interfaces import Observation
from jepa_wm.app import viz_draw as D
from jepa_wm.app.mpc_eval import EnvMPCPolicy
from jepa_wm.app.policy import PolicyConfig
from jepa_wm.errors import ConfigError
from jepa_wm.models.interfaces import WorldModel
from planners.interfaces import Prediction

EXTERNAL_SIZE = 256


@dataclass
class EpisodeRecord:
    """Per step t: external render, planner views {camera: [H,W,3]}, goal image, energy."""

    env: str
    seed: int
    fps: float
    max_steps: int
    external: list[np.ndarray] = field(default_factory=list)
    views: list[dict[str, np.ndarray]] = field(default_factory=list)
    goals: list[np.ndarray] = field(default_factory=list)
    energies: list[float] = field(default_factory=list)
    switches: list[int] = field(default_factory=list)
    success: bool = False
    states: list[np.ndarray] = field(default_factory=list)  # [S] per observation
    actions: list[np.ndarray] = field(default_factory=list)  # [A] applied, per step
    plans: list[np.ndarray] = field(default_factory=list)  # [H, A] the plan after each step
    state_names: list[str] = field(default_factory=list)
    action_names: list[str] = field(default_factory=list)


def _views(obs: Observation) -> dict[str, np.ndarray]:
    return {"rgb": obs.rgb, **dict(obs.images)}


def record_episode(
    model: WorldModel,
    env_name: str,
    cfg: PolicyConfig,
    seed: int,
    max_steps: int | None = None,
    device: str = "cpu",
    wrist_camera: bool = False,
    progress: bool = False,
) -> EpisodeRecord:
    """Run the world-model policy for one episode (as ``jepa-wm eval`` does) and record it."""
    from tqdm import tqdm

    from sim.registry import make_env
    from sim.seeds import policy_seed

    env = make_env(env_name, image_size=int(model.image_size), wrist_camera=wrist_camera)
    try:
        policy = EnvMPCPolicy(model, cfg, env_name, device)
        policy.bind_env(env)
        obs = env.reset(seed=seed)
        goal = env.goal_observation()
        policy.reset(seed=policy_seed(seed))
        subgoals = [o.rgb for o in env.subgoals()] if policy.use_subgoals else [goal.rgb]
        rec = EpisodeRecord(env_name, seed, float(env.fps), int(max_steps or env.max_steps))
        rec.state_names, rec.action_names = list(env.state_names), list(env.action_spec.names)
        bar = tqdm(total=rec.max_steps, desc=f"viz {env_name}", unit="step", disable=not progress)
        while True:
            rec.external.append(env.render_external(EXTERNAL_SIZE))
            rec.views.append(_views(obs))
            rec.states.append(np.asarray(obs.state, dtype=np.float32))
            if rec.success or len(rec.energies) >= rec.max_steps:
                break
            rec.actions.append(np.asarray(env.send_action(policy(obs, goal)), dtype=np.float32))
            plan = policy.inner.controller.previous_plan
            if plan is not None:
                rec.plans.append(plan.detach().to("cpu").float().numpy())
            info = policy.inner.last_info
            rec.energies.append(float(info["energy"]))
            rec.goals.append(subgoals[min(int(info["subgoal"]), len(subgoals) - 1)])
            if info.get("subgoal_switched"):
                rec.switches.append(len(rec.energies) - 1)
            rec.success = bool(env.is_success())
            obs = env.get_observation()
            bar.update(1)
        bar.close()
        rec.goals.append(rec.goals[-1] if rec.goals else subgoals[0])
        return rec
    finally:
        env.close()


def episode_frames(rec: EpisodeRecord, size: int = EXTERNAL_SIZE) -> list[np.ndarray]:
    """One uint8 frame per recorded step: [external | views... | goal] over the energy curve."""
    top = max(rec.energies, default=1.0) * 1.1 or 1.0
    frames = []
    for t, (ext, views, goal) in enumerate(zip(rec.external, rec.views, rec.goals, strict=True)):
        panels = [D.label(ext, f"{rec.env} seed {rec.seed}  step {t}")]
        for cam, img in views.items():
            panels.append(D.label(D.upscale(img, size), f"planner view {cam} {img.shape[0]} px"))
        done = " - success" if rec.success and t == len(rec.external) - 1 else ""
        panels.append(D.label(D.upscale(goal, size), f"goal image{done}"))
        row = np.concatenate(panels, axis=1)
        curve = D.energy_curve(
            rec.energies[: t + 1], rec.max_steps, row.shape[1], 150, top, rec.switches
        )
        frames.append(np.concatenate([row, curve], axis=0))
    return frames


@dataclass
class Landscape:
    """energy [n, n] over (x_values [n], y_values [n]) of action dims ``dims`` at one step."""

    energy: np.ndarray
    x_values: np.ndarray
    y_values: np.ndarray
    dims: tuple[int, int]
    names: tuple[str, str]
    chosen: np.ndarray  # [A] the planner's first action
    true: np.ndarray  # [A] the action the episode really took
    info: dict[str, Any]

    def picture(self) -> np.ndarray:
        """The heat map with the chosen and the true action marked (uint8 RGB)."""
        i, j = self.dims
        marks = {
            "planner's action": (float(self.chosen[i]), float(self.chosen[j]), (255, 255, 255)),
            "true action": (float(self.true[i]), float(self.true[j]), (230, 30, 30)),
        }
        info = self.info
        title = (
            f"{info['env']} seed {info['seed']}: energy at step {info['step']}, "
            f"goal = frame {info['step'] + 1}"
        )
        return D.heat_map(self.energy, self.x_values, self.y_values, self.names, marks, title)


def _held_out_episode(
    env_name: str, seed: int, steps: int, image_size: int, policy: str
) -> tuple[dict[str, np.ndarray], Any]:
    """The first ``steps`` + 1 frames of an episode on ``seed`` driven by a scripted policy."""
    from jepa_wm.app.collect import run_collect_episode
    from sim.policies import make_policy
    from sim.registry import make_env

    env = make_env(env_name, image_size=image_size)
    try:
        ep, _ = run_collect_episode(env, make_policy(policy, env, seed=seed), seed, steps, -1)
        return ep, env.action_spec
    finally:
        env.close()


@torch.no_grad()
def energy_landscape(
    model: WorldModel,
    env_name: str,
    cfg: PolicyConfig,
    seed: int,
    step: int,
    dims: tuple[str, str] | None = None,
    n: int = 41,
    policy: str = "mixed",
    device: str = "cpu",
) -> Landscape:
    """The planner's energy over two action dims (default: the first two) at ``step``.

    Context: the episode's frames up to ``step`` (with their true actions); goal: its frame
    ``step + 1``. The planner plans toward it once; the grid spans the action bounds of the two
    dims, the other dims held at the planner's action. Raises ConfigError on a bad dim/step.
    """
    from sim.registry import make_env
    from sim.seeds import policy_seed

    if step < 0:
        raise ConfigError(f"step must be >= 0, got {step}")
    ep, spec = _held_out_episode(env_name, seed, step + 1, int(model.image_size), policy)
    if len(ep["action"]) < step + 2:
        raise ConfigError(f"the episode on seed {seed} ended before step {step + 1}")
    names = list(spec.names)
    dims = dims or (names[0], names[1])
    bad = [d for d in dims if d not in names]
    if bad:
        raise ConfigError(f"unknown action dim {bad[0]!r}; action dims: {', '.join(names)}")
    i, j = names.index(dims[0]), names.index(dims[1])
    env = make_env(env_name, image_size=int(model.image_size))  # bounds and fixed dims only
    try:
        pol = EnvMPCPolicy(model, cfg, env_name, device, use_subgoals=False)
        pol.bind_env(env)
    finally:
        env.close()
    inner = pol.inner
    inner.planner.generator.manual_seed(policy_seed(seed))
    c = max(1, int(model.context_len))
    first = max(0, step - c + 1)
    dev = torch.device(device)
    rgb = torch.as_tensor(ep["rgb"][first : step + 1], device=dev)[None]
    states = torch.as_tensor(ep["state"][first : step + 1], device=dev)[None]
    past = torch.as_tensor(ep["action"][first:step], device=dev)[None]
    context = model.make_context(model.encode(rgb), states, past)
    goal = inner.set_goal(ep["rgb"][step + 1], ep["state"][step + 1])
    plan = inner.planner.plan(context, goal)
    chosen = plan.actions.detach().to("cpu").float()  # [H, A]
    xs = np.linspace(spec.low[i], spec.high[i], n, dtype=np.float32)
    ys = np.linspace(spec.low[j], spec.high[j], n, dtype=np.float32)
    grid = chosen[None].repeat(n * n, 1, 1)  # [N, H, A]
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    grid[:, 0, i] = torch.from_numpy(gx.reshape(-1))
    grid[:, 0, j] = torch.from_numpy(gy.reshape(-1))
    energy = []
    for part in grid.to(dev).split(512):
        latents, pred_states = model.rollout(context, part)
        energy.append(inner.cost(Prediction(latents=latents, states=pred_states), goal).cpu())
    return Landscape(
        energy=torch.cat(energy).reshape(n, n).numpy(),
        x_values=xs,
        y_values=ys,
        dims=(i, j),
        names=(names[i], names[j]),
        chosen=chosen[0].numpy(),
        true=np.asarray(ep["action"][step], dtype=np.float32),
        info={"env": env_name, "seed": seed, "step": step, "policy": policy,
              "plan_cost": float(plan.cost)},
    )  # fmt: skip
