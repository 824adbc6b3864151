"""Helpers shared by the test files."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd


def assert_same_result(got: Any, expected: Any, name: str = "result") -> None:
    """Two results of an Evaluation method exactly equal: frames, series and arrays cell for
    cell with their dtypes, result objects attribute by attribute, anything else by ``==``."""
    assert type(got) is type(expected), f"{name}: {type(got).__name__} against {type(expected).__name__}"
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, obj=name)
        assert_same_result(got.attrs, expected.attrs, f"{name}.attrs")
    elif isinstance(got, pd.Series):
        pd.testing.assert_series_equal(got, expected, obj=name)
    elif isinstance(got, np.ndarray):
        np.testing.assert_array_equal(got, expected, err_msg=name)
    elif isinstance(got, dict):
        assert list(got) == list(expected), name
        for key in got:
            assert_same_result(got[key], expected[key], f"{name}[{key!r}]")
    elif dataclasses.is_dataclass(got) and not isinstance(got, type):
        assert_same_result({f.name: getattr(got, f.name) for f in dataclasses.fields(got)},
                           {f.name: getattr(expected, f.name) for f in dataclasses.fields(expected)}, name)
    elif hasattr(got, "__dict__"):
        assert_same_result(vars(got), vars(expected), name)
    else:
        assert got == expected, name
