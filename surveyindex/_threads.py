"""Using the machine's cores for independent pieces of numpy work, with identical results.

The heavy steps (replicate sums per country, filling item arrays) are matrix products and
ufunc loops that release the GIL, so threads run them side by side without copying data. Each
piece is computed exactly as it would be alone, so the numbers do not depend on the number of
threads. ``SURVEYINDEX_THREADS=1`` runs everything in the calling thread (see :func:`threads`).
"""

from __future__ import annotations

import collections
import contextlib
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

#: More threads than this buy little on memory-bound work and cost a block of memory each.
MAX_THREADS = 4


def threads() -> int:
    """Threads to use: ``SURVEYINDEX_THREADS`` if set, else ``OMP_NUM_THREADS`` (which dask
    workers and batch schedulers set to the cores they grant), else the usable cores, at
    most 4.

    >>> threads() >= 1
    True
    """
    for name in ("SURVEYINDEX_THREADS", "OMP_NUM_THREADS"):
        env = os.environ.get(name, "").strip()
        if env.isdigit() and int(env) > 0:
            return int(env)
        if env and name == "SURVEYINDEX_THREADS":
            warnings.warn(f"SURVEYINDEX_THREADS={env!r} is not a whole number of threads (1 or "
                          "more); it is ignored", RuntimeWarning, stacklevel=2)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cores))


def run_parallel(fn: Callable[[int], object], n: int, workers: int | None = None) -> list:
    """``[fn(k) for k in range(n)]``, on up to ``workers`` threads (default :func:`threads`).

    Results come back in order of ``k``; the first exception is raised as it would be in the
    loop. BLAS is held to one thread meanwhile, so the threads do not contend for the cores and
    the sums do not depend on BLAS's own threading.

    >>> run_parallel(lambda k: k * k, 4, workers=2)
    [0, 1, 4, 9]
    """
    workers = min(threads() if workers is None else workers, n)
    # BLAS on one thread in the serial case too: its threaded kernels sum in another order, and
    # the numbers should not depend on how many threads there are.
    with one_blas_thread():
        if workers <= 1:
            return [fn(k) for k in range(n)]
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(fn, range(n)))


class Pipeline:
    """Run calls on worker threads (in the caller when only one thread is to be used), as
    many waiting as there are workers, so the caller can prepare the next while they run;
    the first exception is raised in the caller.

    >>> out = []
    >>> with Pipeline() as later:
    ...     for k in range(3):
    ...         later(out.append, k)
    >>> sorted(out)
    [0, 1, 2]
    """

    def __enter__(self):
        workers = threads()
        self.pool = ThreadPoolExecutor(workers) if workers > 1 else None
        self.depth, self.pending = workers, collections.deque()
        return self

    def __call__(self, fn, *args):
        if self.pool is None:
            fn(*args)
            return
        if len(self.pending) >= self.depth:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(fn, *args))

    def __exit__(self, *exc):
        if self.pool is not None:
            try:
                while self.pending and exc[0] is None:
                    self.pending.popleft().result()
            finally:
                self.pool.shutdown()
        return False


def one_blas_thread():
    """A context limiting BLAS to one thread (a no-op without threadpoolctl).

    >>> with one_blas_thread():
    ...     pass
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # only a matter of speed
            return contextlib.nullcontext()
        _CONTROLLER = ThreadpoolController()  # inspecting the loaded libraries takes ms: once
    return _CONTROLLER.limit(limits=1, user_api="blas")


_CONTROLLER = None
