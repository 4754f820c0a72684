"""Python peers for benchmarks/bench_weighting.py; run in their own virtual environment.

    /tmp/peers-venv/bin/python benchmarks/peers_weighting.py <ipfn|samplics|balance> <csv> <R>
    /tmp/peers-venv/bin/python benchmarks/peers_weighting.py samplics_means <csv> <R>

Prints one JSON line of seconds per task. Each peer rakes every country to its 4 margins, from
the design weights, the way its documentation suggests; ipfn works on the country's cell table
(age x gender x education x region), the fastest way to use it. ``samplics_means`` times
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
    fn = {"ipfn": rake_ipfn, "samplics": rake_samplics, "balance": rake_balance}[peer]
    t0 = time.perf_counter()
    fn(df, m)
    print(json.dumps({"rake": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
