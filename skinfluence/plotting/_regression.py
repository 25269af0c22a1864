"""1-D regression, training rows coloured by their influence on a test point (Fig 3)."""

import numpy as np

from sklearn.base import is_regressor

from ._base import (
    INFLUENCE_CMAP,
    check_matplotlib,
    explainer_rows,
    get_ax,
    one_row,
    positional,
    shown_test_row,
    with_fitted_names,
)

#: The colour bar's label, by the quantity the influence is on.
COLORBAR_LABELS = {
    "loss": "influence on the test point's loss\n(blue helps, red hurts)",
    "prediction": "influence on the test point's prediction\n"
    "(blue: the row raises it, red: lowers it)",
}


class RegressionInfluenceDisplay:
    """A 1-D regression: the fitted line, and each training row coloured by its
    influence on one test point's loss.

    Blue rows help the test point (removing one would raise its squared error),
    red rows hurt it; the colour scale is symmetric about 0 and logarithmic
    beyond ``linthresh`` so that outliers, whose influence is orders of
    magnitude larger, do not wash out the others.

    Parameters
    ----------
    x, y : array-like of shape (n_train,)
        The training rows' input and output.
    influence : array-like of shape (n_train,)
        Their influence on the test point's loss.
    x_test, y_test : float
        The test point.
    line_x, line_y : array-like, default=None
        The fitted regression line (e.g. ``predict`` on a grid).
    target : {"loss", "prediction"}, default="loss"
        What the influence is on, for the colour bar's label.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The training rows; ``scatter_.get_array()`` holds their influence.
    test_point_ : matplotlib PathCollection
        The test point (black star).
    line_ : matplotlib Line2D or None
    colorbar_ : matplotlib Colorbar
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skinfluence.plotting import RegressionInfluenceDisplay
    >>> x, y, influence = [0, 1, 2], [0, 1, 5], [0.5, 0.2, -3.0]
    >>> disp = RegressionInfluenceDisplay(x, y, influence, 1.5, 1.5)
    >>> disp = disp.plot()
    >>> disp.scatter_.get_array().tolist(), disp.line_ is None
    ([0.5, 0.2, -3.0], True)
    >>> plt.close(disp.figure_)
    """

    def __init__(
        self,
        x,
        y,
        influence,
        x_test,
        y_test,
        *,
        line_x=None,
        line_y=None,
        target="loss",
    ):
        self.x = np.asarray(x, dtype=np.float64).ravel()
        self.y = np.asarray(y, dtype=np.float64).ravel()
        self.influence = np.asarray(influence, dtype=np.float64)
        self.x_test = float(x_test)
        self.y_test = float(y_test)
        self.line_x = line_x
        self.line_y = line_y
        self.target = target

    def plot(
        self,
        ax=None,
        *,
        cmap=INFLUENCE_CMAP,
        linthresh=None,
        colorbar=True,
        scatter_kwargs=None,
    ):
        """Draw the plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        cmap : str, default="RdBu"
            Diverging colour map, negative (harmful) to positive (helpful).
        linthresh : float, default=None
            Below this absolute influence the colour scale is linear; None uses
            the median absolute influence. ``np.inf`` gives a linear scale.
        colorbar : bool, default=True
        scatter_kwargs : dict, default=None
            Passed to ``ax.scatter`` for the training rows.

        Returns
        -------
        self : RegressionInfluenceDisplay
            With ``ax_``, ``figure_``, ``scatter_``, ``test_point_``, ``line_``
            and ``colorbar_`` set.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from skinfluence.plotting import RegressionInfluenceDisplay
        >>> disp = RegressionInfluenceDisplay(
        ...     [0, 1, 2], [0, 1, 2], [1.0, -1.0, 2.0], 3.0, 3.0,
        ...     line_x=[0, 3], line_y=[0, 3])
        >>> disp = disp.plot(linthresh=np.inf, colorbar=False)
        >>> disp.scatter_.norm.vmin, disp.scatter_.norm.vmax, disp.colorbar_
        (-2.0, 2.0, None)
        >>> plt.close(disp.figure_)
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        from matplotlib.colors import Normalize, SymLogNorm

        ax = get_ax(ax)
        vmax = float(np.max(np.abs(self.influence))) or 1.0
        if linthresh is None:
            linthresh = float(np.median(np.abs(self.influence))) or vmax
        if np.isinf(linthresh) or linthresh >= vmax:
            norm = Normalize(vmin=-vmax, vmax=vmax)
        else:
            norm = SymLogNorm(linthresh=linthresh, vmin=-vmax, vmax=vmax, base=10)
        self.line_ = None
        if self.line_x is not None and self.line_y is not None:
            (self.line_,) = ax.plot(
                self.line_x,
                self.line_y,
                color="0.2",
                linewidth=1.5,
                label="fitted line",
                zorder=1,
            )
        scatter_kwargs = {
            "s": 28,
            "edgecolors": "0.3",
            "linewidths": 0.4,
            **(scatter_kwargs or {}),
        }
        self.scatter_ = ax.scatter(
            self.x,
            self.y,
            c=self.influence,
            cmap=cmap,
            norm=norm,
            zorder=2,
            **scatter_kwargs,
        )
        self.test_point_ = ax.scatter(
            [self.x_test],
            [self.y_test],
            marker="*",
            s=300,
            color="gold",
            edgecolors="black",
            linewidths=1.2,
            zorder=4,
            label="test point",
        )
        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = ax.figure.colorbar(self.scatter_, ax=ax)
            self.colorbar_.set_label(
                COLORBAR_LABELS.get(self.target, f"influence on {self.target}")
            )
        ax.legend(loc="best", framealpha=0.9)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_explainer(
        cls,
        explainer,
        X_test,
        y_test,
        *,
        X=None,
        feature=0,
        target="loss",
        ax=None,
        cmap=INFLUENCE_CMAP,
        linthresh=None,
        colorbar=True,
        scatter_kwargs=None,
    ):
        """Compute the training rows' influence on one test point and plot it.

        Parameters
        ----------
        explainer : InfluenceExplainer
            Fitted on a regressor with one input feature (or pass ``feature``).
        X_test : array-like of shape (1, n_features)
        y_test : float
        X : array-like of shape (n_train, n_features), default=None
            The training inputs before any pipeline transform (default
            ``explainer.X_``, the model's features: then ``X_test`` and the line
            are in those features too); column ``feature`` is the x axis.
        feature : int, default=0
            The column shown on the x axis; the line is drawn when it is the
            only one.
        target : {"loss", "prediction"}, default="loss"
            The quantity the influence is on (named by the colour bar).
        ax, cmap, linthresh, colorbar, scatter_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : RegressionInfluenceDisplay
            Drawn; ``display.influence`` holds the scores.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn import datasets, linear_model
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.plotting import RegressionInfluenceDisplay
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> X = X[:, [2]]  # body mass index only: a 1-D regression
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X[:400], y[:400])
        >>> disp = RegressionInfluenceDisplay.from_explainer(ex, X[400], y[400])
        >>> same = np.allclose(disp.influence, ex.influence(X[[400]], y[[400]])[0])
        >>> disp.influence.shape, same
        ((400,), True)
        >>> plt.close(disp.figure_)
        """
        check_matplotlib(f"{cls.__name__}.from_explainer")
        if not is_regressor(explainer.estimator_) or np.ndim(explainer.y_) != 1:
            raise ValueError(
                f"{cls.__name__} shows a regressor with one output; the explainer "
                f"holds a {type(explainer.estimator_).__name__} fitted on y of shape "
                f"{np.shape(explainer.y_)}."
            )
        X_test, y_test = one_row(X_test, y_test)
        influence = positional(explainer).influence(X_test, y_test, target=target)[0]
        Xs = explainer_rows(explainer, X)
        x, x_test = Xs[:, feature], shown_test_row(explainer, X, X_test)[feature]
        line_x = line_y = None
        if Xs.shape[1] == 1:
            line_x = np.linspace(min(x.min(), x_test), max(x.max(), x_test), 200)
            grid = line_x[:, None]
            if X is not None and explainer.feature_map_ is not None:  # X as given
                fmap = explainer.feature_map_
                grid = fmap.transform(with_fitted_names(fmap, grid))
            grid = with_fitted_names(explainer.estimator_, grid)
            line_y = np.asarray(explainer.estimator_.predict(grid)).ravel()
        disp = cls(
            x,
            explainer.y_,
            influence,
            x_test,
            y_test[0],
            line_x=line_x,
            line_y=line_y,
            target=target,
        )
        return disp.plot(
            ax=ax,
            cmap=cmap,
            linthresh=linthresh,
            colorbar=colorbar,
            scatter_kwargs=scatter_kwargs,
        )
