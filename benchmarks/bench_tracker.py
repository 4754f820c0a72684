"""Time a multi-wave tracker locally and on a dask LocalCluster; project to a larger cluster.

    python benchmarks/bench_tracker.py                      # reduced: 2 waves x 20 countries
    python benchmarks/bench_tracker.py --waves 10 --n 200000 --replicates 1000   # the full size

Each wave: simulated soft-power respondents over 20 countries (13 bundled + 7), a Rao-Wu
bootstrap, raking of every replicate to the wave's margins (gender x age group), and the index
over replicates with the change from the previous wave (:func:`surveyindex.compute_tracker`).
Runs: local (one process), and a ``LocalCluster`` (separate worker processes, one thread each)
with 1 and 2 workers. Reports seconds per step and per wave, the peak RSS of each worker process
(and of the local process), checks that the cluster's changes equal the local ones, and fits the
cost model ``seconds per wave = a + b * n * R`` (the work is one pass of n respondents x R
replicate columns in raking and in the index) at two sizes, then projects it to the requested
full size on 1, 2 and 32 workers, ``t(W) = waves * (a + b n R / (W e))`` with ``e`` the parallel
efficiency measured from 1 to 2 workers (2 workers on this 2-core machine share it with other
jobs, so ``e`` is a lower bound).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import surveyindex as si  # noqa: E402
from surveyindex.datasets import COUNTRIES  # noqa: E402

BENCH_COUNTRIES = COUNTRIES + ["AUS", "CAN", "ITA", "SAU", "RUS", "EGY", "KEN"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_waves(waves: int, n: int, seed: int = 1):
    inst = si.load_instrument("softpower")
    out = []
    for w in range(waves):
        sim = si.simulate_softpower(n_per_country=max(2, n // len(BENCH_COUNTRIES)),
                                    countries=BENCH_COUNTRIES, seed=seed + w, problems=False)
        df = sim.responses.assign(resp_id=lambda d, w=w: f"{w}-" + d["resp_id"].astype(str))
        m = sim.margins[sim.margins["variable"].isin(["gender", "age_group"])]
        out.append((si.read_responses(df, inst), m))
    return out


def run(waves, replicates: int, client=None) -> dict:
    t = {"rake": 0.0, "index": 0.0}
    designs = {}
    for k, (resp, margins) in enumerate(waves):
        t0 = time.perf_counter()
        d = si.make_design(resp).with_replicates("bootstrap", n=replicates, seed=10 + k)
        designs[f"w{k}"] = d.rake(margins, by="country", collapse={"min_n": 30}, client=client)
        t["rake"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    tr = si.compute_tracker(designs, audiences=["all"], client=client)
    t["index"] = time.perf_counter() - t0
    t["total"] = t["rake"] + t["index"]
    t["changes"] = tr.changes
    return t


def cluster_run(waves, replicates, workers):
    import distributed

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, memory_limit=0) as cluster, \
            distributed.Client(cluster) as client:
        client.run(lambda: None)
        t = run(waves, replicates, client)
        t["worker_peak_mb"] = sorted(client.run(peak_mb).values())
    return t


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--waves", type=int, default=2)
    ap.add_argument("--n", type=int, default=20_000, help="respondents per wave")
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--full", nargs=3, type=int, default=[10, 200_000, 1000],
                    metavar=("WAVES", "N", "R"), help="the size projected to")
    args = ap.parse_args(argv)
    print(f"tracker benchmark: {args.waves} waves x {len(BENCH_COUNTRIES)} countries x "
          f"{args.n:,} respondents per wave x {args.replicates} replicates")
    sizes = [(args.n // 2, args.replicates // 2), (args.n, args.replicates)]
    per_wave = []
    for n, R in sizes:
        data = make_waves(args.waves, n)
        loc = run(data, R)
        per_wave.append((n * R, loc["total"] / args.waves))
        print(f"local    n={n:>7,} R={R:>5}: rake {loc['rake']:6.1f} s, index+changes "
              f"{loc['index']:6.1f} s, total {loc['total']:6.1f} s; peak RSS {peak_mb():,.0f} MB")
    results = {}
    for workers in (1, 2):
        t = cluster_run(data, R, workers)
        results[workers] = t
        same = np.allclose(t["changes"].select_dtypes("number").to_numpy(float),
                           loc["changes"].select_dtypes("number").to_numpy(float),
                           rtol=1e-12, atol=1e-12, equal_nan=True)
        worst = np.nanmax(np.abs(t["changes"]["se"].to_numpy() - loc["changes"]["se"].to_numpy()))
        print(f"cluster  n={n:>7,} R={R:>5} workers={workers}: rake {t['rake']:6.1f} s, "
              f"index+changes {t['index']:6.1f} s, total {t['total']:6.1f} s; worker peak RSS "
              f"{', '.join(f'{m:,.0f}' for m in t['worker_peak_mb'])} MB; changes equal local "
              f"within 1e-12: {same} (largest SE difference {worst:.1e})")
    (x1, y1), (x2, y2) = per_wave
    b = (y2 - y1) / (x2 - x1)
    a = max(y1 - b * x1, 0.0)
    eff = results[1]["total"] / (2 * results[2]["total"])
    cluster_overhead = results[1]["total"] / loc["total"]
    W, N, R = args.full
    print(f"cost model, local: seconds per wave = {a:.2f} + {b * 1e6:.4f} per million "
          f"respondent-replicates; 1 -> 2 workers parallel efficiency {eff:.2f}; cluster of 1 "
          f"worker / local = {cluster_overhead:.2f}")
    for workers in (1, 2, 32):
        t = W * (a + b * N * R * cluster_overhead / (workers * (eff if workers > 1 else 1)))
        print(f"projected {W} waves x {N:,} respondents x {R} replicates on {workers:>2} "
              f"workers: {t / 60:8.1f} min")
    mem = max(results[2]["worker_peak_mb"])
    print(f"peak worker RSS at this size {mem:,.0f} MB; a task holds one country x replicate "
          f"block, so per-worker memory grows with n / countries x block, not with waves")


if __name__ == "__main__":
    main()
