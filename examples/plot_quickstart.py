"""
Quick start: which training rows made the model say what it says?
=================================================================

Explain a LogisticRegression on scikit-learn's breast-cancer data: for one test
row, list the training rows that helped its prediction most and those that hurt
it most, then check the prediction for the most harmful ones by refitting.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluenceExplainer

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, tol=1e-10))
explainer = InfluenceExplainer(model).fit(X_train, y_train)

# the test row the model is least sure about
proba = explainer.estimator_.predict_proba(explainer.feature_map_.transform(X_test))
t = int(np.argmin(np.abs(proba[:, 1] - 0.5)))
x_t, y_t = X_test[[t]], y_test[[t]]
print(f"Test row {t}: label {y_t[0]}, P(label) = {proba[t, y_t[0]]:.3f}")

top = explainer.top_influences(x_t, y_t, k=5, target="proba")
print("\nMost helpful training rows (removing one lowers P(label) by):")
for j, s in zip(top.helpful_indices[0], top.helpful_scores[0]):
    print(f"  row {j:4d}  label {y_train[j]}  {s:+.5f}")
print("Most harmful training rows (removing one raises P(label) by):")
for j, s in zip(top.harmful_indices[0], top.harmful_scores[0]):
    print(f"  row {j:4d}  label {y_train[j]}  {-s:+.5f}")

harmful = top.harmful_indices[0]
predicted = explainer.population_influence(x_t, y_t, harmful, target="proba")[0]
actual = explainer.retrain_effect(x_t, y_t, harmful, target="proba")[0]
print(f"\nRemoving the 5 most harmful rows together: predicted change of P(label) "
      f"{-predicted:+.5f}, actual (refitted) {-actual:+.5f}")
