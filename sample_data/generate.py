"""Regenerate the bundled soft-power sample (seeded: the output is the same on every run).

    python sample_data/generate.py

writes, beside this script:
  softpower_sample.csv  the wide response file (one row per respondent, columns USA_mor1 ...)
  margins.csv           population margins per country (age_group, gender, education, region)
  populations.csv       adult population per country (millions), for population-weighted pooling
  truth.csv             the true population value of every dimension score and composite index,
                        per country x target x audience, so tests can check the pipeline recovers them
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a checkout without installing: the package sits beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveyindex.datasets import simulate_softpower  # noqa: E402

SEED = 20261123


def main(out_dir: Path = Path(__file__).resolve().parent) -> None:
    sim = simulate_softpower(seed=SEED)
    sim.responses.to_csv(out_dir / "softpower_sample.csv", index=False)
    sim.margins.to_csv(out_dir / "margins.csv", index=False)
    sim.populations.to_csv(out_dir / "populations.csv", index=False)
    sim.truth.to_csv(out_dir / "truth.csv", index=False, float_format="%.10g")
    print(f"wrote {len(sim.responses)} respondents in {sim.responses.country.nunique()} countries "
          f"to {out_dir}")


if __name__ == "__main__":
    main()
