"""Fit and influence timings of two checkouts of skinfluence, in-process.

    python benchmarks/compare_commits.py PATH_TO_CHECKOUT

imports skinfluence from PATH_TO_CHECKOUT and prints the best of 7 runs of
``fit`` and ``influence`` on a dense 20 000 x 100 logistic problem (1 000 test
rows) and on digits (multinomial, 100 test rows). Run it alternately on two
checkouts (e.g. ``git worktree add /tmp/base <commit>``) to compare them.
"""
import sys, time, numpy as np
sys.path.insert(0, sys.argv[1])
import skinfluence; from skinfluence import InfluenceExplainer
from sklearn.linear_model import LogisticRegression
from sklearn.datasets import load_digits
rng=np.random.RandomState(0); n,p=20000,100
X=rng.randn(n,p); y=(X@rng.randn(p)+rng.randn(n)>0).astype(int); Xt=X[:1000]; yt=y[:1000]
est=LogisticRegression(tol=1e-10,max_iter=1000).fit(X,y)
Xd,yd=load_digits(return_X_y=True); Xd=Xd/16; ed=LogisticRegression(tol=1e-10,max_iter=5000).fit(Xd,yd)
for name,(e,A,b,At,bt) in {"dense20k":(est,X,y,Xt,yt),"digits":(ed,Xd,yd,Xd[:100],yd[:100])}.items():
    fit=[];inf=[]
    for r in range(7):
        t=time.perf_counter(); ex=InfluenceExplainer(e).fit(A,b); fit.append(time.perf_counter()-t)
        t=time.perf_counter(); ex.influence(At,bt); inf.append(time.perf_counter()-t)
    print(sys.argv[1], name, f"fit {min(fit):.4f} influence {min(inf):.4f}")
