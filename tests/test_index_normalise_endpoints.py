"""Normalisations onto fixed end points return those end points exactly (issue 12).

The values are chosen so that the textbook form ``lo + (hi - lo) * (x - a) / (b - a)`` lands
one ulp inside the end point: with ``d = 4.21 - 3.76``, ``100 * d / d`` is 99.99999999999999
(and 100.00000000000001 for ``d = 7.21 - 1.35``); the first test shows it. No rounding in the
asserts.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyindex.index import normalise


def _cube(values):
    return np.asarray(values, float).reshape(-1, 1, 1, 1)


def test_textbook_form_is_one_ulp_off_here():
    # why the fix is needed: multiplying before dividing loses the last bit on these values
    for mn, mx in [(3.76, 4.21), (1.35, 7.21)]:
        assert 100.0 * (mx - mn) / (mx - mn) != 100.0


@pytest.mark.parametrize("values", [[3.76, 4.21], [1.35, 7.21, 3.1], [1e-9, 2.5, 1e9]])
def test_minmax_hits_0_and_100_exactly(values):
    out = normalise(_cube(values), "minmax").ravel()
    assert out.min() == 0.0 and out.max() == 100.0
    assert out[np.argmax(values)] == 100.0 and out[np.argmin(values)] == 0.0


def test_minmax_onto_other_scale_is_exact():
    out = normalise(_cube([3.76, 4.21, 4.0]), "minmax", scale=(0.1, 0.3)).ravel()
    assert out[0] == 0.1 and out[1] == 0.3


def test_scale_and_goalposts_end_points_exact():
    b = (np.array([3.76]), np.array([4.21]))
    out = normalise(_cube([3.76, 4.21, 4.0]), "scale", bounds=b).ravel()
    assert out[0] == 0.0 and out[1] == 100.0
    g = normalise(_cube([3.76, 4.21, 4.9, -1.0]), "goalposts", bounds=b).ravel()
    assert g.tolist()[:2] == [0.0, 100.0] and g[2] == 100.0 and g[3] == 0.0


def test_distance_to_reference_is_exactly_100_for_the_reference():
    b = (np.array([1.0]), np.array([5.0]))
    out = normalise(_cube([4.1, 3.3, 2.9]), "distance", bounds=b, reference=1).ravel()
    assert out[1] == 100.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=12, unique=True))
def test_minmax_end_points_exact_for_any_values(values):
    out = normalise(_cube(values), "minmax").ravel()
    assert out[int(np.argmax(values))] == 100.0
    assert out[int(np.argmin(values))] == 0.0
    assert ((out >= 0.0) & (out <= 100.0)).all()
