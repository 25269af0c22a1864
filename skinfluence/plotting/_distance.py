"""Influence of every training row against its distance to one test row (Figs 5–7)."""

import numpy as np

from ._base import (
    HARMFUL_COLOR,
    check_matplotlib,
    explainer_rows,
    format_score,
    get_ax,
    image_shape_of,
    one_row,
    positional,
    shown_test_row,
)


class InfluenceDistanceDisplay:
    """Influence on one test row against Euclidean distance to it, coloured by class.

    Each dot is a training row: x = its distance to the test row, y = its
    influence on the test row (positive = it helps the test row's prediction,
    negative = it hurts). The most harmful row is circled; with images, the
    test row and the most harmful row are shown above the plot (the paper's
    Figs 5–7).

    Parameters
    ----------
    influence : array-like of shape (n_train,)
    distance : array-like of shape (n_train,)
    labels : array-like of shape (n_train,)
        The training rows' classes (colours).
    test_label : object, default=None
        The test row's class, shown in the title.
    test_image, harmful_image : array-like of shape (h, w), default=None
        Shown above the plot when given.
    target : str, default="loss"
        What the influence is on, for the axis label.

    Attributes
    ----------
    scatters_ : dict class -> matplotlib PathCollection
        One scatter per class, in the order of ``np.unique(labels)``.
    circle_ : matplotlib PathCollection
        The ring around the most harmful row.
    circle_label_ : matplotlib Annotation
        Its label: row index, class and influence.
    harmful_index_ : int
        Index of the most harmful (most negative) training row.
    image_axes_ : list of matplotlib Axes
        The axes of the images shown above the plot (empty without images).
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skinfluence.plotting import InfluenceDistanceDisplay
    >>> influence, distance = [0.3, -0.5, 0.1], [1.0, 2.0, 3.0]
    >>> disp = InfluenceDistanceDisplay(influence, distance, ["a", "b", "a"])
    >>> disp = disp.plot()
    >>> disp.harmful_index_, [str(c) for c in disp.scatters_], disp.image_axes_
    (1, ['a', 'b'], [])
    >>> plt.close(disp.figure_)
    """

    def __init__(
        self,
        influence,
        distance,
        labels,
        *,
        test_label=None,
        test_image=None,
        harmful_image=None,
        target="loss",
    ):
        self.influence = np.asarray(influence, dtype=np.float64)
        self.distance = np.asarray(distance, dtype=np.float64)
        self.labels = np.asarray(labels)
        self.test_label = test_label
        self.test_image = test_image
        self.harmful_image = harmful_image
        self.target = target

    def plot(self, ax=None, *, cmap="tab10", scatter_kwargs=None):
        """Draw the plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        cmap : str, default="tab10"
            Qualitative colour map for the classes.
        scatter_kwargs : dict, default=None
            Passed to every ``ax.scatter`` of the classes.

        Returns
        -------
        self : InfluenceDistanceDisplay
            With ``ax_``, ``figure_``, ``scatters_``, ``circle_``,
            ``circle_label_``, ``harmful_index_`` and ``image_axes_`` set.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from skinfluence.plotting import InfluenceDistanceDisplay
        >>> disp = InfluenceDistanceDisplay(
        ...     [0.3, -0.5, 0.1], [1.0, 2.0, 3.0], [0, 1, 0], test_image=np.eye(4))
        >>> disp = disp.plot(scatter_kwargs={"s": 30})
        >>> disp.circle_.get_offsets().tolist(), len(disp.image_axes_)
        ([[2.0, -0.5]], 1)
        >>> plt.close(disp.figure_)
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        ax = get_ax(ax)
        colors = plt.get_cmap(cmap)
        classes = np.unique(self.labels)
        scatter_kwargs = {
            "s": 10,
            "alpha": 0.7,
            "linewidths": 0,
            **(scatter_kwargs or {}),
        }
        self.scatters_ = {}
        for k, c in enumerate(classes):
            m = self.labels == c
            self.scatters_[c] = ax.scatter(
                self.distance[m],
                self.influence[m],
                color=colors(k % colors.N),
                label=str(c),
                **scatter_kwargs,
            )
        ax.axhline(0, color="0.3", linewidth=0.8)
        j = int(np.argmin(self.influence))
        self.harmful_index_ = j
        self.circle_ = ax.scatter(
            [self.distance[j]],
            [self.influence[j]],
            s=220,
            facecolors="none",
            edgecolors=HARMFUL_COLOR,
            linewidths=2,
            zorder=5,
        )
        self.circle_label_ = ax.annotate(
            f"most harmful: row {j}\nclass {self.labels[j]}, "
            f"{format_score(self.influence[j])}",
            xy=(self.distance[j], self.influence[j]),
            xytext=(0, 22),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="small",
            color=HARMFUL_COLOR,
            zorder=6,
            bbox={
                "boxstyle": "round,pad=0.2",
                "fc": "white",
                "ec": "none",
                "alpha": 0.8,
            },
        )
        # keep the annotation inside the axes horizontally
        xmin, xmax = ax.get_xlim()
        frac = (self.distance[j] - xmin) / (xmax - xmin) if xmax > xmin else 0.5
        self.circle_label_.set_ha(
            "right" if frac > 0.8 else "left" if frac < 0.2 else "center"
        )
        ax.legend(
            title="class of the training row",
            fontsize="small",
            title_fontsize="small",
            ncol=min(5, len(classes)),
            loc="upper center",
            bbox_to_anchor=(0.5, -0.15),
            frameon=False,
            markerscale=2,
            columnspacing=1.0,
            handletextpad=0.2,
        )
        what = {"loss": "loss", "proba": "probability", "prediction": "prediction"}.get(
            self.target, self.target
        )
        ax.set_xlabel("Euclidean distance to the test row")
        ax.set_ylabel(f"influence on the test row's {what}\n(+ helps, - hurts)")
        title = "Influence vs distance"
        if self.test_label is not None:
            title += f", test row of class {self.test_label}"
        self.image_axes_ = []
        images = [
            (img, caption, color)
            for img, caption, color in [
                (self.test_image, "test row", "black"),
                (self.harmful_image, "most harmful row", HARMFUL_COLOR),
            ]
            if img is not None
        ]
        if images:
            # room for the images in the top third of the axes
            lo, hi = ax.get_ylim()
            ax.set_ylim(lo, hi + 0.55 * (hi - lo))
        for k, (img, caption, color) in enumerate(images):
            iax = ax.inset_axes([0.03 + 0.2 * k, 0.68, 0.17, 0.25])
            iax.imshow(np.asarray(img), cmap="gray_r")
            iax.set_xticks([])
            iax.set_yticks([])
            for spine in iax.spines.values():
                spine.set_edgecolor(color)
                spine.set_linewidth(2)
            iax.set_xlabel(caption, fontsize="x-small", color=color, labelpad=1)
            self.image_axes_.append(iax)
        ax.set_title(title)
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
        target="loss",
        image_shape=None,
        show_images=None,
        ax=None,
        cmap="tab10",
        scatter_kwargs=None,
    ):
        """Compute the influence of every training row on one test row and plot it.

        Parameters
        ----------
        explainer : InfluenceExplainer
            Fitted.
        X_test : array-like of shape (1, n_features) or (n_features,)
        y_test : label of the test row
        X : array-like of shape (n_train, n_pixels), default=None
            The training rows as the user sees them (distances and images);
            default ``explainer.X_``, the features the model was fitted on
            (then ``X_test`` goes through a pipeline's steps too).
        target : {"loss", "proba", "prediction"}, default="loss"
        image_shape : tuple, default=None
            Shape of an image when the rows are images (default: square).
        show_images : bool, default=None
            Show the test row and the most harmful row as images above the
            plot; None shows them when the rows are square images.
        ax, cmap, scatter_kwargs
            See :meth:`plot`.

        Returns
        -------
        display : InfluenceDistanceDisplay
            Drawn; ``display.influence`` and ``display.distance`` hold the
            numbers.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn import datasets, linear_model
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.plotting import InfluenceDistanceDisplay
        >>> X, y = datasets.load_digits(n_class=2, return_X_y=True)  # 8x8 images
        >>> clf = linear_model.LogisticRegression(tol=1e-8, max_iter=10_000)
        >>> ex = InfluenceExplainer(clf).fit(X[:300], y[:300])
        >>> disp = InfluenceDistanceDisplay.from_explainer(ex, X[300], y[300])
        >>> j = disp.harmful_index_
        >>> bool(j == disp.influence.argmin()), len(disp.image_axes_)  # test, harmful
        (True, 2)
        >>> plt.close(disp.figure_)
        """
        check_matplotlib(f"{cls.__name__}.from_explainer")
        X_test, y_test = one_row(X_test, y_test)
        influence = positional(explainer).influence(X_test, y_test, target=target)[0]
        Xs = explainer_rows(explainer, X)
        x_test = shown_test_row(explainer, X, X_test)
        distance = np.linalg.norm(Xs - x_test, axis=1)
        j = int(np.argmin(influence))
        test_image = harmful_image = None
        if show_images is None:
            side = int(round(np.sqrt(Xs.shape[1])))
            show_images = image_shape is not None or (
                side * side == Xs.shape[1] and side >= 4
            )
        if show_images:
            shape = image_shape_of(Xs.shape[1], image_shape)
            test_image, harmful_image = x_test.reshape(shape), Xs[j].reshape(shape)
        disp = cls(
            influence,
            distance,
            explainer.y_,
            test_label=y_test[0],
            test_image=test_image,
            harmful_image=harmful_image,
            target=target,
        )
        return disp.plot(ax=ax, cmap=cmap, scatter_kwargs=scatter_kwargs)
