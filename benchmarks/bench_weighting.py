"""Time weighting and design-based estimation against the peers, side by side, and print ratios.

    python benchmarks/bench_weighting.py                           # 20,000 and 200,000
    python benchmarks/bench_weighting.py --sizes 2000000 --no-peers
    python benchmarks/bench_weighting.py --peers-python /tmp/peers-venv/bin/python
    python benchmarks/bench_weighting.py --sizes 200000 2000000 --tasks rake   # raking only

Data (seeded): 20 countries; 4 raking margins per country (age 6, gender 2, education 4,
region 5) whose population shares differ from the sample's; unequal design weights; 2 targets x
20 Likert items (1-5, ~3% missing) plus 5 dimension scores per target = 50 variables.

Tasks, each timed inside its process after the data are loaded:
  rake         rake every country to its 4 margins, from the design weights
  bootstrap    200 Rao-Wu bootstrap replicates, then raking of the main and replicate weights
  means_rep    means of the 50 variables by country with 200-replicate SEs
  means_taylor the same means with Taylor SEs (on the raked design, so with R's raking
               adjustment of the influence values)
Peers: R survey (benchmarks/peers_weighting.R via Rscript); the numpy floor (plain numpy IPF
on the cell table, benchmarks/peers_weighting.py run by this Python); svy, balance, samplics,
ipfn (benchmarks/peers_weighting.py in the peers' virtual environment, see benchmarks/README.md;
a peer that is not installed there is reported as not run). samplics also times its Taylor and
bootstrap estimators (from the design weights, unraked: samplics does not rake replicates).
Raking is also scored by its distance from the exact fixed point: max |w / w* - 1| over
respondents (each country's weights scaled to w*'s total there first), w* from surveyindex at
tolerance 1e-13.
R's replicate means are slow (~400 s at 200,000): by default R runs them at 20,000 only; R's
Taylor means on the raked design (~150 s at 20,000, ~25 minutes at 200,000) and samplics'
estimators run up to --samplics-means-max-n (200,000).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import PEERS_PYTHON, machine, r_versions, versions, write_results  # noqa: E402

import surveyindex as si  # noqa: E402

MARGINS = {"age": 6, "gender": 2, "education": 4, "region": 5}


def generate(n: int, seed: int = 1, countries: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respondents (with design weight ``w``) and the population margins (proportions)."""
    rng = np.random.default_rng(seed)
    names = [f"C{c:02d}" for c in range(countries)]
    country = np.repeat(np.arange(countries), -(-n // countries))[:n]
    df = pd.DataFrame({"country": np.array(names)[country]})
    rows = []
    for var, k in MARGINS.items():
        sample_p = rng.dirichlet(np.full(k, 8.0), size=countries)
        cum = sample_p.cumsum(axis=1)[country]
        df[var] = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, k - 1) + 1
        pop_p = rng.dirichlet(np.full(k, 8.0), size=countries)
        rows += [(names[c], var, str(j + 1), pop_p[c, j]) for c in range(countries)
                 for j in range(k)]
    df["w"] = rng.lognormal(0, 0.3, n)
    latent = (0.3 * df["age"] - 0.4 * df["gender"] + 0.2 * df["education"]).to_numpy()
    for t in ("USA", "CHN"):
        for i in range(20):
            y = np.clip(np.round(3 + 0.4 * latent - 1 + rng.normal(0, 1, n)), 1, 5)
            y[rng.random(n) < 0.03] = np.nan
            df[f"{t}_{i + 1}"] = y
        for dim in range(5):
            df[f"{t}_dim{dim + 1}"] = df[[f"{t}_{4 * dim + j + 1}" for j in range(4)]].mean(axis=1)
    margins = pd.DataFrame(rows, columns=["country", "variable", "category", "proportion"])
    return df, margins


def variables(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith(("USA_", "CHN_"))]


TASKS = ("rake", "bootstrap", "means_rep", "means_taylor")


def ours(df: pd.DataFrame, margins: pd.DataFrame, replicates: int, repeat: int = 3,
         tasks=TASKS) -> tuple[dict[str, float], np.ndarray]:
    """Seconds per task, the best of ``repeat`` runs (as timeit reports; the 2-core machines
    here are shared and noisy, and the peers' runs are many times longer than the noise), and
    the raked weights."""
    out = {}
    d = si.make_design(df, weights="w", strata="country")
    Y = df[variables(df)]

    def best(fn):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t0)
        return min(times), value

    out["rake"], raked = best(lambda: d.rake(margins, by="country"))
    if "bootstrap" in tasks or "means_rep" in tasks:
        out["bootstrap"], rep = best(lambda: d.with_replicates(
            "bootstrap", n=replicates, seed=1).rake(margins, by="country"))
    if "means_rep" in tasks:
        out["means_rep"], _ = best(lambda: si.estimate_means(rep, Y, by="country",
                                                             method="replicate"))
    if "means_taylor" in tasks:
        out["means_taylor"], _ = best(lambda: si.estimate_means(raked, Y, by="country",
                                                                method="taylor"))
    return out, raked.weights


def fixed_point(df: pd.DataFrame, margins: pd.DataFrame) -> np.ndarray:
    """The raked weights at the exact fixed point (every category to 1e-13 of its target)."""
    d = si.make_design(df, weights="w", strata="country")
    return d.rake(margins, by="country", tolerance=1e-13, max_iterations=5000).weights


def distance(w, exact, country) -> float:
    """max over respondents of |w / w* - 1|, each country's weights first scaled to the total of
    w* there (balance scales weights to its target's size; the scale is a convention)."""
    w = np.asarray(w, float).ravel()
    if len(w) != len(exact):
        return float("nan")
    codes = pd.factorize(country)[0]
    scale = np.bincount(codes, exact) / np.bincount(codes, w)
    return float(np.max(np.abs(w * scale[codes] / exact - 1)))


def peers(path: Path, n: int, replicates: int, python: str | None, r_rep_max: int,
          samplics_max: int = 200_000, tasks=TASKS) -> dict:
    """Each peer's seconds per task (and ``weights``: its raked weights), run one by one."""
    results: dict[str, dict] = {}
    wfile = lambda peer: path.with_suffix(f".{peer}.weights.npy")  # noqa: E731
    if shutil.which("Rscript"):
        todo = ("rake" + (",means_taylor" if n <= samplics_max and "means_taylor" in tasks else "")
                + (",bootstrap,means_rep" if n <= r_rep_max and "means_rep" in tasks else ""))
        csv = path.with_suffix(".R.weights.csv")
        results["R survey"] = _run(["Rscript", str(HERE / "peers_weighting.R"), str(path),
                                    str(replicates), todo, str(csv)])
        if csv.exists():
            results["R survey"]["weights"] = np.loadtxt(csv)
    python_peers = [("numpy floor", sys.executable, "numpy")]
    if python and Path(python).exists():
        python_peers += [(p, python, p) for p in ("svy", "ipfn", "samplics", "balance")]
    else:
        print(f"  ! peers' Python {python} not found: svy, ipfn, samplics, balance not run")
    for name, exe, peer in python_peers:
        if peer == "balance" and n > 2_000_000:
            continue
        results[name] = _run([exe, str(HERE / "peers_weighting.py"), peer, str(path),
                              str(replicates), str(wfile(peer))])
        if results[name] and wfile(peer).exists():
            results[name]["weights"] = np.load(wfile(peer))
            wfile(peer).unlink()
    if python and Path(python).exists() and n <= samplics_max and "means_rep" in tasks:
        results["samplics"].update(_run([python, str(HERE / "peers_weighting.py"),
                                         "samplics_means", str(path), str(replicates)]))
    return results


def _run(cmd: list[str]) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "POLARS_MAX_THREADS": "1", "SURVEYINDEX_THREADS": "1"}
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode or not lines:
        print(f"  ! {' '.join(cmd[:3])} failed: {proc.stderr.strip()[-300:]}")
        return {}
    return {**json.loads(lines[-1]), "load": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs per task; the best is reported")
    ap.add_argument("--peers-python", default=PEERS_PYTHON)
    ap.add_argument("--r-replicates-max-n", type=int, default=20_000,
                    help="largest n at which R runs the (slow) replicate tasks")
    ap.add_argument("--samplics-means-max-n", type=int, default=200_000,
                    help="largest n at which samplics' (slow) estimators run")
    ap.add_argument("--data-dir", default="/tmp/bench-weighting")
    args = ap.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    meta = {**machine(), "benchmark": "weighting", "tasks": args.tasks,
            "versions": {**versions(sys.executable, ["numpy", "pandas", "scipy"]),
                         "peers": versions(args.peers_python, ["numpy", "pandas", "svy", "ipfn",
                                                               "samplics", "balance"])
                         if Path(args.peers_python).exists() else None,
                         **r_versions(["survey"])}}
    rows, text = [], []
    for n in args.sizes:
        df, margins = generate(n)
        load = os.getloadavg()[0]
        mine, weights = ours(df, margins, args.replicates, args.repeat, args.tasks)
        exact = fixed_point(df, margins)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        other = {}
        if not args.no_peers:
            path = Path(args.data_dir) / f"tracker_{n}.csv"
            df.to_csv(path, index=False)
            margins.to_csv(path.with_suffix(".margins.csv"), index=False)
            other = peers(path, n, args.replicates, args.peers_python, args.r_replicates_max_n,
                          args.samplics_means_max_n, args.tasks)
        text.append(f"\nn = {n:,}, {args.replicates} replicates, 50 variables x 20 countries "
                    f"(peak RSS of this process {peak:.2f} GiB; load before surveyindex {load:.1f})")
        text.append(f"  {'task':<14}{'surveyindex':>12}" + "".join(f"{p:>22}" for p in other))
        for task, sec in mine.items():
            cells = []
            for peer, res in other.items():
                s = res.get(task)
                cells.append(f"{s:9.3f} s ({s / sec:6.1f}x)" if s else f"{'-':>20}")
                if s:
                    rows.append({"n": n, "task": task, "peer": peer, "seconds": s,
                                 "surveyindex": sec, "ratio": s / sec, "load": res.get("load")})
            text.append(f"  {task:<14}{sec:10.3f} s" + "".join(f"{c:>22}" for c in cells))
        c = df["country"].to_numpy()
        dist = {"surveyindex": distance(weights, exact, c),
                **{p: distance(r["weights"], exact, c) for p, r in other.items()
                   if "weights" in r}}
        text.append("  raked weights, max |w / w* - 1| from the exact fixed point: "
                    + ", ".join(f"{p} {d:.1e}" for p, d in dist.items()))
        text.append("  1-min load average before each peer: "
                    + ", ".join(f"{p} {r.get('load', float('nan')):.1f}" for p, r in other.items()))
        rows.append({"n": n, "task": "fixed_point_distance", **dist})
    text.append("\n(x) = peer time / surveyindex time; '-' = not run (see --help).")
    out = "\n".join(text)
    print(out)
    if not args.no_peers:
        path = write_results("weighting", meta, rows, f"# weighting benchmark {meta['date']}\n\n"
                             f"versions: {meta['versions']}\n```{out}\n```\n")
        print(f"written {path}")


if __name__ == "__main__":
    main()
