"""LACE on the reference cases and on bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialrx.risk.lace import lace


def test_reference_cases_from_a_frame() -> None:
    # test_cases.json "lace": (5 days, acute, Charlson 5, 2 A&E) = 14; (2, elective, 0, 0) = 2;
    # the maximum (14 days, acute, 4, 7) = 7 + 3 + 5 + 4 = 19.
    admissions = pd.DataFrame({"length_of_stay_days": [5, 2, 14], "acute": [True, False, True],
                               "charlson": [5, 0, 4], "ae_visits_6m": [2, 0, 7]}, index=[10, 11, 12])
    scores = lace(admissions)
    assert scores.name == "lace"
    assert scores.to_dict() == {10: 14, 11: 2, 12: 19}
    assert lace(admissions, variant="uk").tolist() == [14, 2, 19]


def test_point_boundaries_from_arrays() -> None:
    stay = np.arange(16)
    zeros = np.zeros(16, dtype=int)
    expected = [0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 7, 7]
    assert lace(length_of_stay_days=stay, acute=zeros, charlson=zeros, ae_visits_6m=zeros).tolist() == expected
    assert lace(length_of_stay_days=zeros[:7], acute=zeros[:7], charlson=np.arange(7),
                ae_visits_6m=np.arange(7)).tolist() == [0, 2, 4, 6, 9, 9, 9]


def test_bad_input_names_column_and_row() -> None:
    frame = pd.DataFrame({"length_of_stay_days": [1, None], "acute": [1, 0], "charlson": [0, 0],
                          "ae_visits_6m": [0, 0]})
    with pytest.raises(ValueError, match=r"admissions.length_of_stay_days row 1: missing value"):
        lace(frame)
    with pytest.raises(ValueError, match=r"admissions.charlson row 0"):
        lace(frame.fillna(1).assign(charlson=[-1, 0]))
    with pytest.raises(ValueError, match=r"admissions.acute row 1"):
        lace(frame.fillna(1).assign(acute=[0, 2]))
    with pytest.raises(ValueError, match=r"unknown variant 'lace_plus'"):
        lace(frame.fillna(1), variant="lace_plus")
    with pytest.raises(ValueError, match=r"admissions.ae_visits: has 1 rows but the table has 2"):
        lace(length_of_stay_days=[1, 2], acute=[0, 0], charlson=[0, 0], ae_visits_6m=[0])
    with pytest.raises(ValueError, match="missing column charlson"):
        lace(frame.fillna(1).drop(columns="charlson"))
