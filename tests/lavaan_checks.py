"""Checks of a fitted CFA against a lavaan case of tests/reference (lavaan_robust.json,
lavaan_bfi.json), shared by tests/test_robust.py and tests/test_invariance_bfi.py. Tolerances:
lavaan stops its optimiser at about 1e-6 in the estimates, which moves the statistics in the
6th-7th digit; the baseline scaling factor, which needs no optimiser, agrees to 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveyindex.reliability.robust import sb2001_difference

SCALED = ["chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "baseline_chisq_scaled",
          "cfi_scaled", "tli_scaled", "cfi_robust", "tli_robust", "rmsea_scaled", "rmsea_robust"]


def check_fit_measures(fit, case: dict) -> None:
    """Weighted N, ML chi-square, scaled and robust statistics and SRMR as lavaan's."""
    ref = case["fitMeasures"]
    np.testing.assert_allclose(fit.n, case["nobs"], rtol=1e-12)  # weights rescaled to N
    assert fit.fit["chisq"] == pytest.approx(ref["chisq"], rel=1e-8)
    assert fit.fit["baseline_chisq_scaling_factor"] == pytest.approx(
        ref["baseline.chisq.scaling.factor"], rel=1e-9)
    for key in SCALED:
        assert fit.fit[key] == pytest.approx(ref[key.replace("_", ".")], rel=2e-6), key
    assert fit.fit["srmr"] == pytest.approx(ref["srmr"], abs=1e-6)


def matched_parameters(fit, case: dict) -> pd.DataFrame:
    """lavaan's parameter rows beside ours (``_y``: ours, ``_x``: lavaan's), every row found."""
    ref = pd.DataFrame(case["parameters"])
    t = fit.parameters.assign(gi=[fit.groups.index(g) + 1 for g in fit.parameters["group"]])
    m = ref.merge(t, left_on=["group", "lhs", "op", "rhs"], right_on=["gi", "lhs", "op", "rhs"])
    assert len(m) == len(ref)  # every lavaan row found
    return m


def check_sb2001(f0: dict, f1: dict, case: dict) -> None:
    """The Satorra-Bentler (2001) difference of two fits as lavTestLRT's."""
    r = sb2001_difference(f0["chisq"], f0["df"], f0["chisq_scaling_factor"],
                          f1["chisq"], f1["df"], f1["chisq_scaling_factor"])
    assert r["chisq_diff"] == pytest.approx(case["Chisq_diff"], rel=1e-5)
    assert r["df_diff"] == case["Df_diff"]
    assert r["pvalue"] == pytest.approx(case["p_value"], rel=1e-4)
