"""Python peers for benchmarks/bench_weighting.py; run in their own virtual environment.

    /tmp/peers-venv/bin/python benchmarks/peers_weighting.py <peer> <csv> <R> [weights.npy]
    /tmp/peers-venv/bin/python benchmarks/peers_weighting.py samplics_means <csv> <R>

peer: ipfn, samplics, balance, svy, or numpy (the floor: plain numpy IPF on the cell table; runs
in any environment with numpy and pandas). Prints one JSON line of seconds per task, and saves
the raked weights to ``weights.npy`` when given (the benchmark compares them with the exact
fixed point). Each peer rakes every country to its 4 margins, from the design weights, the way
its documentation suggests; ipfn works on the country's cell table (age x gender x education x
region), the fastest way to use it. ``samplics_means`` times
samplics' estimators on the 50 variables by country (domain), stratified by country, from the
design weights: Taylor SEs (``TaylorEstimator``), and R bootstrap replicates made by
``ReplicateWeight`` then used by ``ReplicateEstimator`` (replicate generation timed apart).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd

MVARS = ["age", "gender", "education", "region"]


def rake_ipfn(df, m):
    from ipfn import ipfn

    out = np.empty(len(df))
    for c, g in df.groupby("country"):
        codes = [g[v].to_numpy() - 1 for v in MVARS]
        shape = tuple(int(df[v].max()) for v in MVARS)
        table = np.zeros(shape)
        np.add.at(table, tuple(codes), g["w"].to_numpy())
        total = table.sum()
        mc = m[m.country == c]
        aggs = [mc[mc.variable == v].sort_values("category")["proportion"].to_numpy() * total
                for v in MVARS]
        fitted = ipfn.ipfn(table.copy(), aggs, [[0], [1], [2], [3]], convergence_rate=1e-8,
                           max_iteration=1000).iteration()
        factor = np.divide(fitted, table, out=np.zeros_like(table), where=table > 0)
        out[g.index.to_numpy()] = g["w"].to_numpy() * factor[tuple(codes)]
    return out


def rake_numpy(df, m, tolerance=1e-8, max_iterations=100):
    """The floor: respondents collapsed to the country x age x gender x education x region
    table (one bincount), the table raked with array sums, the factors gathered back. Stops when
    every margin category is within ``tolerance`` of its target, relative to the target."""
    country, names = pd.factorize(df["country"], sort=True)
    dims = [int(df[v].max()) for v in MVARS]
    key = country.astype(np.int64)
    for v, k in zip(MVARS, dims):
        key = key * k + (df[v].to_numpy() - 1)
    w = df["w"].to_numpy()
    T0 = np.bincount(key, weights=w, minlength=len(names) * int(np.prod(dims)))
    T0 = T0.reshape(len(names), *dims)
    total = T0.sum(axis=(1, 2, 3, 4))
    targets = []
    for v, k in zip(MVARS, dims):
        p = (m[m.variable == v].pivot(index="country", columns="category", values="proportion")
             .reindex(index=names, columns=sorted(m.loc[m.variable == v, "category"].unique()))
             .to_numpy())
        targets.append(p[:, :k] * total[:, None])
    T = T0.copy()
    for _ in range(max_iterations):
        for a, target in enumerate(targets, start=1):
            other = tuple(x for x in range(1, 5) if x != a)
            cur = T.sum(axis=other)
            shape = [len(names), 1, 1, 1, 1]
            shape[a] = dims[a - 1]
            T *= np.divide(target, cur, out=np.ones_like(cur), where=cur > 0).reshape(shape)
        gap = max(np.max(np.abs(T.sum(axis=tuple(x for x in range(1, 5) if x != a)) - t) / t)
                  for a, t in enumerate(targets, start=1))
        if gap <= tolerance:
            break
    factor = np.divide(T, T0, out=np.zeros_like(T), where=T0 > 0).ravel()
    return w * factor[key]


def rake_samplics(df, m):
    from samplics.weighting import SampleWeight

    out = np.empty(len(df))
    for c, g in df.groupby("country"):
        mc = m[m.country == c]
        total = g["w"].sum()
        control = {v: {int(k): p * total for k, p in
                       zip(mc[mc.variable == v]["category"], mc[mc.variable == v]["proportion"])}
                   for v in MVARS}
        margins = {v: g[v].to_numpy() for v in MVARS}
        out[g.index.to_numpy()] = SampleWeight().rake(g["w"].to_numpy(), margins, control,
                                                      tol=1e-8, max_iter=1000)
    return out


def rake_svy(df, m):
    """svy (Rust/Polars): one Sample per country, ``weighting.rake`` to count controls at a
    relative tolerance of 1e-8 per margin level (svy's rule, and surveyindex's default)."""
    import polars as pl
    import svy

    out = np.empty(len(df))
    for c, g in df.groupby("country"):
        mc = m[m.country == c]
        total = g["w"].sum()
        controls = {v: {int(k): p * total for k, p in
                        zip(mc[mc.variable == v]["category"], mc[mc.variable == v]["proportion"])}
                    for v in MVARS}
        data = pl.from_pandas(g[[*MVARS, "w"]].reset_index(drop=True))
        sample = svy.Sample(data, svy.Design(wgt="w"))
        raked = sample.weighting.rake(controls=controls, tol=1e-8, max_iter=1000)
        out[g.index.to_numpy()] = raked.data["rk_wgt"].to_numpy()
    return out


def rake_balance(df, m):
    from balance import Sample

    out = np.empty(len(df))
    for c, g in df.groupby("country"):
        mc = m[m.country == c]
        # balance needs unit-level targets: 10,000 synthetic rows with the exact margins.
        size = 10_000
        tgt = {"id": np.arange(size).astype(str)}
        for v in MVARS:
            x = mc[mc.variable == v]
            counts = np.round(x["proportion"].to_numpy() * size).astype(int)
            counts[-1] = size - counts[:-1].sum()
            tgt[v] = np.repeat(x["category"].astype(str).to_numpy(), counts)
        target = Sample.from_frame(pd.DataFrame(tgt), id_column="id")
        s = g[MVARS].astype(str).assign(id=g.index.astype(str), weight=g["w"].to_numpy())
        sample = Sample.from_frame(s, id_column="id", weight_column="weight")
        adj = sample.set_target(target).adjust(method="rake", transformations=None)
        out[g.index.to_numpy()] = adj.weights().df["weight"].to_numpy()
    return out


def means_samplics(path: str, replicates: int) -> dict[str, float]:
    from samplics.estimation import ReplicateEstimator, TaylorEstimator
    from samplics.utils.types import PopParam, RepMethod
    from samplics.weighting import ReplicateWeight

    df = pd.read_csv(path)
    ys = [c for c in df.columns if c.startswith(("USA_", "CHN_"))]
    out = {}
    t0 = time.perf_counter()
    for v in ys:
        TaylorEstimator(PopParam.mean).estimate(df[v].to_numpy(), samp_weight=df["w"].to_numpy(),
                                         stratum=df["country"], domain=df["country"],
                                         remove_nan=True)
    out["means_taylor"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    reps = ReplicateWeight(RepMethod.bootstrap, strat=True, nb_reps=replicates, rand_seed=1).replicate(
        df["w"].to_numpy(), psu=np.arange(len(df)), stratum=df["country"].to_numpy())
    out["bootstrap"] = time.perf_counter() - t0
    rw = reps.iloc[:, -replicates:].to_numpy()               # _boot_wgt_1 ... _boot_wgt_R
    t0 = time.perf_counter()
    for v in ys:
        ReplicateEstimator(RepMethod.bootstrap, PopParam.mean).estimate(
            df[v].to_numpy(), df["w"].to_numpy(), rw, domain=df["country"].to_numpy(),
            remove_nan=True)
    out["means_rep"] = time.perf_counter() - t0
    return out


def main() -> None:
    peer, path = sys.argv[1], sys.argv[2]
    if peer == "samplics_means":
        print(json.dumps(means_samplics(path, int(sys.argv[3]))))
        return
    df = pd.read_csv(path, usecols=["country", *MVARS, "w"])
    m = pd.read_csv(path.replace(".csv", ".margins.csv"))
    fn = {"ipfn": rake_ipfn, "samplics": rake_samplics, "balance": rake_balance,
          "numpy": rake_numpy, "svy": rake_svy}[peer]
    times = []
    for _ in range(3 if peer == "numpy" else 1):  # the floor: best of 3, as surveyindex
        t0 = time.perf_counter()
        w = fn(df, m)
        times.append(time.perf_counter() - t0)
    if len(sys.argv) > 4:
        np.save(sys.argv[4], np.asarray(w, float))
    print(json.dumps({"rake": min(times)}))


if __name__ == "__main__":
    main()
