"""Write the bundled real-layout examples in examples/real-files/ (seeded: same files every run).

    python tools/make_real_examples.py

- pew/: a Pew-style single-item favourability file: answers as label text with "DK" and "Refused",
  the surveyed country in ``sta``, final weights ``wgt``, age missing for some, a question not
  asked in one country (blank cells);
- kobo/: a KoboToolbox CSV export (';', group paths, meta columns) of the bundled favourability
  instrument's XLSForm, with a margins file naming categories by label;
- odk/: an ODK Central ``submissions.csv`` of the bundled softpower instrument's XLSForm, with PSUs
  and strata from the file and no margins;
- spss/: an SPSS ``.sav`` written by pyreadstat, with value labels and 8/9 declared user-missing.

The Kobo and ODK files are built with tests/exports_builder.py, the same code the round-trip tests
use, from the XLSForm as pyxform compiles it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from exports_builder import kobo_export, odk_export  # noqa: E402

import surveyindex as si  # noqa: E402

OUT = ROOT / "examples" / "real-files"
PEW_LABELS = ["Very unfavorable", "Somewhat unfavorable", "Somewhat favorable", "Very favorable"]


def _answers(rng, n, lean):
    """Codes 1-4 leaning by ``lean``, 8 (DK) about 6% and 9 (refused) about 2% of the time."""
    latent = rng.normal(lean, 1.0, n)
    code = np.digitize(latent, [-0.8, 0.0, 0.8]) + 1
    u = rng.random(n)
    return np.where(u < 0.06, 8, np.where(u < 0.08, 9, code))


def pew(rng) -> None:
    rows = []
    lean = {"USA": {"USA": 0.9, "CHN": -0.6}, "DEU": {"USA": 0.2, "CHN": -0.5},
            "JPN": {"USA": 0.6, "CHN": -1.0}, "BRA": {"USA": 0.5, "CHN": 0.1},
            "NGA": {"USA": 0.8, "CHN": 0.6}}
    for sta, n in zip(lean, (150, 130, 120, 140, 110)):
        frame = pd.DataFrame({"id": [f"{sta}{i:04d}" for i in range(n)], "sta": sta})
        frame["wgt"] = np.round(rng.lognormal(0, 0.45, n) / 1.1, 4)
        age = rng.integers(18, 90, n).astype(object)
        age[rng.random(n) < 0.05] = ""
        frame["age"] = age
        for t in ("USA", "CHN"):
            codes = _answers(rng, n, lean[sta][t])
            text = np.array(PEW_LABELS + ["", "", "", "DK", "Refused"], dtype=object)[codes - 1]
            if sta == "BRA" and t == "CHN":
                text[:] = ""  # not asked in this country
            frame[f"fav_{t}"] = text
        frame["psu"] = rng.integers(1, 11, n)
        rows.append(frame)
    (OUT / "pew").mkdir(parents=True, exist_ok=True)
    pd.concat(rows).to_csv(OUT / "pew" / "pew_style.csv", index=False)


def _plain_favourability(rng, countries, sizes=(90, 80, 85)) -> pd.DataFrame:
    inst = si.load_instrument("favourability")
    rows = []
    lean = {"BRA": 0.3, "FRA": -0.1, "JPN": 0.2, "NGA": 0.6}
    for c, n in zip(countries, sizes):
        f = pd.DataFrame({"resp_id": [f"uuid:{c.lower()}-{i:04d}" for i in range(n)], "country": c})
        f["age"] = rng.integers(18, 80, n).astype(str)
        f["gender"] = rng.choice(["1", "2"], n, p=[0.4, 0.6])
        f["education"] = rng.choice(["1", "2", "3"], n, p=[0.2, 0.4, 0.4])
        for t, shift in zip(inst.target_codes, (0.3, -0.2, -0.6)):
            f[f"{t}_fav"] = _answers(rng, n, lean[c] + shift).astype(str)
        rows.append(f)
    return pd.concat(rows, ignore_index=True)


def kobo(rng) -> None:
    inst = si.load_instrument("favourability")
    countries = ["BRA", "FRA", "NGA"]
    plain = _plain_favourability(rng, countries, sizes=(150, 140, 145))
    (OUT / "kobo").mkdir(parents=True, exist_ok=True)
    kobo_export(inst, plain, seed=3).to_csv(OUT / "kobo" / "kobo_export.csv", sep=";", index=False)
    # Margins by label, in any case: gender Male/Female, education labels, age groups.
    rows = []
    for c in countries:
        for v, cats in {"gender": {"male": .49, "FEMALE": .51},
                        "education": {"Less than secondary": .3, "secondary": .45,
                                      "Post-secondary": .25},
                        "age_group": {"18-29": .25, "30-49": .38, "50+": .37}}.items():
            rows += [{"country": c, "variable": v, "category": k, "proportion": p}
                     for k, p in cats.items()]
    pd.DataFrame(rows).to_csv(OUT / "kobo" / "margins.csv", index=False)


def odk(rng) -> None:
    inst = si.load_instrument("softpower")
    sample = pd.read_csv(si.sample_paths()["responses"], dtype=str, keep_default_na=False)
    plain = sample[sample["country"].isin(["DEU", "IDN"])].groupby("country").head(80)
    plain = plain.reset_index(drop=True)
    export = odk_export(inst, plain, seed=4)
    # Two-stage fieldwork: regions are strata, enumeration areas the PSUs.
    export["stratum"] = plain["country"] + "-" + plain["region"]
    export["psu"] = export["stratum"] + "-" + pd.Series(rng.integers(1, 4, len(plain))).astype(str)
    (OUT / "odk").mkdir(parents=True, exist_ok=True)
    export.to_csv(OUT / "odk" / "submissions.csv", index=False)


def spss(rng) -> None:
    import pyreadstat

    plain = _plain_favourability(rng, ["BRA", "JPN", "NGA"])
    frame = plain.copy()
    for c in ("age", "gender", "education", "USA_fav", "CHN_fav", "RUS_fav"):
        frame[c] = frame[c].astype(float)
    frame["resp_id"] = frame["resp_id"].str.removeprefix("uuid:")
    frame["wt"] = np.round(rng.lognormal(0, 0.4, len(frame)), 4)
    fav = {1.0: "Very unfavorable", 2.0: "Somewhat unfavorable", 3.0: "Somewhat favorable",
           4.0: "Very favorable", 8.0: "Don't know", 9.0: "Refused"}
    labels = {"gender": {1.0: "Male", 2.0: "Female"},
              "education": {1.0: "Less than secondary", 2.0: "Secondary", 3.0: "Post-secondary"},
              **{f"{t}_fav": fav for t in ("USA", "CHN", "RUS")}}
    (OUT / "spss").mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(frame, OUT / "spss" / "favourability.sav", variable_value_labels=labels,
                         missing_ranges={f"{t}_fav": [8.0, 9.0] for t in ("USA", "CHN", "RUS")},
                         column_labels={"wt": "Final weight", "USA_fav": "Opinion of the US"})


def main() -> None:
    rng = np.random.default_rng(20)
    for make in (pew, kobo, odk, spss):
        make(rng)
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            print(f"{p.relative_to(ROOT)}  {p.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
