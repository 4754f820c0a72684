"""Time the pipeline stages on simulated data at several sizes (not part of the test suite).

    python benchmarks/bench_pipeline.py                 # 20,000 and 200,000 respondents
    python benchmarks/bench_pipeline.py --sizes 2000000 --replicates 200

Data: 20 countries, the soft-power instrument (2 targets x 20 items + 2 favourability items),
4 raking margins per country. Prints seconds per stage and peak memory (RSS).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import surveyindex as si  # noqa: E402
from surveyindex.datasets import COUNTRIES  # noqa: E402

BENCH_COUNTRIES = COUNTRIES + ["AUS", "CAN", "ITA", "SAU", "RUS", "EGY", "KEN"]


def run(n: int, replicates: int, seed: int = 1) -> dict[str, float]:
    inst = si.load_instrument("softpower")
    per = n // len(BENCH_COUNTRIES)
    t = {}
    t0 = time.perf_counter()
    sim = si.simulate_softpower(n_per_country=per, countries=BENCH_COUNTRIES, seed=seed,
                                problems=False)
    t["simulate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    resp = si.read_responses(sim.responses, inst)
    t["read+validate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    design = si.make_design(resp).with_replicates("bootstrap", n=replicates, seed=seed)
    t["replicates"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    design = design.rake(sim.margins, by="country")
    t["rake (main + replicates)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    si.compute_index(design)
    t["index with intervals"] = time.perf_counter() - t0
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--replicates", type=int, default=200)
    args = ap.parse_args()
    for n in args.sizes:
        times = run(n, args.replicates)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(f"n = {n:,}, {args.replicates} replicates (peak RSS so far {peak:.2f} GiB)")
        for stage, sec in times.items():
            print(f"  {stage:<26} {sec:8.2f} s")


if __name__ == "__main__":
    main()
