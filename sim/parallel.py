"""Episodes in N worker processes, results in job order: the fan-out of collect and eval.

Usage::

    with EpisodePool(partial(make_state, "franka-reach"), workers=2) as pool:
        for result in pool.map(run_one, seeds):      # run_one(state, seed), in seed order
            ...

``make_state`` runs once per worker (build the env and the policy there: a pybullet client
cannot cross a process boundary) and ``run_one(state, job)`` once per job. With ``workers=1``
both run in this process, so one code path serves both and a result depends only on its job,
never on which worker ran it or what ran before. Workers are started with ``spawn`` (no forked
pybullet or torch state); ``make_state``, ``run_one``, the jobs and the results must be
module-level functions (or ``functools.partial`` of them) and plain data, since they cross the
process boundary through multiprocessing's in-memory transport.

``ray_address`` (optional extra ``ray``) runs the same functions as Ray actors instead, one per
worker, on a cluster (``"auto"`` or ``"ray://host:10001"``) or a local runtime (``"local"``);
the nodes need this package installed. Jobs go round-robin to the actors and results still come
back in job order.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_STATE: Any = None  # the per-worker state built by make_state (one per process)


def _init(make_state: Callable[[], Any]) -> None:
    global _STATE
    _STATE = make_state()


def _call(fn: Callable[[Any, Any], Any], job: Any) -> Any:
    return fn(_STATE, job)


class EpisodePool:
    """``workers`` processes (1: this process) each holding ``make_state()``; see module doc."""

    def __init__(
        self, make_state: Callable[[], Any], workers: int = 1, ray_address: str | None = None
    ) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        self.workers = workers
        self._make_state = make_state
        self._state: Any = None
        self._executor: ProcessPoolExecutor | None = None
        self._ray_address = ray_address
        self._actors: list[Any] = []
        self._started_ray = False

    def __enter__(self) -> EpisodePool:
        if self._ray_address is not None:
            self._start_ray()
        elif self.workers == 1:
            self._state = self._make_state()
        else:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_init,
                initargs=(self._make_state,),
            )
        return self

    def _start_ray(self) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError(
                "a Ray address needs the ray package (pip install 'jepa-wm[ray]')"
            ) from None
        if not ray.is_initialized():
            local = self._ray_address == "local"
            ray.init(
                address=None if local else self._ray_address,
                num_cpus=self.workers if local else None,
                include_dashboard=False,
                log_to_driver=False,
            )
            self._started_ray = True
        actor = ray.remote(num_cpus=1)(_RayWorker)
        self._actors = [actor.remote(self._make_state) for _ in range(self.workers)]

    def __exit__(self, *exc: object) -> None:
        if self._actors:
            import ray

            for a in self._actors:
                ray.kill(a)
            if self._started_ray:
                ray.shutdown()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        close = getattr(self._state, "close", None)
        if callable(close):
            close()

    def map(self, fn: Callable[[Any, Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """``fn(state, job)`` for every job, yielded in job order as they complete."""
        if self._actors:
            import ray

            refs = [
                self._actors[k % len(self._actors)].run.remote(fn, job)
                for k, job in enumerate(jobs)
            ]
            for ref in refs:
                yield ray.get(ref)
            return
        if self._executor is None:
            for job in jobs:
                yield fn(self._state, job)
            return
        # chunksize 1: episodes are seconds each, so balance matters more than IPC overhead
        yield from self._executor.map(_call, itertools.repeat(fn), jobs, chunksize=1)


class _RayWorker:
    """A Ray actor holding one worker's state (the env and policy stay in its process)."""

    def __init__(self, make_state: Callable[[], Any]) -> None:
        self.state = make_state()

    def run(self, fn: Callable[[Any, Any], Any], job: Any) -> Any:
        return fn(self.state, job)
