"""Time a multi-wave tracker locally and on a dask LocalCluster; project to a larger cluster.

    python benchmarks/bench_tracker.py                          # reduced: 2 waves, 20,000 x 100
    python benchmarks/bench_tracker.py --waves 10 --n 200000 --replicates 1000   # the full size

Each wave: simulated soft-power respondents over 20 countries (13 bundled + 7), a Rao-Wu
bootstrap, raking of every replicate to the wave's margins (gender, age group; categories under
30 respondents merged), and the index over replicates, then the changes between waves
(:func:`surveyindex.compute_tracker`). Runs: local (one process, one BLAS thread), and a
``LocalCluster`` (worker processes, one thread each) with 1 and 2 workers.

This machine (2 cores) is shared with other jobs, so wall times are noisy; the cost model uses
CPU seconds, which are not: the local run's process CPU, and on the cluster the client's CPU
(the serial part: IPF on the cell table, normalisation, tables, scheduling) and the CPU
seconds each worker process spent during the run (tasks, plus receiving their data). Both are fitted as ``a + b * n * R`` per wave (the work
is passes over n respondents x R replicate columns) from three sizes (n/2, R), (n, R/2), (n, R),
which also checks linearity in respondents and in replicates separately; waves are independent,
so the tracker is linear in waves. Projection to W workers: ``waves * (serial + tasks / W)``.
Peak RSS per worker process is reported (it includes the ~150 MB of an idle worker with numpy,
pandas and dask loaded).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import surveyindex as si  # noqa: E402
from surveyindex.datasets import COUNTRIES  # noqa: E402

BENCH_COUNTRIES = COUNTRIES + ["AUS", "CAN", "ITA", "SAU", "RUS", "EGY", "KEN"]


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would carry the parent's peak
    into a worker process across fork and exec)."""
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process so far: a worker's compute, whatever the
    other jobs on the machine are doing to wall time."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


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
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    designs = {}
    for k, (resp, margins) in enumerate(waves):
        d = si.make_design(resp).with_replicates("bootstrap", n=replicates, seed=10 + k)
        designs[f"w{k}"] = d.rake(margins, by="country", collapse={"min_n": 30}, client=client)
    wall_rake = time.perf_counter() - wall0
    tr = si.compute_tracker(designs, audiences=["all"], client=client)
    return {"cpu": cpu_seconds() - cpu0, "wall": time.perf_counter() - wall0,
            "wall_rake": wall_rake, "changes": tr.changes}


def cluster_run(waves, replicates, workers):
    import distributed

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", memory_limit=0,
                                  env={"OPENBLAS_NUM_THREADS": "1"}) as cluster, \
            distributed.Client(cluster) as client:
        before = client.run(cpu_seconds)
        t = run(waves, replicates, client)
        after = client.run(cpu_seconds)
        busy = [after[w] - before[w] for w in before]
        t["task_seconds"] = sum(busy)
        t["worker_busy"] = sorted(busy)
        t["worker_peak_mb"] = sorted(client.run(peak_mb).values())
    return t


def fit(points):
    """Least squares ``y = a + b x`` and the largest relative residual."""
    x, y = np.array(points, float).T
    b, a = np.polyfit(x, y, 1)
    return a, b, float(np.max(np.abs(a + b * x - y) / y))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--waves", type=int, default=2)
    ap.add_argument("--n", type=int, default=20_000, help="respondents per wave")
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--full", nargs=3, type=int, default=[10, 200_000, 1000],
                    metavar=("WAVES", "N", "R"), help="the size projected to")
    args = ap.parse_args(argv)
    W = args.waves
    print(f"tracker benchmark: {W} waves x {len(BENCH_COUNTRIES)} countries; sizes per wave "
          f"up to {args.n:,} respondents x {args.replicates} replicates; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    local, serial, tasks = [], [], []
    sizes = [(args.n // 2, args.replicates), (args.n, args.replicates // 2),
             (args.n, args.replicates)]
    cache = {}
    for n, R in sizes:
        data = cache.setdefault(n, make_waves(W, n))
        loc = run(data, R)
        local.append((n * R, loc["cpu"] / W))
        print(f"local      n={n:>8,} R={R:>5}: cpu {loc['cpu']:7.1f} s, wall {loc['wall']:7.1f} s "
              f"(raking {loc['wall_rake']:.1f} s); peak RSS {peak_mb():,.0f} MB")
        for workers in ((1, 2) if (n, R) == sizes[-1] else (2,)):
            t = cluster_run(data, R, workers)
            num = loc["changes"].select_dtypes("number").columns
            diff = np.nanmax(np.abs(t["changes"][num].to_numpy(float)
                                    - loc["changes"][num].to_numpy(float)))
            if workers == 2:
                serial.append((n * R, t["cpu"] / W))
                tasks.append((n * R, t["task_seconds"] / W))
            print(f"cluster x{workers} n={n:>8,} R={R:>5}: wall {t['wall']:7.1f} s; client cpu "
                  f"{t['cpu']:6.1f} s; worker cpu "
                  f"{', '.join(f'{b:.1f}' for b in t['worker_busy'])}; worker peak RSS "
                  f"{', '.join(f'{m:,.0f}' for m in t['worker_peak_mb'])} MB; largest "
                  f"difference from local {diff:.1e}")
    fw, fn, fr = args.full
    a, b, res = fit(local)
    print(f"local cpu per wave = {a:.2f} s + {b * 1e6:.3f} s per million respondent-replicates "
          f"(largest residual {res:.0%})")
    sa, sb, sres = fit(serial)
    ta, tb, tres = fit(tasks)
    print(f"cluster per wave: serial {sa:.2f} + {sb * 1e6:.3f}/M (residual {sres:.0%}), "
          f"tasks {ta:.2f} + {tb * 1e6:.3f}/M (residual {tres:.0%})")
    x = fn * fr
    print(f"projected {fw} waves x {fn:,} respondents x {fr} replicates: local "
          f"{fw * (a + b * x) / 60:.1f} min")
    for workers in (1, 2, 32):
        t = fw * ((sa + sb * x) + (ta + tb * x) / workers)
        print(f"  on {workers:>2} workers: {t / 60:.1f} min")


if __name__ == "__main__":
    main()
