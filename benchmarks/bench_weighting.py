"""Time weighting and design-based estimation against the peers, side by side, and print ratios.

    python benchmarks/bench_weighting.py                           # 20,000 and 200,000
    python benchmarks/bench_weighting.py --sizes 2000000 --no-peers
    python benchmarks/bench_weighting.py --peers-python /tmp/peers-venv/bin/python

Data (seeded): 20 countries; 4 raking margins per country (age 6, gender 2, education 4,
region 5) whose population shares differ from the sample's; unequal design weights; 2 targets x
20 Likert items (1-5, ~3% missing) plus 5 dimension scores per target = 50 variables.

Tasks, each timed inside its process after the data are loaded:
  rake         rake every country to its 4 margins, from the design weights
  bootstrap    200 Rao-Wu bootstrap replicates, then raking of the main and replicate weights
  means_rep    means of the 50 variables by country with 200-replicate SEs
  means_taylor the same means with Taylor SEs (on the raked design, so with R's raking
               adjustment of the influence values)
Peers: R survey (benchmarks/peers_weighting.R via Rscript) and balance, samplics, ipfn
(benchmarks/peers_weighting.py in a separate virtual environment; see ../shared/BENCHMARKS.md:
`python -m venv /tmp/peers-venv && /tmp/peers-venv/bin/pip install balance samplics ipfn
"pyarrow<21"`). samplics also times its Taylor and bootstrap estimators (from the design
weights, unraked: samplics does not rake replicates).
R's replicate means are slow (~400 s at 200,000): by default R runs them at 20,000 only; R's
Taylor means on the raked design (~150 s at 20,000, ~25 minutes at 200,000) and samplics'
estimators run up to --samplics-means-max-n (200,000).
"""

from __future__ import annotations

import argparse
import json
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


def ours(df: pd.DataFrame, margins: pd.DataFrame, replicates: int, repeat: int = 3
         ) -> dict[str, float]:
    """Seconds per task, the best of ``repeat`` runs (as timeit reports; the 2-core machines
    here are shared and noisy, and the peers' runs are many times longer than the noise)."""
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
    out["bootstrap"], rep = best(
        lambda: d.with_replicates("bootstrap", n=replicates, seed=1).rake(margins, by="country"))
    out["means_rep"], _ = best(lambda: si.estimate_means(rep, Y, by="country", method="replicate"))
    out["means_taylor"], _ = best(lambda: si.estimate_means(raked, Y, by="country",
                                                            method="taylor"))
    return out


def peers(path: Path, n: int, replicates: int, python: str | None, r_rep_max: int,
          samplics_max: int = 200_000) -> dict:
    results: dict[str, dict[str, float]] = {}
    if shutil.which("Rscript"):
        tasks = ("rake" + (",means_taylor" if n <= samplics_max else "")
                 + (",bootstrap,means_rep" if n <= r_rep_max else ""))
        results["R survey"] = _run(["Rscript", str(HERE / "peers_weighting.R"), str(path),
                                    str(replicates), tasks])
    if python and Path(python).exists():
        for peer in ("ipfn", "samplics", "balance"):
            if peer == "balance" and n > 2_000_000:
                continue
            results[peer] = _run([python, str(HERE / "peers_weighting.py"), peer, str(path),
                                  str(replicates)])
        if n <= samplics_max:     # samplics' estimators take ~8 minutes at 200,000
            results["samplics"].update(_run([python, str(HERE / "peers_weighting.py"),
                                             "samplics_means", str(path), str(replicates)]))
    return results


def _run(cmd: list[str]) -> dict[str, float]:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode or not lines:
        print(f"  ! {' '.join(cmd[:3])} failed: {proc.stderr.strip()[-300:]}")
        return {}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs per task; the best is reported")
    ap.add_argument("--peers-python", default="/tmp/peers-venv/bin/python")
    ap.add_argument("--r-replicates-max-n", type=int, default=20_000,
                    help="largest n at which R runs the (slow) replicate tasks")
    ap.add_argument("--samplics-means-max-n", type=int, default=200_000,
                    help="largest n at which samplics' (slow) estimators run")
    ap.add_argument("--data-dir", default="/tmp/bench-weighting")
    args = ap.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        df, margins = generate(n)
        mine = ours(df, margins, args.replicates, args.repeat)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        other = {}
        if not args.no_peers:
            path = Path(args.data_dir) / f"tracker_{n}.csv"
            df.to_csv(path, index=False)
            margins.to_csv(path.with_suffix(".margins.csv"), index=False)
            other = peers(path, n, args.replicates, args.peers_python, args.r_replicates_max_n,
                          args.samplics_means_max_n)
        print(f"\nn = {n:,}, {args.replicates} replicates, 50 variables x 20 countries "
              f"(peak RSS of this process {peak:.2f} GiB)")
        print(f"  {'task':<14}{'surveyindex':>12}" + "".join(f"{p:>22}" for p in other))
        for task, sec in mine.items():
            cells = []
            for res in other.values():
                s = res.get(task)
                cells.append(f"{s:9.2f} s ({s / sec:6.0f}x)" if s else f"{'-':>20}")
            print(f"  {task:<14}{sec:10.3f} s" + "".join(f"{c:>22}" for c in cells))
    print("\n(x) = peer time / surveyindex time; '-' = not run (see --help).")


if __name__ == "__main__":
    main()
