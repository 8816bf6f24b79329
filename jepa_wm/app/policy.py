"""A world model + a planner + the MPC loop, as a policy ``(obs, goal) -> action``.

This is the composition the sim harness, the eval CLI, the bench and the ROS planner node share:
the one closed loop. Subgoals (``set_subgoals``) advance by ``planners.subgoals.SubgoalSequencer``,
the same rule the ROS task node applies to the plans the planner node reports.
The goal image is encoded once per goal (cached by content); the last ``model.context_len``
frames, states and executed actions form the rollout context (KV-cached by the model).

Usage::

    pol = WorldModelPolicy(model, planner="cem", planner_options={"samples": 200},
                           action_low=spec.low, action_high=spec.high, horizon=1)
    pol.reset()
    action = pol(obs, goal)          # np.ndarray (A,), within bounds
    pol.last_info                    # {"plan_ms", "energy", "subgoal", ...}
    pol.set_subgoals([pre_grasp, grasp, lift], switch_energy=0.1, steps_per_subgoal=15)
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from hardware.interfaces import Observation
from jepa_wm.errors import ConfigError
from jepa_wm.models.backends import make_backend
from jepa_wm.models.interfaces import WorldModel
from planners.costs import CostConfig, make_cost
from planners.interfaces import Goal, Prediction
from planners.mpc import MPCConfig, RecedingHorizon, current_energy
from planners.registry import PlannerSpec, make_planner
from planners.subgoals import SubgoalBudget, SubgoalSequencer

# The one switch for what a planner gets of a goal observation, the same in `jepa-wm eval
# --goal`, planner configs and the ROS planner node:
#   image        only the goal image(s); the goal's proprio state never reaches the planner.
#                A model with a state read-out estimates it from the goal image instead, so the
#                state term still works; without one the state term is off.
#   image+state  the goal image and the goal's measured proprio state (a user who drove the
#                robot to the goal has it).
GOAL_MODES = ("image", "image+state")


@dataclasses.dataclass(frozen=True)
class PolicyConfig:
    """Everything that defines a latent-MPC policy: the schema of the per-task policy files
    (``jepa_wm/configs/policy/<env>.yaml``, see ``jepa_wm.app.policy_files``) and of
    ``--planner-config`` / ``planner_config`` override files.

    planner: which planner and its options (``planner:`` section, planners.registry.PlannerSpec:
    name, a registry name; options, fields of that planner's config: budget, fixed_dims, seed,
    deadline_ms); horizon H; cost: the energy (``cost:`` section, CostConfig:
    kind, mode, state_weight, state_scale; the state term compares predicted states with the
    goal's state); mpc: the receding-horizon loop (``mpc:`` section, MPCConfig: execute_steps,
    warm_start, shift_fill); switch_energy / steps_per_subgoal: subgoal switching (see
    planners.subgoals.SubgoalBudget); goal: what of a goal observation reaches the planner
    (see GOAL_MODES); backend / backend_path: where rollouts run (jepa_wm.models.backends:
    torch | onnxruntime | tensorrt, and an exported ONNX/engine file or dir, empty to export
    the checkpoint in memory)."""

    planner: PlannerSpec = dataclasses.field(default_factory=PlannerSpec)
    goal: str = "image+state"
    horizon: int = 1
    cost: CostConfig = dataclasses.field(default_factory=CostConfig)
    mpc: MPCConfig = dataclasses.field(default_factory=MPCConfig)
    switch_energy: float | None = None
    steps_per_subgoal: int | None = None
    backend: str = "torch"
    backend_path: str = ""

    def __post_init__(self) -> None:
        if self.goal not in GOAL_MODES:
            raise ValueError(f"goal must be one of {', '.join(GOAL_MODES)}, got {self.goal!r}")


def observation_frames(obs: Observation, views: Sequence[str] = ("rgb",)) -> np.ndarray:
    """The camera views a model sees in ``obs``: uint8 [H, W, 3] for one view, [V, H, W, 3] for
    several, in ``views`` order (store keys: "rgb" is ``obs.rgb``, "rgb_<cam>" is
    ``obs.images[cam]``). Raises ConfigError naming a view the observation lacks."""
    frames = []
    for key in views:
        if key == "rgb":
            frames.append(obs.rgb)
            continue
        cam = key[len("rgb_") :]
        if cam not in obs.images:
            have = ", ".join(["rgb", *(f"rgb_{c}" for c in obs.images)])
            raise ConfigError(f"the model sees view {key!r}, the observation has only: {have}")
        frames.append(obs.images[cam])
    return frames[0] if len(frames) == 1 else np.stack(frames)


def _key(rgb: np.ndarray, state: np.ndarray | None) -> str:
    h = hashlib.sha1(np.ascontiguousarray(rgb).tobytes())
    if state is not None:
        h.update(np.ascontiguousarray(state, dtype=np.float32).tobytes())
    return h.hexdigest()


class WorldModelPolicy:
    """Latent MPC with a world model. Thread-unsafe; one instance per control loop."""

    def __init__(
        self,
        model: WorldModel,
        planner: str = "cem",
        planner_options: Mapping[str, Any] | None = None,
        device: torch.device | str = "cpu",
        action_low: Sequence[float] | np.ndarray | None = None,
        action_high: Sequence[float] | np.ndarray | None = None,
        *,
        horizon: int = 1,
        execute_steps: int = 1,
        warm_start: bool = True,
        cost: CostConfig | None = None,
        mpc: MPCConfig | None = None,
        name: str | None = None,
        goal: str = "image+state",
        backend: str = "torch",
        backend_path: str = "",
    ) -> None:
        if action_low is None or action_high is None:
            raise ConfigError("WorldModelPolicy needs action_low and action_high (the robot's)")
        if goal not in GOAL_MODES:
            raise ConfigError(f"goal must be one of {', '.join(GOAL_MODES)}, got {goal!r}")
        self.model = model
        self.goal_mode = goal
        self.device = torch.device(device)
        self.low = np.asarray(action_low, dtype=np.float32)
        self.high = np.asarray(action_high, dtype=np.float32)
        if self.low.shape != (model.action_dim,) or self.high.shape != (model.action_dim,):
            raise ConfigError(
                f"action bounds have shape {self.low.shape}, the model expects ({model.action_dim},)"
            )
        self.cost = make_cost(cost)
        if backend != "torch" and planner == "gradient":
            raise ConfigError(
                f"the gradient planner differentiates the rollout: it needs backend 'torch', "
                f"not {backend!r}"
            )
        self.backend = make_backend(backend, model, self.device, backend_path or None)
        try:
            self.planner = make_planner(
                planner,
                self._rollout,
                self.cost,
                torch.from_numpy(self.low),
                torch.from_numpy(self.high),
                horizon,
                device=self.device,
                **dict(planner_options or {}),
            )
            mpc = mpc or MPCConfig(execute_steps=execute_steps, warm_start=warm_start)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.controller = RecedingHorizon(self.planner, mpc)
        self.name = name or f"wm-{planner}"
        self.views = tuple(getattr(model, "views", ("rgb",)))
        self._goal_cache: dict[str, Goal] = {}
        self.schedule: SubgoalSequencer[Goal] | None = None
        self.current_goal: Goal | None = None
        self.reset()

    @classmethod
    def from_config(
        cls,
        model: WorldModel,
        cfg: PolicyConfig,
        action_low: Sequence[float] | np.ndarray,
        action_high: Sequence[float] | np.ndarray,
        device: torch.device | str = "cpu",
    ) -> WorldModelPolicy:
        """Build from a resolved ``PolicyConfig`` (its planner, cost and mpc sections as they
        are)."""
        return cls(
            model,
            cfg.planner.name,
            cfg.planner.options,
            device,
            action_low,
            action_high,
            horizon=cfg.horizon,
            cost=cfg.cost,
            mpc=cfg.mpc,
            goal=cfg.goal,
            backend=cfg.backend,
            backend_path=cfg.backend_path,
        )

    # -- the policy interface ------------------------------------------------------------------
    def reset(self) -> None:
        """New episode: forget the history, the plan and the subgoal progress."""
        c = max(1, int(self.model.context_len))
        self.latents: deque[torch.Tensor] = deque(maxlen=c)  # [P, D] each
        self.states: deque[torch.Tensor] = deque(maxlen=c)  # [S] each
        self.actions: deque[torch.Tensor] = deque(maxlen=max(c - 1, 1))  # [A] each
        self.controller.reset()
        if self.schedule is not None:
            self.schedule.reset()
        self.last_info: dict[str, Any] = {}

    def set_goal(self, goal_rgb: np.ndarray, goal_state: np.ndarray | None = None) -> Goal:
        """Encode (once, cached by content) the goal image uint8 [H, W, 3] (or its views
        [V, H, W, 3], see ``observation_frames``) and state [S].

        With ``goal="image"`` the given state is dropped here, the one place every caller goes
        through, and the goal's state is the model's read-out of the goal image (or None)."""
        if self.goal_mode == "image":
            goal_state = None
        key = _key(goal_rgb, goal_state)
        if key not in self._goal_cache:
            with torch.no_grad():
                latent = self._encode(goal_rgb)
                state = self._read_state(latent) if self.goal_mode == "image" else None
            if goal_state is not None:
                state = torch.as_tensor(goal_state, dtype=torch.float32, device=self.device)
            if len(self._goal_cache) > 64:  # bounded: one entry per goal of recent episodes
                self._goal_cache.clear()
            self._goal_cache[key] = Goal(latent=latent, state=state)
        self.current_goal = self._goal_cache[key]
        return self.current_goal

    def set_subgoals(
        self,
        subgoals: Sequence[Observation],
        switch_energy: float | None = None,
        steps_per_subgoal: int | None = None,
    ) -> None:
        """Plan toward each subgoal in turn (the goal passed to ``__call__`` is then ignored),
        advancing by ``planners.subgoals.SubgoalSequencer``'s rules. Raises ConfigError for an
        empty list or a ``steps_per_subgoal`` below 1."""
        goals = [self.set_goal(observation_frames(o, self.views), o.state) for o in subgoals]
        try:
            budget = SubgoalBudget(switch_energy, steps_per_subgoal)
            self.schedule = SubgoalSequencer(goals, budget)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.controller.reset()

    def __call__(
        self, obs: Observation, goal: Observation | None = None, *, deadline: float | None = None
    ) -> np.ndarray:
        """One control step: the action (A,) float32 within bounds; details in ``last_info``.

        ``deadline``: a ``time.perf_counter()`` instant (e.g. the frame's arrival + its budget)
        past which the planner starts no further iteration (see PlannerConfig.deadline_ms)."""
        t0 = time.perf_counter()
        with torch.no_grad():
            latent = self._encode(observation_frames(obs, self.views))
        state = torch.as_tensor(obs.state, dtype=torch.float32, device=self.device)
        self.latents.append(latent)
        self.states.append(state)
        context = self._context()
        now = Prediction(latents=latent[None, None], states=state[None, None])
        target, switched = self._target(goal, now)
        with torch.no_grad():  # the gradient planner re-enables grad around its own rollouts
            energy = current_energy(self.cost, now, target)
            self.planner.deadline_at = deadline
            try:
                action, info = self.controller.act(context, target)
            finally:
                self.planner.deadline_at = None
        action = action.detach().to("cpu").float()
        self.actions.append(action.to(self.device))
        out = np.clip(np.nan_to_num(action.numpy(), nan=0.0), self.low, self.high)
        self.last_info = {
            **info,
            "energy": energy,
            "subgoal": self.schedule.index if self.schedule is not None else 0,
            "subgoal_switched": switched,
            "step_ms": (time.perf_counter() - t0) * 1e3,
        }
        return out.astype(np.float32)

    # -- internals -----------------------------------------------------------------------------
    def _read_state(self, latent: torch.Tensor) -> torch.Tensor | None:
        """The model's estimate of a goal image's state [S], or None without a read-out."""
        if not getattr(self.model, "has_state_readout", False):
            return None
        return self.model.read_state(latent[None])[0]

    def _encode(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 [H, W, 3] -> latent [P, D]."""
        frames = torch.as_tensor(np.ascontiguousarray(rgb), device=self.device)[None, None]
        return self.model.encode(frames)[0, 0]

    def _context(self) -> Any:
        lat = torch.stack(list(self.latents))[None]  # [1, C', P, D]
        st = torch.stack(list(self.states))[None]  # [1, C', S]
        n_past = lat.shape[1] - 1
        past = list(self.actions)[len(self.actions) - n_past :] if n_past > 0 else []
        if past:
            acts = torch.stack(past)[None]
        else:
            acts = torch.zeros(1, 0, self.model.action_dim, device=self.device)
        with torch.no_grad():
            return self.backend.make_context(lat, st, acts)

    def _target(self, goal: Observation | None, now: Prediction) -> tuple[Goal, bool]:
        """The goal to plan toward this step; the step counts toward the active subgoal."""
        if self.schedule is None:
            if goal is None:
                if self.current_goal is None:
                    raise ConfigError("no goal: pass one or call set_goal/set_subgoals first")
                return self.current_goal, False
            return self.set_goal(observation_frames(goal, self.views), goal.state), False
        with torch.no_grad():
            energy = current_energy(self.cost, now, self.schedule.goal)
        switched = self.schedule.step(energy)
        if switched:
            self.controller.reset()  # the old plan aimed at the previous subgoal
        return self.schedule.goal, switched

    def _rollout(self, context: Any, actions: torch.Tensor) -> Prediction:
        """The planner's RolloutFn over the model: actions [N, H, A] -> Prediction."""
        latents, states = self.backend.rollout(context, actions)
        return Prediction(latents=latents, states=states)
