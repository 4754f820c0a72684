"""Time a multi-wave tracker locally and on a dask LocalCluster; project to a larger cluster.

    python benchmarks/bench_tracker.py                          # reduced: 2 waves, 20,000 x 100
    python benchmarks/bench_tracker.py --waves 10 --n 200000 --replicates 1000   # the full size

Each wave: simulated soft-power respondents over 20 countries (13 bundled + 7), a Rao-Wu
bootstrap, raking of every replicate to the wave's margins (gender, age group; categories under
30 respondents merged), and the index over replicates, then the changes between waves
(:func:`surveyindex.compute_tracker`). Runs: local (one process, one BLAS thread), and a
``LocalCluster`` (worker processes, one thread each) with 1 and 2 workers.

Each wave's design is built when the tracker first needs it and released after its changes
(loaders, as :func:`surveyindex.run_tracker` passes them), so a run holds two waves' designs;
the simulated responses of all waves are made first and held throughout (the RSS before each run).

This machine (2 cores) is shared with other jobs, so wall times are noisy; the cost model uses
CPU seconds: the local run's process CPU, and on the cluster the client's CPU (the serial part:
bootstrap draws, IPF on the cell table, scores, normalisation, tables, sending each country's
share) and the CPU seconds each worker process spent during the run (tasks, plus receiving their
data). CPU seconds still grow under heavy load (the numpy passes compete for memory bandwidth and
cache), so each line carries the 1-minute load average. Each part is fitted as ``a + b * n * R``
per wave (passes over n respondents x R replicate columns) from three sizes (n/2, R), (n, R/2),
(n, R) at all the waves, which checks linearity in respondents and in replicates separately, and
checked on a run at half the waves (linearity in waves; ``--no-wave-check`` skips it).
Projection to W workers: ``waves * (serial + tasks / W)``. Peak RSS per worker process is
reported with an idle worker's RSS (numpy, pandas and dask loaded). Local and cluster results are
compared number by number (changes table, raked weights, replicate raking factors).
``--write tracker`` writes ``results/<date>-tracker.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import gc
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


def reset_peak() -> None:
    """Restart this process's VmHWM from its current RSS (Linux >= 4.0: ``5 > clear_refs``), so
    each run's peak is its own and not the largest earlier run's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


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


def rss_mb() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def run(waves, replicates: int, client=None) -> dict:
    """Replicates, raking and the tracker, each wave's design built when the tracker first needs
    it (a loader, as :func:`surveyindex.run_tracker` passes) and released after its changes."""
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    rake_wall, weights, factors = [0.0], [], []

    def load(k):
        t = time.perf_counter()
        resp, margins = waves[k]
        d = si.make_design(resp).with_replicates("bootstrap", n=replicates, seed=10 + k)
        d = d.rake(margins, by="country", collapse={"min_n": 30}, client=client)
        rake_wall[0] += time.perf_counter() - t
        # the raked weights and the replicates' cell factors, to compare local and cluster
        weights.append(d.weights)
        factors.append([f for _, f in getattr(d.replicate_weights, "layers", ())])
        return d

    tr = si.compute_tracker({f"w{k}": (lambda k=k: load(k)) for k in range(len(waves))},
                            audiences=["all"], client=client)
    return {"cpu": cpu_seconds() - cpu0, "wall": time.perf_counter() - wall0,
            "wall_rake": rake_wall[0], "changes": tr.changes, "weights": weights,
            "factors": factors}


def cluster_run(waves, replicates, workers):
    import distributed

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", memory_limit=0,
                                  env={"OPENBLAS_NUM_THREADS": "1",
                                       "SURVEYINDEX_THREADS": "1"}) as cluster, \
            distributed.Client(cluster) as client:
        before = client.run(cpu_seconds)
        idle = sorted(client.run(peak_mb).values())
        t = run(waves, replicates, client)
        after = client.run(cpu_seconds)
        busy = [after[w] - before[w] for w in before]
        t["task_seconds"] = sum(busy)
        t["worker_busy"] = sorted(busy)
        t["worker_peak_mb"] = sorted(client.run(peak_mb).values())
        t["worker_idle_mb"] = idle
    return t


def compare(loc: dict, t: dict) -> dict:
    """Largest absolute and relative differences of the cluster run from the local one: the
    changes table (every number), the raked weights, the replicates' raking factors."""
    num = loc["changes"].select_dtypes("number").columns
    a = loc["changes"][num].to_numpy(float)
    b = t["changes"][num].to_numpy(float)
    same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b)))
    d = np.abs(a - b) if a.size else np.zeros(1)
    rel = d / np.maximum(np.abs(a), 1e-300) if a.size else d
    w_a, w_b = np.concatenate(loc["weights"]), np.concatenate(t["weights"])
    f_a = [x.ravel() for fs in loc["factors"] for x in fs]
    f_b = [x.ravel() for fs in t["factors"] for x in fs]
    f_a = np.concatenate(f_a) if f_a else np.zeros(0)
    f_b = np.concatenate(f_b) if f_b else np.zeros(0)
    return {"changes_max_abs": float(np.nanmax(d)), "changes_max_rel": float(np.nanmax(rel)),
            "changes_identical": bool(same_nan and np.array_equal(a[~np.isnan(a)],
                                                                   b[~np.isnan(b)])),
            "changes_nan_pattern_same": same_nan, "changes_cells": int(a.size),
            "weights_identical": bool(np.array_equal(w_a, w_b)),
            "weights_max_abs": float(np.max(np.abs(w_a - w_b))),
            "factors_identical": bool(f_a.shape == f_b.shape and np.array_equal(f_a, f_b))}


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
    ap.add_argument("--project-to", type=int, nargs="+", default=[1, 2, 32],
                    help="worker counts the cost model projects to")
    ap.add_argument("--no-wave-check", action="store_true",
                    help="skip the run at half the waves (linearity in waves)")
    ap.add_argument("--write", metavar="NAME", default=None,
                    help="write benchmarks/results/<date>-NAME.json/.md (e.g. tracker)")
    args = ap.parse_args(argv)
    W = args.waves
    lines, rows = [], []
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine, versions, write_results

    started = machine()  # date and load average at the start

    def say(text):
        print(text, flush=True)
        lines.append(text)

    say(f"tracker benchmark: {W} waves x {len(BENCH_COUNTRIES)} countries; sizes per wave "
        f"up to {args.n:,} respondents x {args.replicates} replicates; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    local, serial, tasks = [], [], []
    # (waves, n, R): halve respondents, halve replicates, the size itself, halve the waves
    sizes = [(W, args.n // 2, args.replicates), (W, args.n, args.replicates // 2),
             (W, args.n, args.replicates)]
    if not args.no_wave_check and W >= 4:
        sizes.append((W // 2, args.n, args.replicates))
    cache = {}
    for w, n, R in sizes:
        t0 = time.perf_counter()
        if n not in cache:
            cache.clear()  # one respondent size held at a time
            cache[n] = make_waves(W, n)
            say(f"simulated {W} waves x {n:,} respondents in {time.perf_counter() - t0:.0f} s")
        data = cache[n][:w]
        load = os.getloadavg()[0]
        gc.collect()
        before = rss_mb()
        reset_peak()
        loc = run(data, R)
        peak = peak_mb()
        local.append((w, n * R, loc["cpu"]))
        rows.append({"run": "local", "waves": w, "n": n, "replicates": R, "workers": 0,
                     "wall_s": loc["wall"], "cpu_s": loc["cpu"], "wall_rake_s": loc["wall_rake"],
                     "peak_mb": peak, "rss_before_mb": before, "load": load})
        say(f"local      W={w:>2} n={n:>8,} R={R:>5}: cpu {loc['cpu']:7.1f} s, wall "
            f"{loc['wall']:7.1f} s (raking {loc['wall_rake']:.1f} s); peak RSS {peak:,.0f} MB"
            f" ({before:,.0f} MB before the run: the simulated waves); load {load:.1f}")
        for workers in ((1, 2) if (w, n, R) == sizes[2] else (2,)):
            load = os.getloadavg()[0]
            t = cluster_run(data, R, workers)
            cmp = compare(loc, t)
            if workers == 2:
                serial.append((w, n * R, t["cpu"]))
                tasks.append((w, n * R, t["task_seconds"]))
            rows.append({"run": "cluster", "waves": w, "n": n, "replicates": R,
                         "workers": workers, "wall_s": t["wall"], "client_cpu_s": t["cpu"],
                         "worker_cpu_s": t["worker_busy"], "worker_peak_mb": t["worker_peak_mb"],
                         "worker_idle_mb": t["worker_idle_mb"], "load": load, **cmp})
            say(f"cluster x{workers} W={w:>2} n={n:>8,} R={R:>5}: wall {t['wall']:7.1f} s; client "
                f"cpu {t['cpu']:6.1f} s; worker cpu "
                f"{', '.join(f'{b:.1f}' for b in t['worker_busy'])} s; worker peak RSS "
                f"{', '.join(f'{m:,.0f}' for m in t['worker_peak_mb'])} MB (idle "
                f"{', '.join(f'{m:,.0f}' for m in t['worker_idle_mb'])}); load {load:.1f}")
            say(f"    vs local: changes ({cmp['changes_cells']:,} numbers) "
                f"{'identical' if cmp['changes_identical'] else 'differ'}, largest difference "
                f"{cmp['changes_max_abs']:.1e} (relative {cmp['changes_max_rel']:.1e}); raked "
                f"weights {'identical' if cmp['weights_identical'] else 'differ'}; replicate "
                f"raking factors {'identical' if cmp['factors_identical'] else 'differ'}")
    # cost per wave: a + b * n * R, fitted on the runs with all the waves, checked on the run
    # with half of them
    fw, fn, fr = args.full
    x = fn * fr

    def per_wave(points):
        return [(nr, y / w) for w, nr, y in points if w == W]

    def wave_check(points, a, b, label):
        for w, nr, y in points:
            if w != W:
                say(f"    waves check ({label}): {w} waves measured {y:.1f} s, model "
                    f"{w * (a + b * nr):.1f} s ({y / (w * (a + b * nr)) - 1:+.0%})")

    a, b, res = fit(per_wave(local))
    say(f"local cpu per wave = {a:.2f} s + {b * 1e6:.4f} s per million respondent-replicates "
        f"(largest residual over the respondents/replicates sizes {res:.0%})")
    wave_check(local, a, b, "local cpu")
    sa, sb, sres = fit(per_wave(serial))
    ta, tb, tres = fit(per_wave(tasks))
    say(f"cluster per wave: client (serial) {sa:.2f} s + {sb * 1e6:.4f} s/M (residual "
        f"{sres:.0%}), worker tasks {ta:.2f} s + {tb * 1e6:.4f} s/M (residual {tres:.0%})")
    wave_check(serial, sa, sb, "client cpu")
    wave_check(tasks, ta, tb, "worker cpu")
    proj = {"local_min": fw * (a + b * x) / 60}
    say(f"projected {fw} waves x {fn:,} respondents x {fr} replicates (CPU-second model; wall "
        f"on a machine with a free core per worker): local {proj['local_min']:.1f} min")
    for workers in args.project_to:
        t = fw * ((sa + sb * x) + (ta + tb * x) / workers)
        proj[f"workers_{workers}_min"] = t / 60
        say(f"  on {workers:>2} workers: {t / 60:.1f} min")
    if args.write:
        meta = {**started, "finished": machine()["date"], "benchmark": "tracker", "argv": sys.argv[1:],
                "versions": versions(sys.executable, ["surveyindex", "numpy", "pandas",
                                                      "scipy", "dask", "distributed"]),
                "model": {"local": [a, b, res], "client": [sa, sb, sres], "tasks": [ta, tb, tres],
                          "units": "CPU seconds per wave = a + b * respondents * replicates"},
                "projection": proj}
        body = (f"# tracker benchmark {meta['date']} to {meta['finished']}\n\nversions: {meta['versions']}\n"
                f"command: python benchmarks/bench_tracker.py {' '.join(sys.argv[1:])}\n"
                "```\n" + "\n".join(lines) + "\n```\n")
        print(f"written {write_results(args.write, meta, rows, body)}")


if __name__ == "__main__":
    main()
