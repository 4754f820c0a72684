"""Which entries of a multi-group CFA's model matrices are free, fixed or shared across groups:
the parameter layout behind :func:`~surveyindex.reliability.fit_cfa`."""

from __future__ import annotations

import numpy as np
import pandas as pd


class _Spec:
    """Which entries of the stacked model matrices are free, fixed or shared across groups.

    The matrices of all groups live in one flat vector (``L`` (G,p,m), ``Phi`` (G,m,m),
    ``Theta`` diagonal (G,p), ``nu`` (G,p), ``alpha`` (G,m)); ``pos[k]`` is an entry of it and
    ``idx[k]`` the free parameter written there. Sharing one parameter between groups is how
    equality constraints are imposed; the symmetric ``Phi`` shares ``(a, b)`` with ``(b, a)``.
    """

    def __init__(self, fidx, G, p, m, equal, std_lv, meanstructure, release=(), free=(),
                 latent_means=None):
        self.fidx, self.G, self.p, self.m = fidx, G, p, m
        self.equal, self.std_lv, self.free = tuple(equal), std_lv, frozenset(free)
        self.meanstructure = meanstructure
        self.shapes = [(G, p, m), (G, m, m), (G, p), (G, p), (G, m)]
        self.offsets = np.cumsum([0] + [int(np.prod(s)) for s in self.shapes])
        self.template = np.zeros(self.offsets[-1])
        keys, pos = {}, []
        marker = {k: int(np.flatnonzero(fidx == k)[0]) for k in range(m)}

        def add(block, index, key):
            flat = self.offsets[block] + np.ravel_multi_index(index, self.shapes[block])
            pos.append((flat, keys.setdefault(key, len(keys))))

        def fix(block, index, value):
            self.template[self.offsets[block] + np.ravel_multi_index(index, self.shapes[block])] = value

        for g in range(G):
            eq = () if g in release else equal
            for j in range(p):
                k = fidx[j]
                if j == marker[k] and not std_lv:
                    fix(0, (g, j, k), 1.0)
                else:
                    own = "loadings" not in eq or ("lam", j, g) in free
                    add(0, (g, j, k), ("lam", j, g) if own else ("lam", j))
                own = "residuals" not in eq or ("th", j, g) in free
                add(2, (g, j), ("th", j, g) if own else ("th", j))
                if meanstructure:
                    own = "intercepts" not in eq or ("nu", j, g) in free
                    add(3, (g, j), ("nu", j, g) if own else ("nu", j))
            for a in range(m):
                for b in range(a, m):
                    if std_lv and a == b:
                        fix(1, (g, a, a), 1.0)
                        continue
                    add(1, (g, a, b), ("phi", a, b, g))
                    if a != b:
                        add(1, (g, b, a), ("phi", a, b, g))
                means = ("intercepts" in eq and g > min(set(range(G)) - set(release))
                         if latent_means is None else latent_means and g > 0)
                if meanstructure and means:
                    add(4, (g, a), ("alpha", a, g))
        self.pos = np.array([q for q, _ in pos])
        self.idx = np.array([i for _, i in pos])
        self.keys = list(keys)
        self.npar = len(keys)

    def unpack(self, theta, mean):
        full = self.template.astype(np.result_type(self.template, theta))  # complex steps too
        full[self.pos] = theta[self.idx]
        lam, phi, th, nu, al = (full[self.offsets[i]:self.offsets[i + 1]].reshape(s)
                                for i, s in enumerate(self.shapes))
        if not self.meanstructure:
            nu = mean  # saturated means: they fit exactly and carry no parameter
        return lam, phi, th, nu, al

    def gather(self, grads):
        flat = np.concatenate([g.ravel() for g in grads])
        return np.bincount(self.idx, weights=flat[self.pos], minlength=self.npar)

    def start(self, cov, mean, previous=None):
        """Start values: loadings 1 (or sqrt(phi) under std_lv), factor variance from the mean
        covariance among its items, residual variance the rest, intercepts the sample means;
        or, from ``previous`` estimates, the same parameter (a group's own, or the shared one)."""
        full = np.zeros_like(self.template)
        G, p, m = self.G, self.p, self.m
        lam = np.zeros((G, p, m))
        phi = np.zeros((G, m, m))
        th = np.zeros((G, p))
        var = cov[:, np.arange(p), np.arange(p)]
        for k in range(m):
            its = np.flatnonzero(self.fidx == k)
            block = cov[:, its][:, :, its]
            off = (block.sum(axis=(1, 2)) - np.trace(block, axis1=1, axis2=2)) / (len(its) * (len(its) - 1))
            ph = np.maximum(off, 0.1 * var[:, its].mean(axis=1))
            use_std = self.template[self.offsets[1] + np.ravel_multi_index((0, k, k), (G, m, m))] == 1.0
            lam[:, its, k] = np.sqrt(ph)[:, None] if use_std else 1.0
            phi[:, k, k] = 1.0 if use_std else ph
            th[:, its] = np.maximum(var[:, its] - ph[:, None], 0.1 * var[:, its])
        for i, a in enumerate((lam, phi, th, mean, np.zeros((G, m)))):
            full[self.offsets[i]:self.offsets[i + 1]] = a.ravel()
        x0 = np.zeros(self.npar)
        np.add.at(x0, self.idx, full[self.pos])
        x0 /= np.bincount(self.idx, minlength=self.npar)  # shared: the groups' average
        if previous:
            shared = {}
            for key, v in previous.items():  # group-specific values, pooled for a shared key
                if key[0] in ("lam", "th", "nu"):
                    shared.setdefault(key[:2], []).append(v)
            for i, key in enumerate(self.keys):
                if key in previous:
                    x0[i] = previous[key]
                elif key[:2] in previous:  # released group: start at the common value
                    x0[i] = previous[key[:2]]
                elif key in shared:
                    x0[i] = np.mean(shared[key])
        return x0

    def table(self, theta, mean, items, fnames, groups):
        lam, phi, th, nu, al = self.unpack(theta, mean)
        free = np.zeros(self.offsets[-1], dtype=int)
        free[self.pos] = self.idx + 1
        fr = [free[self.offsets[i]:self.offsets[i + 1]].reshape(s) for i, s in enumerate(self.shapes)]
        rows = []
        for g in range(self.G):
            lab = groups[g]
            for j, it in enumerate(items):
                k = self.fidx[j]
                rows.append((lab, fnames[k], "=~", it, lam[g, j, k], fr[0][g, j, k]))
            for j, it in enumerate(items):
                rows.append((lab, it, "~~", it, th[g, j], fr[2][g, j]))
            for a in range(self.m):
                for b in range(a, self.m):
                    rows.append((lab, fnames[a], "~~", fnames[b], phi[g, a, b], fr[1][g, a, b]))
            if self.meanstructure:
                for j, it in enumerate(items):
                    rows.append((lab, it, "~1", "", nu[g, j], fr[3][g, j]))
                for a in range(self.m):
                    rows.append((lab, fnames[a], "~1", "", al[g, a], fr[4][g, a]))
        return pd.DataFrame(rows, columns=["group", "lhs", "op", "rhs", "est", "free"])
