"""A test image beside its most helpful and most harmful training images (Fig 2)."""

import numpy as np

from ._base import (
    HARMFUL_COLOR,
    HELPFUL_COLOR,
    check_matplotlib,
    explainer_rows,
    format_score,
    image_shape_of,
    one_row,
    positional,
    shown_test_row,
)


class InfluentialImagesDisplay:
    """The test image, then its most helpful (top row) and most harmful (bottom
    row) training images, each titled with its index, label and influence.

    Parameters
    ----------
    test_image : array-like of shape (h, w)
    helpful_images, harmful_images : array-like of shape (k, h, w)
        Most helpful first (largest influence), most harmful first (most
        negative influence).
    helpful_scores, harmful_scores : array-like of shape (k,)
    helpful_labels, harmful_labels : array-like of shape (k,), default=None
    helpful_indices, harmful_indices : array-like of shape (k,), default=None
        Training-row indices, shown in the titles.
    test_label : object, default=None

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (2, k + 1)
        ``axes_[0, 0]`` holds the test image, ``axes_[1, 0]`` is blank,
        ``axes_[0, 1:]`` the helpful and ``axes_[1, 1:]`` the harmful images.
    images_ : dict with keys "test", "helpful", "harmful" of AxesImage (lists)
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skinfluence.plotting import InfluentialImagesDisplay
    >>> imgs = np.eye(4)[None].repeat(2, axis=0)  # two 4x4 images
    >>> disp = InfluentialImagesDisplay(imgs[0], imgs, [0.2, 0.1], imgs[:1], [-0.3])
    >>> disp = disp.plot()
    >>> disp.axes_.shape, len(disp.images_["helpful"]), len(disp.images_["harmful"])
    ((2, 3), 2, 1)
    >>> plt.close(disp.figure_)
    """

    def __init__(
        self,
        test_image,
        helpful_images,
        helpful_scores,
        harmful_images,
        harmful_scores,
        *,
        helpful_labels=None,
        harmful_labels=None,
        helpful_indices=None,
        harmful_indices=None,
        test_label=None,
    ):
        self.test_image = np.asarray(test_image)
        self.helpful_images = np.asarray(helpful_images)
        self.helpful_scores = np.asarray(helpful_scores, dtype=np.float64)
        self.harmful_images = np.asarray(harmful_images)
        self.harmful_scores = np.asarray(harmful_scores, dtype=np.float64)
        self.helpful_labels = helpful_labels
        self.harmful_labels = harmful_labels
        self.helpful_indices = helpful_indices
        self.harmful_indices = harmful_indices
        self.test_label = test_label

    def plot(self, ax=None, *, cmap="gray_r", target="loss"):
        """Draw the grid.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            A subplot; the grid is drawn in its place (it is removed from its
            figure). None creates a new figure.
        cmap : str, default="gray_r"
        target : str, default="loss"
            What the scores are influence on, for the row titles.

        Returns
        -------
        self : InfluentialImagesDisplay
            With ``axes_``, ``images_`` and ``figure_`` set.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from skinfluence.plotting import InfluentialImagesDisplay
        >>> imgs = np.zeros((3, 5, 5))
        >>> helpful, harmful = [3, 2, 1], [-1, -2, -3]
        >>> disp = InfluentialImagesDisplay(imgs[0], imgs, helpful, imgs, harmful)
        >>> fig, ax = plt.subplots()
        >>> disp = disp.plot(ax=ax)  # the grid replaces ``ax``
        >>> disp.figure_ is fig, disp.axes_.shape
        (True, (2, 4))
        >>> plt.close(fig)
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        k = max(len(self.helpful_images), len(self.harmful_images))
        if ax is None:
            fig = plt.figure(figsize=(1.5 * (k + 1) + 0.5, 4.2), layout="constrained")
            gs = fig.add_gridspec(2, k + 1)
        else:
            fig = ax.figure
            if fig is None or ax.get_subplotspec() is None or ax not in fig.axes:
                raise ValueError(
                    f"{type(self).__name__}.plot draws its grid in the place of "
                    "`ax`, which must be a subplot still in its figure (from "
                    "plt.subplots or fig.add_subplot; not an inset, nor an Axes a "
                    "previous plot already replaced)."
                )
            gs = ax.get_subplotspec().subgridspec(2, k + 1)
            ax.remove()
        axes = np.empty((2, k + 1), dtype=object)
        for r in range(2):
            for c in range(k + 1):
                a = fig.add_subplot(gs[r, c])
                a.set_xticks([])
                a.set_yticks([])
                axes[r, c] = a
        self.images_ = {
            "test": axes[0, 0].imshow(self.test_image, cmap=cmap),
            "helpful": [],
            "harmful": [],
        }
        title = "test image"
        if self.test_label is not None:
            title += f"\nlabel {self.test_label}"
        axes[0, 0].set_title(title, fontsize="small")
        for spine in axes[0, 0].spines.values():
            spine.set_linewidth(2)
        axes[1, 0].axis("off")
        what = "probability" if target == "proba" else target
        axes[1, 0].text(
            0.5,
            0.5,
            f"influence on the\ntest {what}:\n+ helps, - hurts",
            ha="center",
            va="center",
            fontsize="small",
            transform=axes[1, 0].transAxes,
        )
        for r, (kind, imgs, scores, labels, idx, color) in enumerate(
            [
                (
                    "helpful",
                    self.helpful_images,
                    self.helpful_scores,
                    self.helpful_labels,
                    self.helpful_indices,
                    HELPFUL_COLOR,
                ),
                (
                    "harmful",
                    self.harmful_images,
                    self.harmful_scores,
                    self.harmful_labels,
                    self.harmful_indices,
                    HARMFUL_COLOR,
                ),
            ]
        ):
            for c in range(k):
                a = axes[r, c + 1]
                if c >= len(imgs):
                    a.axis("off")
                    continue
                self.images_[kind].append(a.imshow(imgs[c], cmap=cmap))
                parts = []
                if idx is not None:
                    parts.append(f"#{idx[c]}")
                if labels is not None:
                    parts.append(f"label {labels[c]}")
                a.set_title(
                    " ".join(parts) + f"\n{format_score(scores[c])}",
                    fontsize="small",
                    color=color,
                )
                for spine in a.spines.values():
                    spine.set_edgecolor(color)
                    spine.set_linewidth(2)
            axes[r, 1].set_ylabel(f"most {kind}", color=color)
        self.axes_, self.figure_ = axes, fig
        return self

    @classmethod
    def from_explainer(
        cls,
        explainer,
        X_test,
        y_test,
        *,
        k=5,
        X=None,
        target="loss",
        image_shape=None,
        ax=None,
        cmap="gray_r",
    ):
        """Find the ``k`` most helpful and harmful training images for one test row.

        Parameters
        ----------
        explainer : InfluenceExplainer
            Fitted on image rows.
        X_test : array-like of shape (1, n_pixels) or (n_pixels,)
        y_test : label of the test row
        k : int, default=5
        X : array-like of shape (n_train, n_pixels), default=None
            The training images as the user sees them (default ``explainer.X_``,
            the model's features: then ``X_test`` goes through a pipeline's steps
            too).
        target : {"loss", "proba", "prediction"}, default="loss"
        image_shape : tuple, default=None
            Shape of one image (default: square).
        ax, cmap
            See :meth:`plot`.

        Returns
        -------
        display : InfluentialImagesDisplay
            Drawn; the scores agree with
            :meth:`~skinfluence.InfluenceExplainer.top_influences`.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn import datasets, linear_model
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.plotting import InfluentialImagesDisplay
        >>> X, y = datasets.load_digits(n_class=2, return_X_y=True)  # 8x8 images
        >>> clf = linear_model.LogisticRegression(tol=1e-8, max_iter=10_000)
        >>> ex = InfluenceExplainer(clf).fit(X[:300], y[:300])
        >>> disp = InfluentialImagesDisplay.from_explainer(ex, X[300], y[300], k=3)
        >>> disp.helpful_images.shape, bool(disp.harmful_scores[0] < 0)
        ((3, 8, 8), True)
        >>> plt.close(disp.figure_)
        """
        check_matplotlib(f"{cls.__name__}.from_explainer")
        X_test, y_test = one_row(X_test, y_test)
        top = positional(explainer).top_influences(X_test, y_test, k=k, target=target)
        Xs = explainer_rows(explainer, X)
        shape = image_shape_of(Xs.shape[1], image_shape)
        hi, ha = top.helpful_indices[0], top.harmful_indices[0]
        labels = np.asarray(explainer.y_)
        disp = cls(
            shown_test_row(explainer, X, X_test).reshape(shape),
            Xs[hi].reshape((-1,) + shape),
            top.helpful_scores[0],
            Xs[ha].reshape((-1,) + shape),
            top.harmful_scores[0],
            helpful_labels=labels[hi],
            harmful_labels=labels[ha],
            helpful_indices=hi,
            harmful_indices=ha,
            test_label=y_test[0],
        )
        return disp.plot(ax=ax, cmap=cmap, target=target)
