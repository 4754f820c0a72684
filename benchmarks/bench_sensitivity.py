"""Time the sensitivity analysis with sampling on the bundled sample (not run by the tests).

    python benchmarks/bench_sensitivity.py                     # 1,000 method draws x 200 replicates
    python benchmarks/bench_sensitivity.py --draws 2000 --replicates 500 --repeat 3

The bundled soft-power sample (14,535 respondents, 13 countries, 2 targets, audiences all and
g20_youth) with 200 Rao-Wu bootstrap replicates, raked per country. ``compute_index(...,
sensitivity=draws // 2, sensitivity_sampling=True)`` with the default factors (normalisation 3,
weights 3 incl. driver, aggregation 2, min_valid_items 4: a 72-point grid, enumerated: exact
parts), then the same draws on the Monte Carlo path only (``exhaustive=False``: the 2n = draws
base configurations plus the n k A_B^(i) ones for the Saltelli/Jansen indices), each evaluated
on every replicate. Prints seconds (best of --repeat) and the configurations evaluated.
The cost is one domain-means product per distinct scoring rule (4 here) and one driver
regression per scoring rule and audience; every other configuration re-normalises, re-weights
and re-aggregates the (countries x targets x dimensions x replicates) array.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

import surveyindex as si  # noqa: E402
from surveyindex.index.compute import IndexMethod, _instrument_defaults, audience_masks  # noqa: E402
from surveyindex.index.sampling_sensitivity import sampling_sensitivity  # noqa: E402
from surveyindex.index.sensitivity import default_factors  # noqa: E402


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=1000, help="method draws (2n base samples)")
    p.add_argument("--replicates", type=int, default=200)
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args(argv)
    inst = si.load_instrument("softpower")
    resp = si.read_responses(si.sample_paths()["responses"], inst)
    margins = pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})
    design = (si.make_design(resp).with_replicates("bootstrap", n=a.replicates, seed=1)
              .rake(margins, by="country"))
    n = a.draws // 2
    best = {}
    for _ in range(a.repeat):
        t = time.perf_counter()
        res = si.compute_index(design, sensitivity=n, sensitivity_sampling=True, seed=1)
        best["compute_index (exact grid)"] = min(best.get("compute_index (exact grid)", 1e9),
                                                 time.perf_counter() - t)
        m = IndexMethod(**_instrument_defaults(inst))
        masks = audience_masks(design, None, None)
        factors = default_factors(inst, m.driver_outcome in resp.single)
        t = time.perf_counter()
        sampling_sensitivity(design, m, masks, None, factors, n=n, seed=1, exhaustive=False)
        best["Monte Carlo path only"] = min(best.get("Monte Carlo path only", 1e9),
                                            time.perf_counter() - t)
    print(f"bundled sample: {design.n} respondents, {design.n_replicates} replicates, "
          f"{2 * n} method draws (+ {n * len(factors)} A_B rows), factors "
          f"{ {k: len(v) for k, v in factors.items()} }")
    for k, v in best.items():
        print(f"  {k:28s} {v:6.2f} s")
    print(f"  units: {len(res.sensitivity)}, index rows: {len(res.sensitivity_indices)}")


if __name__ == "__main__":
    main()
