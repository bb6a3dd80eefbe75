"""Run a compiled kernel's independent pieces on the machine's idle cores.

The estimator's heaviest kernels (:mod:`planner._kernels`) release the GIL
(``nogil=True``) and take the range of items they work on, writing into arrays
the caller allocates; :func:`run_pieces` runs the pieces of one call on helper
threads and the calling thread at once. Each piece does exactly the work the
whole call does for its items, so the result is the same, bit for bit, however
many pieces run where.

Plain Python threads, not numba's ``parallel=True``: the app calls the
estimator from several sessions' threads at once, which numba's default
threading layer does not allow, and a parallel kernel compiles several times
slower. A piece never waits for a busy helper: where none is idle (another
session is slicing), it runs in the calling thread.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np


def _cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


#: Helper threads: one per core beyond the calling thread's, at most three.
HELPERS = max(0, min(_cores(), 4) - 1)
#: Items below which a kernel runs whole in the calling thread (a hand-over
#: to a helper costs tens of microseconds).
MIN_SPLIT_ITEMS = 50_000

_pool: ThreadPoolExecutor | None = None
_idle = threading.BoundedSemaphore(1)


def _start() -> None:
    """A fresh pool of :data:`HELPERS` threads (at import, and in a forked child,
    which inherits the pool object but none of its threads)."""
    global _pool, _idle
    _pool = (
        ThreadPoolExecutor(max_workers=HELPERS, thread_name_prefix="sparecast-kernel")
        if HELPERS
        else None
    )
    _idle = threading.BoundedSemaphore(max(HELPERS, 1))


_start()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start)


def _run_freeing(piece: Callable[[], object]) -> object:
    try:
        return piece()
    finally:
        _idle.release()


def pieces(n_items: int, *, min_items: int | None = None) -> list[tuple[int, int]]:
    """Ranges ``[start, stop)`` that split ``n_items`` items for :func:`run_pieces`.

    One range when there are fewer than ``min_items`` items
    (:data:`MIN_SPLIT_ITEMS`) or no helper thread; else one per thread that
    could take one (helpers and the caller), of equal size.

    Examples
    --------
    >>> pieces(10, min_items=4)[-1][1], len(pieces(10, min_items=100))
    (10, 1)
    """
    limit = MIN_SPLIT_ITEMS if min_items is None else min_items
    n_pieces = 1 if n_items < limit else min(HELPERS + 1, max(n_items, 1))
    edges = np.linspace(0, n_items, n_pieces + 1).round().astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def run_pieces(
    calls: Sequence[Callable[[], object]], *, items: int | None = None
) -> list[object]:
    """Run ``calls`` (independent pieces of work), some on idle helpers.

    The first runs in the calling thread; each other goes to a helper thread
    if one is idle at that moment, else runs here too. With ``items`` (the
    size of the work) under :data:`MIN_SPLIT_ITEMS`, all run here: a hand-over
    costs more than a small piece. Returns their results in order; an
    exception in any is raised here after all have finished.
    """
    if len(calls) == 1 or (items is not None and items < MIN_SPLIT_ITEMS):
        return [call() for call in calls]
    futures: dict[int, Future] = {}
    for index, call in enumerate(calls):
        if index and _pool is not None and _idle.acquire(blocking=False):
            futures[index] = _pool.submit(_run_freeing, call)
    results: list[object] = [None] * len(calls)
    error: BaseException | None = None
    for index, call in enumerate(calls):
        if index in futures:
            continue
        try:
            results[index] = call()
        except BaseException as exc:
            error = error or exc
    for index, future in futures.items():
        try:
            results[index] = future.result()
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error
    return results
