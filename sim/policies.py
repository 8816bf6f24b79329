"""Scripted policies for data collection and baselines: expert, correlated random, mixed.

A policy is a callable ``(obs: Observation, goal: Observation) -> action (A,)``. Optional hooks:
``reset(seed=None)`` at each episode start, and ``bind_env(env)`` for policies that read the
simulator's privileged state (the expert).

Usage::

    pol = make_policy("mixed", env, seed=3)
    pol.reset(seed=3)
    action = pol(obs, goal)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hardware.interfaces import ActionSpec, Observation

if TYPE_CHECKING:
    from sim.franka_base import FrankaEnv
    from sim.husky_nav import HuskyNavEnv

POLICY_NAMES: tuple[str, ...] = ("expert", "random", "mixed")


class ExpertPolicy:
    """The env's scripted expert (privileged state); needs ``bind_env`` before use."""

    name = "expert"
    uses_goal = False  # reads privileged state; collection skips rendering the goal

    def __init__(self, env: FrankaEnv | HuskyNavEnv | None = None) -> None:
        self.env = env

    def bind_env(self, env: FrankaEnv | HuskyNavEnv) -> None:
        self.env = env

    def reset(self, seed: int | None = None) -> None:
        """Stateless: the expert reacts to the current simulator state."""

    def __call__(self, obs: Observation, goal: Observation) -> np.ndarray:
        if self.env is None:
            raise RuntimeError("ExpertPolicy needs bind_env(env) first")
        return np.asarray(self.env.expert_action(), dtype=np.float32)


class RandomPolicy:
    """Temporally correlated random actions (an AR(1) / Ornstein-Uhlenbeck process).

    a_t = rho * a_{t-1} + sqrt(1 - rho^2) * scale * half_range * N(0, 1), plus the bounds' centre.
    Correlation makes the arm sweep across the workspace instead of jittering in place, which
    gives a world model far better state coverage than i.i.d. uniform actions.
    """

    name = "random"
    uses_goal = False

    def __init__(
        self, action_spec: ActionSpec, seed: int = 0, rho: float = 0.85, scale: float = 0.8
    ) -> None:
        self.spec = action_spec
        self.rho, self.scale = float(rho), float(scale)
        self._rng = np.random.default_rng(seed)
        self._a = np.zeros(action_spec.dim)

    def bind_env(self, env: FrankaEnv | HuskyNavEnv) -> None:
        self.spec = env.action_spec

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._a = self._rng.normal(0.0, 1.0, self.spec.dim)

    def sample(self) -> np.ndarray:
        """Advance the process and return the action (A,) in action units."""
        noise = self._rng.normal(0.0, 1.0, self.spec.dim)
        self._a = self.rho * self._a + np.sqrt(1.0 - self.rho**2) * noise
        half = (self.spec.high - self.spec.low) / 2.0
        centre = (self.spec.high + self.spec.low) / 2.0
        return self.spec.clip(centre + self.scale * half * self._a)

    def __call__(self, obs: Observation, goal: Observation) -> np.ndarray:
        return self.sample()


class MixedPolicy:
    """Noisy expert interleaved with correlated random segments (world-model training data).

    Segments of 4-15 steps are either the expert plus Gaussian noise (probability ``p_expert``)
    or correlated random actions. Because the experts are reactive (stateless), they recover
    after a random segment, so episodes show approaches, touches, grasps, lifts and failures.
    """

    name = "mixed"
    uses_goal = False

    def __init__(
        self,
        env: FrankaEnv | HuskyNavEnv | None = None,
        seed: int = 0,
        p_expert: float = 0.7,
        noise: float = 0.3,
    ) -> None:
        self.env = env
        self.p_expert, self.noise = float(p_expert), float(noise)
        self._rng = np.random.default_rng(seed)
        self._random: RandomPolicy | None = None
        self._left = 0
        self._expert_mode = True
        if env is not None:
            self.bind_env(env)

    def bind_env(self, env: FrankaEnv | HuskyNavEnv) -> None:
        self.env = env
        self._random = RandomPolicy(env.action_spec, seed=int(self._rng.integers(2**31)))

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        if self._random is not None:
            self._random.reset(seed=int(self._rng.integers(2**31)))
        self._left = 0

    def __call__(self, obs: Observation, goal: Observation) -> np.ndarray:
        if self.env is None or self._random is None:
            raise RuntimeError("MixedPolicy needs bind_env(env) first")
        if self._left <= 0:
            self._expert_mode = bool(self._rng.random() < self.p_expert)
            self._left = int(self._rng.integers(4, 16))
        self._left -= 1
        random_action = self._random.sample()  # keep the random process running either way
        if not self._expert_mode:
            return random_action
        spec = self.env.action_spec
        half = (spec.high - spec.low) / 2.0
        a = self.env.expert_action() + self._rng.normal(0.0, self.noise, spec.dim) * half
        return spec.clip(a)


def make_policy(
    name: str, env: FrankaEnv | HuskyNavEnv, seed: int = 0
) -> ExpertPolicy | RandomPolicy | MixedPolicy:
    """A scripted policy bound to ``env``; ``name`` is one of POLICY_NAMES."""
    if name == "expert":
        return ExpertPolicy(env)
    if name == "random":
        return RandomPolicy(env.action_spec, seed=seed)
    if name == "mixed":
        return MixedPolicy(env, seed=seed)
    raise ValueError(f"unknown policy {name!r}; valid policies: {', '.join(POLICY_NAMES)}")
