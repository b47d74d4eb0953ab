"""Run one function over many items, in parallel: a local process pool, or Ray when installed.

Generic on purpose (the PIE and SWE-fficiency evals both use it): `fn` must be a picklable
top-level function of one item, and results come back in the order of `items`. An item whose
call raises does not stop the others: its exception is re-raised once all have finished,
unless `return_exceptions` asks for it in place of the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from perfopt.errors import UserError

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("local", "ray")


def run_all(
    fn: Callable[[T], R],
    items: Sequence[T],
    jobs: int = 1,
    executor: str = "local",
    *,
    return_exceptions: bool = False,
) -> list[Any]:
    """`[fn(item) for item in items]`, with up to `jobs` running at once."""
    if jobs < 1:
        raise UserError(f"--jobs must be >= 1 (got {jobs})")
    if executor not in EXECUTORS:
        raise UserError(f"unknown executor '{executor}'; use one of {', '.join(EXECUTORS)}")
    if executor == "ray":
        outcomes = _ray(fn, items, jobs)
    elif jobs == 1 or len(items) <= 1:
        # In-process: no pickling, and tracebacks point at the real frames.
        outcomes = [_call(fn, item) for item in items]
    else:
        outcomes = _pool(fn, items, jobs)
    if not return_exceptions:
        for outcome in outcomes:
            if isinstance(outcome, _Failed):
                raise outcome.error
    return [o.error if isinstance(o, _Failed) else o for o in outcomes]


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _call(fn: Callable[[T], R], item: T) -> Any:
    try:
        return fn(item)
    except Exception as exc:  # collected and re-raised by run_all
        return _Failed(exc)


def _pool(fn: Callable[[T], R], items: Sequence[T], jobs: int) -> list[Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "spawn": forking a process that holds threads (rich, the LLM client) can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context) as pool:
        futures = [pool.submit(fn, item) for item in items]
        out: list[Any] = []
        for future in futures:
            try:
                out.append(future.result())
            except Exception as exc:
                out.append(_Failed(exc))
        return out


def _ray(fn: Callable[[T], R], items: Sequence[T], jobs: int) -> list[Any]:
    try:
        import ray
    except ImportError:
        raise UserError(
            "--executor ray needs Ray; install it with pip install 'perfopt[ray]' "
            "or use --executor local"
        ) from None
    if not ray.is_initialized():
        ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(fn)
    refs = [remote.remote(item) for item in items]
    out = []
    for ref in refs:
        try:
            out.append(ray.get(ref))
        except Exception as exc:  # ray wraps the task's error; keep it per item
            out.append(_Failed(exc))
    return out
