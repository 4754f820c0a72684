"""Time the index engine with intervals, and study its interval coverage (not run by the tests).

    python benchmarks/bench_index.py                           # 200,000 respondents, 200 replicates
    python benchmarks/bench_index.py --sizes 200000 2000000
    python benchmarks/bench_index.py --replicates 50 100 200 --methods default   # scaling in R
    python benchmarks/bench_index.py --coverage 50             # 50 simulated surveys, truth known

Speed: 5 dimensions x 2 targets x 20 countries x 2 audiences (all, g20_youth), bootstrap
replicates (not raked: raking is timed by bench_pipeline.py and does not change the index's
cost). The respondent file is simulated at 200,000 and, for larger sizes, repeated with new ids
(the index's cost depends on the array sizes, not on the values). Prints the seconds of
``compute_index`` (default method; then PCA weights + geometric aggregation; then driver weights),
the peak memory the index step allocates (numpy allocations, via tracemalloc) and the process's
peak RSS, which includes the (n x replicates) weight matrix the design holds.

Coverage: each survey is simulated afresh (4 countries, 400 respondents each), raked with
bootstrap replicates (categories under 30 respondents merged with a neighbour, as a bootstrap
replicate can otherwise leave a 65+ cell empty), and the 95% intervals of every dimension mean, composite and pooled
composite are checked against the generator's truth.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import surveyindex as si  # noqa: E402
from surveyindex.datasets import COUNTRIES  # noqa: E402

BENCH_COUNTRIES = COUNTRIES + ["AUS", "CAN", "ITA", "SAU", "RUS", "EGY", "KEN"]
BASE = 200_000


def design_of_size(n: int, replicates: int, seed: int = 1):
    inst = si.load_instrument("softpower")
    sim = si.simulate_softpower(n_per_country=min(n, BASE) // len(BENCH_COUNTRIES),
                                countries=BENCH_COUNTRIES, seed=seed, problems=False)
    df = sim.responses
    if n > len(df):
        df = pd.concat([df] * int(np.ceil(n / len(df))), ignore_index=True).head(n)
        df["resp_id"] = [f"R{i:08d}" for i in range(len(df))]
    resp = si.read_responses(df, inst)
    return si.make_design(resp).with_replicates("bootstrap", n=replicates, seed=seed)


def timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    sec = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1024**3
    tracemalloc.stop()
    return sec, peak


RUNS = {"default": ("default (mean, scale, equal, arithmetic)", {}),
        "pca": ("pca weights + geometric", {"weights": "pca", "aggregation": "geometric"}),
        "driver": ("driver weights", {"weights": "driver"})}


def speed(sizes: list[int], replicates: list[int], methods: list[str]) -> None:
    rows = []
    for n in sizes:
        for reps in replicates:
            t0 = time.perf_counter()
            design = design_of_size(n, reps)
            prep = time.perf_counter() - t0
            print(f"n = {design.n:,} respondents, {reps} replicates, "
                  f"{design.data['country'].nunique()} countries (data + replicates: {prep:.1f} s)")
            for m in methods:
                label, kw = RUNS[m]
                sec, peak = timed(lambda kw=kw, d=design: si.compute_index(d, ["all", "g20_youth"],
                                                                           **kw))
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
                rows.append((m, n, reps, sec))
                print(f"  {label:<42} {sec:7.2f} s   index peak alloc {peak:5.2f} GiB   "
                      f"process peak RSS {rss:5.2f} GiB")
            del design
    _scaling(rows)


def _scaling(rows) -> None:
    """Fit seconds = fixed + slope x (replicates or respondents), per method, where the runs vary
    one of them: a straight line with a small fixed part is linear growth."""
    for m in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == m]
        for axis, name in ((2, "replicate"), (1, "million respondents")):
            other = 1 if axis == 2 else 2
            groups = {}
            for r in mine:
                groups.setdefault(r[other], []).append(r)
            for runs in groups.values():
                if len({r[axis] for r in runs}) < 2:
                    continue
                x = np.array([r[axis] for r in runs], float) / (1e6 if axis == 1 else 1)
                y = np.array([r[3] for r in runs])
                slope, intercept = np.polyfit(x, y, 1)
                resid = np.abs(y - (intercept + slope * x)).max()
                print(f"  {m}: seconds = {intercept:.2f} + {slope:.4f} per {name} "
                      f"(largest misfit {resid:.2f} s)")


def coverage(surveys: int, replicates: int) -> None:
    inst = si.load_instrument("softpower")
    rows = []
    for s in range(surveys):
        sim = si.simulate_softpower(n_per_country=400, countries=["BRA", "DEU", "IND", "ZAF"],
                                    seed=1000 + s, problems=False)
        d = si.make_design(si.read_responses(sim.responses, inst)).with_replicates(
            "bootstrap", n=replicates, seed=s).rake(sim.margins, collapse={"min_n": 30})
        res = si.compute_index(d, audiences=["all"])
        truth = sim.truth.query("audience == 'all'")
        dims = res.dimensions.rename(columns={"dimension": "measure"}).assign(
            est=lambda t: t["mean"], se_=lambda t: t["mean_se"], kind="dimension mean")
        comp = res.composite.assign(measure="composite", est=lambda t: t["score"],
                                    se_=lambda t: t["se"], kind="composite")
        j = truth.merge(pd.concat([dims, comp]), on=["country", "target", "measure"])
        rows.append(j.assign(covered=(j["value"] - j["est"]).abs() <= 1.96 * j["se_"]))
        pt = truth.query("measure == 'composite'").groupby("target")["value"].mean()
        p = res.pooled.query("measure == 'composite'").set_index("target").loc[pt.index]
        rows.append(pd.DataFrame({"kind": "pooled composite",
                                  "covered": ((pt - p["score"]).abs() <= 1.96 * p["se"]).to_numpy()}))
    out = pd.concat(rows).groupby("kind")["covered"].agg(["mean", "size"])
    print(f"coverage of 95% intervals over {surveys} simulated surveys ({replicates} replicates):")
    print(out.rename(columns={"mean": "coverage", "size": "intervals"}).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[BASE])
    ap.add_argument("--replicates", type=int, nargs="+", default=[200])
    ap.add_argument("--methods", nargs="+", choices=list(RUNS), default=list(RUNS))
    ap.add_argument("--coverage", type=int, default=0, help="number of simulated surveys")
    args = ap.parse_args()
    if args.coverage:
        coverage(args.coverage, min(args.replicates[0], 100))
    else:
        speed(args.sizes, args.replicates, args.methods)


if __name__ == "__main__":
    main()
