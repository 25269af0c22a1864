"""
======================================
Multi-class influence against distance
======================================

The paper's §5.3 (Figs 5–7). A multinomial logistic regression on all ten
digits. For one test image, every training image's influence on the test
image's loss, against its Euclidean distance to the test image, coloured by
class. The most harmful training image is circled and shown.

Positive influence = the training image helps the test image's label.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skinfluence import InfluenceExplainer
from skinfluence.plotting import InfluenceDistanceDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, stratify=y, random_state=0
)
model = LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X_train, y_train)
explainer = InfluenceExplainer(model).fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.4f}")

# %%
# One test image per class the paper shows: the test image of that class
# nearest the class's mean training image (an unambiguous one).

fig, axes = plt.subplots(1, 3, figsize=(15.6, 5.5))
for ax, c in zip(axes, (0, 1, 5)):
    members = np.flatnonzero(y_test == c)
    center = X_train[y_train == c].mean(axis=0)
    t = members[np.argmin(np.linalg.norm(X_test[members] - center, axis=1))]
    disp = InfluenceDistanceDisplay.from_explainer(
        explainer, X_test[t], y_test[t], ax=ax
    )
    j = disp.harmful_index_
    print(
        f"test {c}: most harmful training image is a {y_train[j]} "
        f"(influence {disp.influence[j]:+.2e}); most helpful is a "
        f"{y_train[np.argmax(disp.influence)]}"
    )
fig.tight_layout()
plt.show()

# %%
# The most helpful images are of the test image's class and near it, though
# not the nearest. The most harmful is either an image of another class that
# resembles the test image (it pulls the model towards the wrong label) or an
# odd, distant image of the same class.
