"""Parallelism and resources: blocks of training rows, joblib workers, BLAS threads,
the memory budget.

The influence layer works on blocks of consecutive training rows (views of X, no
copies) so that a block's temporaries stay within :data:`BLOCK_ELEMENTS` float64
values whatever ``n_train``. Blocks run through joblib (threads by default, any
backend, e.g. Dask); workers receive everything they read as arguments and write
nothing but their own output, so whatever a block needs (a factorisation, an
explicit inverse) is computed by the caller before :func:`map_blocks` starts them.

BLAS threads: numpy and scipy each load their own OpenBLAS. Waking a BLAS thread
pool costs milliseconds (15-45 ms per call on a loaded machine), more than the
arithmetic of a small product, so work below :data:`SMALL_WORK` flops per call runs
on one thread. Inside ``n_jobs`` workers BLAS gets ``cpu_count // n_jobs`` threads.
"""

import contextlib
import os
import threading

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from joblib.parallel import get_active_backend
from scipy import sparse

__all__ = [
    "BLOCK_ELEMENTS",
    "MATVEC_BLOCK_ELEMENTS",
    "SMALL_WORK",
    "DEFAULT_MEMORY_FRACTION",
    "blas_limit",
    "count_nonzero",
    "row_blocks",
    "map_blocks",
    "shares_memory",
    "memory_budget",
    "check_output_size",
]

#: A block of training rows holds at most this many float64 values (64 MiB).
BLOCK_ELEMENTS = 2**23

#: A Hessian-vector product works on blocks of rows of at most this many Z-space
#: values (see :meth:`skinfluence.solvers.HessianOperator.matvec`).
MATVEC_BLOCK_ELEMENTS = 2**21

#: Below this many flops for a call's largest product, BLAS runs single-threaded.
SMALL_WORK = 5e7

#: ``max_memory=None``: this fraction of the machine's physical memory.
DEFAULT_MEMORY_FRACTION = 0.5

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

    Parameters
    ----------
    flops : float, default=None
        Flops of the largest product of one call; below :data:`SMALL_WORK`, BLAS
        runs on one thread.
    n_workers : int, default=1
        Workers running such calls at once; each gets ``cpu_count // n_workers``
        BLAS threads.

    Returns
    -------
    context manager

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.parallel import blas_limit
    >>> with blas_limit(flops=1e3):
    ...     float(np.ones((2, 2)) @ np.ones(2) @ np.ones(2))
    4.0
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


def count_nonzero(X):
    """Stored entries of X: ``nnz`` when sparse, ``n_rows * n_columns`` when dense.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_rows, n_columns)

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from skinfluence.parallel import count_nonzero
    >>> count_nonzero(np.zeros((3, 4))), count_nonzero(sparse.eye(3, format="csr"))
    (12, 3)
    """
    return X.nnz if sparse.issparse(X) else X.shape[0] * X.shape[1]


def row_blocks(n_rows, row_cost, block_elements=None):
    """Consecutive blocks of rows, each holding at most ``block_elements`` values.

    Parameters
    ----------
    n_rows : int
        Rows to cover.
    row_cost : int
        float64 values a block holds per row (its solves and outputs).
    block_elements : int, default=None
        Values per block; ``None``: :data:`BLOCK_ELEMENTS`.

    Returns
    -------
    list of slice
        In order, covering ``range(n_rows)``; slices index rows of X as views.

    Examples
    --------
    >>> from skinfluence.parallel import row_blocks
    >>> row_blocks(5, row_cost=4, block_elements=8)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    elements = BLOCK_ELEMENTS if block_elements is None else block_elements
    size = max(1, min(n_rows, elements // max(1, row_cost)))
    return [slice(s, min(s + size, n_rows)) for s in range(0, n_rows, size)]


def shares_memory(n_jobs):
    """True when joblib would run ``n_jobs`` in this process (sequential or threads).

    Then workers may write their block of a shared output array in place.

    Parameters
    ----------
    n_jobs : int or None

    Returns
    -------
    bool

    Examples
    --------
    >>> from skinfluence.parallel import shares_memory
    >>> shares_memory(1)
    True
    """
    if effective_n_jobs(n_jobs) == 1:
        return True
    backend, _ = get_active_backend(prefer="threads")
    return bool(getattr(backend, "uses_threads", False))


def map_blocks(func, blocks, *, n_jobs=None, flops=None, verbose=0, collect=True):
    """Run ``func(block)`` on every block through joblib, results in order.

    BLAS threads are shared out between the workers (:func:`blas_limit`, set once
    by the calling thread). ``func`` must read only its arguments and what was
    computed before this call: it may run in threads at the same time as others.

    Parameters
    ----------
    func : callable
        ``func(block)`` for one block of :func:`row_blocks`.
    blocks : list of slice
    n_jobs : int, default=None
        joblib's ``n_jobs`` (threads preferred).
    flops : float, default=None
        Flops of one block's largest product, for :func:`blas_limit`.
    verbose : int, default=0
        Print the number of blocks and workers, and joblib's progress, when > 0.
    collect : bool, default=True
        ``False``: return a generator, so the caller stores each block's result
        as it arrives (peak memory: the output plus the blocks in flight).

    Returns
    -------
    list or generator
        ``func``'s results, in the order of ``blocks``.

    Examples
    --------
    >>> from skinfluence.parallel import map_blocks, row_blocks
    >>> map_blocks(lambda rows: rows.stop - rows.start, row_blocks(5, 2, 4))
    [2, 2, 1]
    """
    n_workers = max(1, min(len(blocks), effective_n_jobs(n_jobs)))
    if verbose:
        print(f"[InfluenceExplainer] {len(blocks)} block(s) of training rows, "
              f"{n_workers} worker(s)")

    def run():
        with blas_limit(flops, n_workers):
            yield from Parallel(
                n_jobs=n_jobs, prefer="threads", verbose=verbose, return_as="generator",
            )(delayed(func)(rows) for rows in blocks)

    return list(run()) if collect else run()


def memory_budget(max_memory=None):
    """The memory budget in bytes: ``max_memory``, or a fraction of physical memory.

    Parameters
    ----------
    max_memory : float, default=None
        Bytes; ``None``: :data:`DEFAULT_MEMORY_FRACTION` of this machine's physical
        memory (8 GB assumed where it cannot be read).

    Returns
    -------
    float

    Examples
    --------
    >>> from skinfluence.parallel import memory_budget
    >>> memory_budget(2**20)
    1048576.0
    """
    if max_memory is not None:
        return float(max_memory)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: 8 GB assumed
        total = 8 * 2**30
    return DEFAULT_MEMORY_FRACTION * total


def check_output_size(shape, budget, method, alternatives):
    """Refuse, before any work, a float64 result of ``shape`` above ``budget`` bytes.

    Parameters
    ----------
    shape : tuple of int
    budget : float
        Bytes (:func:`memory_budget`).
    method : str
        The method that would return it, for the message.
    alternatives : str
        What to use instead, for the message.

    Raises
    ------
    MemoryError
        Naming the size, the budget and the alternatives.

    Examples
    --------
    >>> from skinfluence.parallel import check_output_size
    >>> check_output_size((10, 10), 800, "influence()", "")
    >>> check_output_size((10, 11), 800, "influence()", "")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    MemoryError: influence() would return a 10 x 11 float64 array ...
    """
    need = 8.0 * np.prod(shape, dtype=np.float64)
    if need > budget:
        raise MemoryError(
            f"{method} would return a {shape[0]} x {shape[1]} float64 array "
            f"({need / 2**30:.3g} GiB), above the memory budget max_memory="
            f"{budget / 2**30:.3g} GiB. {alternatives} Or raise max_memory "
            "(InfluenceExplainer(..., max_memory=<bytes>)), or pass fewer test rows "
            "at a time."
        )
