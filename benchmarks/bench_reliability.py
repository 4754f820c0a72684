"""Cronbach's alpha of 10 four-item scales against pingouin and R psych, side by side.

    python benchmarks/bench_reliability.py                       # 200,000 and 2,000,000
    python benchmarks/bench_reliability.py --sizes 200000 --runs 5 --psych-max-n 200000

Data (seeded): 10 scales x 4 Likert items (1-5, one common factor per scale), ~3% of answers
missing at random. Each task runs in its own process (median of --runs), timed after loading:
  pingouin       pingouin.cronbach_alpha on each scale (pairwise, its default)
  alpha          surveyindex.cronbach_alpha on each scale
  scale_alphas   surveyindex.scale_alphas: the 10 alphas and the item statistics in one call
  psych          R psych::alpha on each scale (alpha and item statistics; slow: up to
                 --psych-max-n respondents)
Prints peer / surveyindex ratios from the same run and writes
benchmarks/results/<date>-reliability.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import machine, measure, r_versions, versions, write_results  # noqa: E402

SCALES = {f"s{s}": [f"s{s}_{j}" for j in range(4)] for s in range(10)}


def generate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {}
    for items in SCALES.values():
        latent = rng.normal(size=n)
        for item in items:
            y = np.clip(np.round(3 + latent + rng.normal(size=n)), 1, 5)
            y[rng.random(n) < 0.03] = np.nan
            cols[item] = y
    return pd.DataFrame(cols)


def task(name: str, path: str) -> dict:
    import pingouin as pg  # imports and reading are not timed

    from surveyindex.reliability import cronbach_alpha, scale_alphas
    df = pd.read_parquet(path)
    t0 = time.perf_counter()
    if name == "pingouin":
        out = [pg.cronbach_alpha(df[items])[0] for items in SCALES.values()]
    elif name == "alpha":
        out = [cronbach_alpha(df[items]).alpha for items in SCALES.values()]
    elif name == "scale_alphas":
        out = list(scale_alphas(df, SCALES).scales["alpha"])
    else:
        raise SystemExit(f"unknown task {name}")
    return {"seconds": time.perf_counter() - t0, "alpha_s0": float(out[0])}


R_CODE = """suppressPackageStartupMessages({library(psych); library(data.table)})
df <- as.data.frame(fread(commandArgs(TRUE)[1]))
t0 <- proc.time()[["elapsed"]]
a <- lapply(0:9, function(s) psych::alpha(df[, paste0("s", s, "_", 0:3)], warnings = FALSE))
cat(sprintf('{"seconds": %.4f, "alpha_s0": %.12f}\\n', proc.time()[["elapsed"]] - t0,
            a[[1]]$total$raw_alpha))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    ap.add_argument("--runs", type=int, default=3, help="processes per task; the median is kept")
    ap.add_argument("--psych-max-n", type=int, default=200_000)
    ap.add_argument("--data-dir", default="/tmp/bench-reliability")
    ap.add_argument("--task", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.task:
        print(json.dumps(task(args.task, args.data)))
        return
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    r_script = data_dir / "psych_alpha.R"
    r_script.write_text(R_CODE)
    rows, lines = [], []
    for n in args.sizes:
        path = data_dir / f"scales_{n}.parquet"
        df = generate(n)
        df.to_parquet(path)
        tasks = {t: [sys.executable, __file__, "--task", t, "--data", str(path)]
                 for t in ("alpha", "scale_alphas", "pingouin")}
        if n <= args.psych_max_n:
            csv = path.with_suffix(".csv")
            df.to_csv(csv, index=False)
            tasks["psych"] = ["Rscript", str(r_script), str(csv)]
        res = {t: measure(cmd, args.runs) for t, cmd in tasks.items()}
        ours = res["alpha"].get("seconds")
        lines.append(f"\nn = {n:,}: 10 four-item scales, 3% missing (median of {args.runs} "
                     "processes; 1-min load average before each run)")
        for t, r in res.items():
            if "error" in r:
                lines.append(f"  {t:<13} not run: {r['error'][:200]}")
                continue
            ratio = r["seconds"] / ours if ours else float("nan")
            lines.append(f"  {t:<13} {r['seconds']:8.3f} s  {ratio:6.2f}x alpha   "
                         f"alpha(s0) {r['alpha_s0']:.10f}   load {r['load']}")
            rows.append({"n": n, "task": t, **r, "ratio_to_alpha": ratio})
    meta = {**machine(), "benchmark": "reliability",
            "versions": {**versions(sys.executable, ["numpy", "pandas", "pingouin"]),
                         **r_versions(["psych"])}}
    text = "\n".join(lines) + "\n\n(x) = task seconds / surveyindex.cronbach_alpha seconds\n"
    print(text)
    print(f"versions: {meta['versions']}")
    out = write_results("reliability", meta, rows, f"# alpha benchmark {meta['date']}\n\n"
                        f"versions: {meta['versions']}\n```{text}```\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
