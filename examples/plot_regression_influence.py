"""
===============================================
Influence in a 1-D regression, and its outliers
===============================================

The paper's §5.2 (Figs 3–4). A Ridge regression on a line with a few gross
outliers. Each training point is coloured by its influence on the squared
error of one test point (the star): blue points help that prediction
(removing one would raise the test error), red points hurt it.

For squared loss ``method="newton"`` is exact: it is what refitting without
the row gives (leave-one-out), so it is used here.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge

from skinfluence import InfluenceExplainer, InfluenceOutlierRemover
from skinfluence.plotting import (
    RegressionInfluenceDisplay,
    SelfInfluenceHistogramDisplay,
)

rng = np.random.RandomState(0)
n = 150
x = rng.uniform(0, 10, n)
y = 2.0 + 1.5 * x + rng.normal(0, 1.0, n)
outliers = rng.choice(n, 12, replace=False)
y[outliers] += np.where(x[outliers] > 5, -1, 1) * rng.uniform(10, 18, 12)
X = x[:, None]

model = Ridge(alpha=1.0).fit(X, y)
explainer = InfluenceExplainer(model, method="newton").fit(X, y)

# %%
# Influence on three test points
# ------------------------------
# Which side of the line a training point lies on, relative to the test
# point, decides its sign; the outliers have the largest influence whatever
# the test point.

fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for ax, (xt, yt) in zip(axes, [(2.0, 8.0), (5.0, 9.5), (8.5, 11.75)]):
    RegressionInfluenceDisplay.from_explainer(explainer, [[xt]], [yt], ax=ax)
    ax.set_title(f"test point ({xt}, {yt})")
fig.tight_layout()

# %%
# Self-influence
# --------------
# A row's influence on its own loss (``self_influence``, always >= 0) is how
# much its own error would grow if it were left out. Outliers stand far to
# the right of the bulk, here on a log scale. The paper read a threshold off
# this histogram; ``InfluenceOutlierRemover(threshold="auto")`` finds the
# valley between the two modes (see :func:`skinfluence.resampling.outliers.valley_threshold`).

scores = explainer.self_influence()
remover = InfluenceOutlierRemover(Ridge(alpha=1.0)).fit(X, y)
threshold = remover.threshold_
disp = SelfInfluenceHistogramDisplay(scores, threshold=threshold).plot(
    bins=40, log_x=True
)
flagged = scores > threshold
print(
    f"flagged {flagged.sum()} rows, {np.isin(np.flatnonzero(flagged), outliers).sum()} "
    f"of the {len(outliers)} planted outliers"
)

robust = Ridge(alpha=1.0).fit(X[~flagged], y[~flagged])
print(
    f"slope: all rows {model.coef_[0]:.3f}, without the flagged rows "
    f"{robust.coef_[0]:.3f}, true 1.5"
)
plt.show()

# %%
# :class:`~skinfluence.InfluenceOutlierRemover` makes this a pipeline step
# with an automatic threshold (see the outlier-removal example).
