"""Streaming top-k: the k largest and smallest values per test row, block by block.

A running k-th best per test row filters each block by one comparison (cheap), and
only the few survivors are ranked. Thresholds only rise, and a worker reading an
older one keeps more candidates, never fewer: any order of blocks is exact.
"""

import numpy as np
from sklearn.utils import Bunch

__all__ = ["StreamingTopK"]


class StreamingTopK:
    """The ``k`` largest and ``k`` smallest values per row over blocks of columns.

    Workers call :meth:`reduce` on their block (it reads the running thresholds,
    never writes); the calling thread passes each result to :meth:`add`, which
    raises the thresholds.

    Parameters
    ----------
    n_rows : int
        Test rows.
    k : int
        Values kept per row and side.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.influence import StreamingTopK
    >>> values = np.array([[3.0, -1.0, 7.0, 0.5, -4.0]])
    >>> top = StreamingTopK(1, k=2)
    >>> for cols in (slice(0, 2), slice(2, 5)):
    ...     top.add(top.reduce(values[:, cols].copy(), np.arange(5)[cols]))
    >>> r = top.result()
    >>> r.helpful_indices, r.helpful_scores, r.harmful_indices
    (array([[2, 0]]), array([[7., 3.]]), array([[4, 1]]))
    """

    def __init__(self, n_rows, k):
        self.k = k
        self._hi_bound = np.full(n_rows, -np.inf)
        self._lo_bound = np.full(n_rows, -np.inf)
        self._best_idx = np.empty((n_rows, 0), dtype=np.intp)
        self._best_val = np.empty((n_rows, 0))
        self._worst_idx, self._worst_neg = self._best_idx, self._best_val

    def reduce(self, block, columns):
        """A block's candidates for both ends; ``block`` is overwritten.

        Parameters
        ----------
        block : ndarray of shape (n_rows, n_columns)
        columns : ndarray of int of shape (n_columns,)
            The global column index of each of the block's columns.

        Returns
        -------
        tuple
            ``((indices, values), (indices, negated values))``, the candidates
            for the largest and for the smallest values.

        Examples
        --------
        >>> from skinfluence.influence import StreamingTopK
        >>> top, block = StreamingTopK(1, k=2), np.array([[3.0, -1.0, 7.0]])
        >>> (hi_idx, hi_val), (lo_idx, lo_neg) = top.reduce(block, np.arange(3))
        >>> hi_val.tolist(), block.tolist()  # no threshold yet: all pass; negated
        ([[3.0, -1.0, 7.0]], [[-3.0, 1.0, -7.0]])
        """
        hi = _candidates(block, columns, self.k, self._hi_bound)
        np.negative(block, out=block)
        return hi, _candidates(block, columns, self.k, self._lo_bound)

    def add(self, candidates):
        """Merge one block's :meth:`reduce` result and raise the thresholds.

        Parameters
        ----------
        candidates : tuple
            As returned by :meth:`reduce`.

        Returns
        -------
        None

        Examples
        --------
        >>> from skinfluence.influence import StreamingTopK
        >>> values, top = np.array([[3.0, -1.0, 7.0, 0.5]]), StreamingTopK(1, k=2)
        >>> top.add(top.reduce(values[:, :2].copy(), np.arange(2)))
        >>> top.result().helpful_indices  # the k best so far
        array([[0, 1]])
        >>> top.add(top.reduce(values[:, 2:].copy(), np.arange(2, 4)))
        >>> top.result().helpful_indices
        array([[2, 0]])
        """
        (hi_idx, hi_val), (lo_idx, lo_neg) = candidates
        k = self.k
        self._best_idx, self._best_val = _keep_top(
            np.hstack([self._best_idx, hi_idx]), np.hstack([self._best_val, hi_val]), k)
        self._worst_idx, self._worst_neg = _keep_top(
            np.hstack([self._worst_idx, lo_idx]),
            np.hstack([self._worst_neg, lo_neg]), k)
        if self._best_val.shape[1] == k:  # replaced, not written: workers may read
            self._hi_bound = self._best_val[:, -1].copy()
            self._lo_bound = self._worst_neg[:, -1].copy()

    def result(self):
        """The k largest (descending) and smallest (ascending) values per row.

        Returns
        -------
        Bunch
            ``helpful_indices``, ``helpful_scores``, ``harmful_indices``,
            ``harmful_scores``, each (n_rows, k).

        Examples
        --------
        >>> from skinfluence.influence import StreamingTopK
        >>> values = np.random.RandomState(0).normal(size=(3, 50))
        >>> top = StreamingTopK(3, k=4)
        >>> for cols in np.array_split(np.arange(50), 5):
        ...     top.add(top.reduce(values[:, cols].copy(), cols))
        >>> r = top.result()  # the same as sorting the whole matrix
        >>> np.array_equal(r.harmful_indices, np.argsort(values, axis=1)[:, :4])
        True
        """
        return Bunch(helpful_indices=self._best_idx, helpful_scores=self._best_val,
                     harmful_indices=self._worst_idx, harmful_scores=-self._worst_neg)


def _candidates(vals, columns, k, bound):
    """Per row, the values of ``vals`` that may be among the k largest overall
    (those >= ``bound``, at most k of them), padded with -inf: (indices, values)."""
    idx_of = np.asarray(columns)
    mask = vals >= bound[:, None]
    counts = mask.sum(axis=1)
    width = int(counts.max(initial=0))
    r = vals.shape[1]
    if width > max(4 * k, r // 8):  # early blocks: most values pass, rank the block
        part = np.argpartition(vals, r - k, axis=1)[:, r - k:] if r > k else \
            np.broadcast_to(np.arange(r), vals.shape)
        return idx_of[part], np.take_along_axis(vals, part, 1)
    t, j = np.nonzero(mask)
    pos = np.arange(t.size) - np.repeat(np.cumsum(counts) - counts, counts)
    out_val = np.full((vals.shape[0], max(width, 1)), -np.inf)
    out_idx = np.zeros((vals.shape[0], max(width, 1)), dtype=np.intp)
    out_val[t, pos] = vals[t, j]
    out_idx[t, pos] = idx_of[j]
    return out_idx, out_val


def _keep_top(idx, val, k):
    """Keep the k largest values per row, sorted descending."""
    if val.shape[1] <= k:
        part = np.broadcast_to(np.arange(val.shape[1]), val.shape)
    else:
        part = np.argpartition(-val, k - 1, axis=1)[:, :k]
    v = np.take_along_axis(val, part, 1)
    order = np.argsort(-v, axis=1, kind="stable")
    return (np.take_along_axis(np.take_along_axis(idx, part, 1), order, 1),
            np.take_along_axis(v, order, 1))
