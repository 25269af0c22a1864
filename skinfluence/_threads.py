"""BLAS thread control: no oversubscription, no thread-pool wake-ups for small work.

numpy and scipy each load their own OpenBLAS. Waking a BLAS thread pool costs
milliseconds (15-45 ms per call on a loaded machine), more than the arithmetic of
a small product, so work below :data:`SMALL_WORK` flops per call runs on one
thread. Inside ``n_jobs`` workers BLAS gets ``cpu_count // n_jobs`` threads.
"""

import contextlib
import os
import threading

__all__ = ["blas_limit", "SMALL_WORK"]

#: Below this many flops for a call's largest product, BLAS runs single-threaded.
SMALL_WORK = 5e7

_controller = None


def _get_controller():
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


def blas_limit(flops=None, n_workers=1):
    """Context limiting BLAS threads for work of ``flops`` per call in ``n_workers``.

    Returns a null context when no limit is needed (large work, one worker), and
    from any thread but the main one: BLAS thread counts are process-wide, so
    workers changing and restoring them concurrently could leave them wrong; the
    main thread sets them once around the workers instead.
    """
    if threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()
    limit = None
    if flops is not None and flops < SMALL_WORK:
        limit = 1
    elif n_workers > 1:
        limit = max(1, (os.cpu_count() or 1) // n_workers)
    if limit is None:
        return contextlib.nullcontext()
    return _get_controller().limit(limits=limit, user_api="blas")
