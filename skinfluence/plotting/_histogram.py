"""Histogram of self-influence with an outlier threshold (the paper's Fig 4b)."""

import numpy as np

from ._base import HARMFUL_COLOR, check_matplotlib, get_ax


class SelfInfluenceHistogramDisplay:
    """Histogram of the training rows' self-influence, with the outlier threshold.

    A row's self-influence is how much its own loss would rise if it were
    removed and the model refitted (:meth:`InfluenceExplainer.self_influence`,
    always >= 0). Ordinary rows pile up in a first peak near zero; rows the
    model bends towards (outliers, high-leverage points) sit far to the right.
    The paper (§5.2) cuts at the valley after the first peak; bars to the right
    of ``threshold`` are drawn in red.

    Parameters
    ----------
    self_influence : array-like of shape (n_train,)
        The scores.
    threshold : float, default=None
        Rows scoring above it are outliers; ``None`` draws no line.

    Attributes
    ----------
    patches_ : list of matplotlib Rectangle
        The histogram's bars, left to right.
    bin_edges_ : ndarray of shape (n_bins + 1,)
    counts_ : ndarray of shape (n_bins,)
    threshold_line_ : matplotlib Line2D or None
        The vertical threshold line.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skinfluence.plotting import SelfInfluenceHistogramDisplay
    >>> disp = SelfInfluenceHistogramDisplay([0.1, 0.2, 0.3, 5.0], threshold=1.0)
    >>> disp = disp.plot(bins=5)
    >>> disp.counts_.tolist(), disp.threshold_line_.get_xdata()[0]
    ([3, 0, 0, 0, 1], 1.0)
    >>> plt.close(disp.figure_)
    """

    def __init__(self, self_influence, *, threshold=None):
        self.self_influence = np.asarray(self_influence, dtype=np.float64)
        self.threshold = threshold

    def plot(
        self, ax=None, *, bins=50, log_x=False, hist_kwargs=None, line_kwargs=None
    ):
        """Draw the histogram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.
        bins : int or sequence, default=50
            As in :func:`numpy.histogram`. With ``log_x=True`` an int gives
            that many log-spaced bins.
        log_x : bool, default=False
            Log-scaled score axis, useful when outliers are orders of
            magnitude above the rest.
        hist_kwargs, line_kwargs : dict, default=None
            Passed to ``ax.bar`` and ``ax.axvline``.

        Returns
        -------
        self : SelfInfluenceHistogramDisplay
            With ``ax_``, ``figure_``, ``patches_``, ``bin_edges_``,
            ``counts_`` and ``threshold_line_`` set.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from skinfluence.plotting import SelfInfluenceHistogramDisplay
        >>> disp = SelfInfluenceHistogramDisplay([0.01, 0.1, 1.0, 100.0])
        >>> disp = disp.plot(bins=4, log_x=True)
        >>> disp.ax_.get_xscale(), int(disp.counts_.sum())
        ('log', 4)
        >>> plt.close(disp.figure_)
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        ax = get_ax(ax)
        scores = self.self_influence
        if log_x:
            positive = scores[scores > 0]
            low = positive.min() if positive.size else 1e-12
            if np.isscalar(bins) or np.ndim(bins) == 0:
                bins = np.geomspace(low, max(scores.max(), low * 10), int(bins) + 1)
            scores = np.maximum(scores, low)
        counts, edges = np.histogram(scores, bins=bins)
        hist_kwargs = {
            "color": "0.55",
            "edgecolor": "white",
            "linewidth": 0.5,
            **(hist_kwargs or {}),
        }
        bars = ax.bar(
            edges[:-1], counts, width=np.diff(edges), align="edge", **hist_kwargs
        )
        self.patches_ = list(bars.patches)
        self.threshold_line_ = None
        if self.threshold is not None:
            for patch, left in zip(self.patches_, edges[:-1]):
                if left >= self.threshold:
                    patch.set_facecolor(HARMFUL_COLOR)
            n_out = int(np.sum(self.self_influence > self.threshold))
            line_kwargs = {
                "color": "black",
                "linestyle": "--",
                "linewidth": 1.5,
                "label": f"threshold {self.threshold:.3g}: {n_out} outlier(s)",
                **(line_kwargs or {}),
            }
            self.threshold_line_ = ax.axvline(self.threshold, **line_kwargs)
            ax.legend(loc="best", framealpha=0.9)
        if log_x:
            ax.set_xscale("log")
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("self-influence: rise of the row's own loss if it is removed")
        ax.set_ylabel("number of training rows")
        self.bin_edges_, self.counts_ = edges, counts
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_explainer(
        cls,
        explainer,
        *,
        threshold=None,
        ax=None,
        bins=50,
        log_x=False,
        hist_kwargs=None,
        line_kwargs=None,
    ):
        """Compute the self-influence of a fitted explainer and plot its histogram.

        Parameters
        ----------
        explainer : InfluenceExplainer
            Fitted.
        threshold : float, default=None
            E.g. the threshold an :class:`~skinfluence.InfluenceOutlierRemover`
            chose.
        ax, bins, log_x, hist_kwargs, line_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : SelfInfluenceHistogramDisplay
            Drawn; ``display.self_influence`` holds the scores.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn import datasets, linear_model
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.plotting import SelfInfluenceHistogramDisplay
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X, y)
        >>> disp = SelfInfluenceHistogramDisplay.from_explainer(ex, bins=20)
        >>> int(disp.counts_.sum()) == ex.n_train_, bool(disp.self_influence.min() >= 0)
        (True, True)
        >>> plt.close(disp.figure_)
        """
        check_matplotlib(f"{cls.__name__}.from_explainer")
        disp = cls(explainer.self_influence(), threshold=threshold)
        return disp.plot(
            ax=ax,
            bins=bins,
            log_x=log_x,
            hist_kwargs=hist_kwargs,
            line_kwargs=line_kwargs,
        )
