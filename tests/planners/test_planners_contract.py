"""Contract tests parametrised over every registered planner, driven by mock rollouts."""

from __future__ import annotations

import pytest
import torch

from planners.costs import CostConfig, make_cost
from planners.interfaces import Prediction
from planners.registry import PLANNER_NAMES, make_planner, planner_config
from tests.planners.mocks import HIGH, LOW, TARGET, PointMass, goal

COST = make_cost(CostConfig(kind="l2", mode="last"))
START = torch.zeros(3)


def _planner(name: str, rollout=None, horizon: int = 3, **overrides):
    return make_planner(name, rollout or PointMass(), COST, LOW, HIGH, horizon, seed=0, **overrides)


def _cost_of(plan: torch.Tensor) -> float:
    return float(COST(PointMass()(START, plan[None]), goal())[0])


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_reduces_quadratic_cost(name: str) -> None:
    result = _planner(name).plan(START, goal())
    zero_cost = _cost_of(torch.zeros(3, 3))
    assert result.actions.shape == (3, 3)
    assert _cost_of(result.actions) < 0.1 * zero_cost
    assert abs(result.cost - _cost_of(result.actions)) < 0.1 * zero_cost


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_one_batched_rollout_per_iteration(name: str) -> None:
    rollout = PointMass()
    planner = _planner(name, rollout, iterations=2)
    planner.plan(START, goal())
    assert rollout.calls == 2
    assert all(n > 1 for n in rollout.batch_sizes)


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_bounds_respected(name: str) -> None:
    # the target is far outside what the box can reach: plans press against the bounds
    far = goal(torch.tensor([5.0, -5.0, 5.0]))
    planner = _planner(name)
    for _ in range(2):
        plan = planner.plan(START, far, warm_start=torch.full((3, 3), 9.0)).actions
        assert bool((plan >= LOW - 1e-6).all()) and bool((plan <= HIGH + 1e-6).all())
    assert float(plan[:, 0].mean()) > 0.1


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_fixed_dims_stay_zero(name: str) -> None:
    plan = _planner(name, fixed_dims=(1,)).plan(START, goal()).actions
    assert torch.all(plan[:, 1] == 0)
    assert float(plan[:, 0].sum()) > 0.25


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_some_nan_costs_are_dropped(name: str) -> None:
    rollout = PointMass(nan_above=0.1)
    result = _planner(name, rollout).plan(START, goal())
    assert result.info["dropped_nan"] > 0
    assert torch.isfinite(result.actions).all()
    assert not result.info.get("all_nan", False)
    # every plan the planner can return is built from finite-cost samples only
    assert float(result.actions[0, 0]) <= 0.1 + 1e-6


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_all_nan_returns_zeros_with_warning(name: str) -> None:
    planner = _planner(name, PointMass(all_nan=True))
    with pytest.warns(RuntimeWarning, match="NaN"):
        result = planner.plan(START, goal())
    assert result.info["all_nan"] is True
    assert torch.equal(result.actions, torch.zeros(3, 3))


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_warm_start_helps(name: str) -> None:
    # a tiny budget: from the optimum's neighbourhood the planner stays near it
    optimum = (TARGET / 3).expand(3, 3).clone()
    budget = {"samples": 4, "iterations": 2}
    if name in ("cem", "icem"):
        budget["topk"] = 2
    cold = _planner(name, **budget).plan(START, goal())
    warm = _planner(name, **budget).plan(START, goal(), warm_start=optimum)
    assert _cost_of(warm.actions) < _cost_of(cold.actions)
    assert _cost_of(warm.actions) < 0.02


def test_registry_rejects_unknown_names_and_keys() -> None:
    with pytest.raises(ValueError, match="valid planners: cem, icem, mppi, gradient, random"):
        make_planner("nope", PointMass(), COST, LOW, HIGH, 2)
    with pytest.raises(ValueError, match="valid options:.*samples"):
        make_planner("cem", PointMass(), COST, LOW, HIGH, 2, sampels=10)
    with pytest.raises(ValueError, match="topk"):
        planner_config("cem", samples=10, topk=20)
    with pytest.raises(ValueError, match="must be int"):
        planner_config("cem", samples="many")
    assert planner_config("mppi", temperature=1).temperature == 1.0


def test_gradient_planner_adam_really_steps() -> None:
    planner = _planner("gradient", iterations=5, samples=2, init_noise=0.0)
    result = planner.plan(START, goal())
    opt = planner.last_optimizer
    (param,) = opt.param_groups[0]["params"]
    assert int(opt.state[param]["step"]) == 4 == result.info["adam_steps"]
    # the parameters moved away from the zero start toward the target
    assert float(param.detach().abs().max()) > 0.1
    assert _cost_of(result.actions) < _cost_of(torch.zeros(3, 3))


def test_gradient_planner_needs_a_differentiable_rollout() -> None:
    def frozen(ctx: torch.Tensor, actions: torch.Tensor) -> Prediction:
        with torch.no_grad():
            return PointMass()(ctx, actions)

    with pytest.raises(RuntimeError, match="not differentiable"):
        _planner("gradient", frozen).plan(START, goal())


def test_cem_returns_the_elite_mean_not_the_best_sample() -> None:
    seen: list[torch.Tensor] = []
    inner = PointMass()

    def recording(ctx: torch.Tensor, actions: torch.Tensor) -> Prediction:
        seen.append(actions.clone())
        return inner(ctx, actions)

    planner = _planner("cem", recording, samples=50, topk=5, iterations=1, momentum_mean=0.0)
    result = planner.plan(START, goal())
    samples = seen[0]
    costs = COST(PointMass()(START, samples), goal())
    elite_mean = samples[torch.topk(costs, 5, largest=False).indices].mean(0)
    assert torch.allclose(result.actions, elite_mean, atol=1e-6)
    assert result.cost == pytest.approx(float(costs.min()))


class SlowPointMass(PointMass):
    """A PointMass whose every rollout call takes ``delay_s`` (a loaded CPU)."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def __call__(self, context: torch.Tensor, actions: torch.Tensor) -> Prediction:
        import time

        time.sleep(self.delay_s)
        return super().__call__(context, actions)


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_deadline_returns_the_best_plan_so_far(name: str) -> None:
    import time

    rollout = SlowPointMass(0.03)
    # whole iterations (one call each, whatever its size); chunks: the test after the next
    planner = _planner(name, rollout, iterations=20, deadline_ms=100.0, deadline_chunks=1)
    planner.plan(START, goal())  # warm-up: a process's first Adam step imports for ~2 s
    rollout.calls = 0
    t0 = time.perf_counter()
    result = planner.plan(START, goal())
    elapsed_ms = (time.perf_counter() - t0) * 1e3
    # 30 ms per iteration: the third ends at ~90 ms, a fourth would end past 100 ms
    assert 2 <= rollout.calls <= 3 and result.info["iterations_done"] == rollout.calls
    assert result.info["deadline_hit"] is True
    assert elapsed_ms < 20 * 30  # far from the full budget of 20 iterations
    assert result.actions.shape == (3, 3) and torch.isfinite(result.actions).all()


@pytest.mark.parametrize("name", PLANNER_NAMES)
def test_no_deadline_runs_every_iteration(name: str) -> None:
    rollout = PointMass()
    result = _planner(name, rollout, iterations=4).plan(START, goal())
    assert rollout.calls == 4 and result.info["deadline_hit"] is False


class PerSamplePointMass(PointMass):
    """A PointMass whose rollout takes ``delay_s`` per sample (a model on a loaded CPU)."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def __call__(self, context: torch.Tensor, actions: torch.Tensor) -> Prediction:
        import time

        time.sleep(self.delay_s * actions.shape[0])
        return super().__call__(context, actions)


@pytest.mark.parametrize("name", [n for n in PLANNER_NAMES if n != "gradient"])
def test_deadline_stops_an_iteration_between_sample_chunks(name: str) -> None:
    # one iteration of 100 samples takes ~100 ms, twice the 50 ms budget: checked only between
    # iterations, the first one alone would overrun it
    rollout = PerSamplePointMass(0.001)
    elites = {"topk": 10} if hasattr(planner_config(name), "topk") else {}
    planner = _planner(name, rollout, iterations=5, samples=100, deadline_ms=50.0, **elites)
    planner.plan(START, goal(), warm_start=torch.full((3, 3), 0.1))  # warm-up
    rollout.calls, rollout.batch_sizes = 0, []
    result = planner.plan(START, goal(), warm_start=torch.full((3, 3), 0.1))
    assert result.info["deadline_hit"] is True and result.info["iterations_done"] == 1
    assert 1 <= rollout.calls <= 3 and sum(rollout.batch_sizes) < 100
    assert result.info["rollouts"] == sum(rollout.batch_sizes)  # what was scored, not drawn
    assert result.actions.shape == (3, 3) and torch.isfinite(result.actions).all()
    assert bool((result.actions >= LOW - 1e-6).all()) and bool(
        (result.actions <= HIGH + 1e-6).all()
    )


def test_without_a_deadline_an_iteration_is_one_rollout_call() -> None:
    rollout = PointMass()
    _planner("cem", rollout, iterations=2, samples=100, topk=10, deadline_chunks=4).plan(
        START, goal()
    )
    assert rollout.batch_sizes == [100, 100]


def test_deadline_chunks_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline_chunks"):
        planner_config("cem", deadline_chunks=0)


def test_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline_ms"):
        planner_config("cem", deadline_ms=0)


def test_an_absolute_deadline_from_the_caller_wins_when_earlier() -> None:
    import time

    rollout = SlowPointMass(0.02)
    planner = _planner("cem", rollout, iterations=20, deadline_ms=1000.0)
    planner.deadline_at = time.perf_counter() + 0.05  # e.g. a frame's arrival + its budget
    result = planner.plan(START, goal())
    assert rollout.calls <= 3 and result.info["deadline_hit"] is True
