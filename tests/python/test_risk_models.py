"""Risk models: hand-worked scores, explanations, case lists, statsmodels cross-check, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socialrx.risk.case_list import case_list
from socialrx.risk.models import LinearModel, LogisticModel, PoissonModel, load_model

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "models" / "example_logistic.json"
HAND = {
    "name": "hand", "kind": "logistic", "outcome": "admission", "intercept": -1.0,
    "features": [{"name": "old", "source": "age_band", "band": [75, None]},
                 {"name": "ae_6m", "source": "event_count", "kind": "ae_attendance", "lookback_days": 183},
                 {"name": "cci", "source": "comorbidity", "column": "charlson_score"}],
    "coefficients": {"old": 0.5, "ae_6m": 0.4, "cci": 0.3},
}


def patients() -> pd.DataFrame:
    return pd.DataFrame({"patient_id": [1, 2, 3], "age": [80, 60, 75], "charlson_score": [2, 0, 1],
                         "practice": ["P1", "P1", "P2"]}, index=["a", "b", "c"])


def events() -> pd.DataFrame:
    # As of 2024-01-01: 183 days back is 2023-07-02 (in); 2023-07-01 is out; the as-of day is out.
    return pd.DataFrame({"person_id": [1, 1, 1, 2, 3],
                         "date": ["2023-07-02", "2023-07-01", "2024-01-01", "2023-12-31", "2023-10-01"],
                         "kind": ["ae_attendance"] * 4 + ["gp_surgery"]})


def test_hand_worked_scores_and_features() -> None:
    model = LogisticModel.from_json(HAND)
    features = model.features(patients(), events(), as_of="2024-01-01")
    assert features.to_numpy().tolist() == [[1, 1, 2], [0, 1, 0], [1, 0, 1]]
    eta = np.array([-1 + 0.5 + 0.4 + 0.6, -1 + 0.4, -1 + 0.5 + 0.3])
    scores = model.score(patients(), events(), as_of="2024-01-01")
    assert scores.index.tolist() == ["a", "b", "c"] and scores.name == "score"
    np.testing.assert_allclose(scores.to_numpy(), 1 / (1 + np.exp(-eta)), rtol=1e-15)
    linear = LinearModel.from_json({**HAND, "kind": "linear"})
    np.testing.assert_allclose(linear.score(features.to_numpy()), eta, rtol=1e-15)
    poisson = PoissonModel.from_json({**HAND, "kind": "poisson"})
    np.testing.assert_allclose(poisson.score(features.to_numpy()), np.exp(eta), rtol=1e-15)


def test_explain_lists_largest_contributions_first() -> None:
    model = LogisticModel.from_json(HAND)
    out = model.explain(patients(), events(), as_of="2024-01-01", top=2)
    assert out.columns.tolist() == ["score", "feature_1", "contribution_1", "feature_2", "contribution_2"]
    assert out.loc["a", "feature_1"] == "cci" and out.loc["a", "contribution_1"] == pytest.approx(0.6)
    assert out.loc["a", "feature_2"] == "old"
    assert out.loc["b", "feature_1"] == "ae_6m"
    assert out.loc["c", ["feature_1", "feature_2"]].tolist() == ["old", "cci"]


def test_overflow_safe_sigmoid_and_poisson_error() -> None:
    spec = {"name": "x", "kind": "logistic", "intercept": 0.0,
            "features": [{"name": "x", "source": "column", "column": "x"}], "coefficients": {"x": 1.0}}
    x = np.array([[1000.0], [-1000.0], [0.0]])
    with np.errstate(all="raise"):
        assert LogisticModel.from_json(spec).score(x).tolist() == [1.0, 0.0, 0.5]
    with pytest.raises(ValueError, match=r"features row 0: the Poisson rate"):
        PoissonModel.from_json({**spec, "kind": "poisson"}).score(x)


def test_zero_copy_float32_and_nan_naming_the_row() -> None:
    model = LogisticModel.from_json(HAND)
    x = np.random.default_rng(1).random((1000, 3))
    expected = model.score(x)
    np.testing.assert_allclose(model.score(x.astype(np.float32)), expected, rtol=1e-6)
    np.testing.assert_allclose(model.score(np.asfortranarray(x)), expected, rtol=1e-15)
    x[617, 1] = np.nan
    with pytest.raises(ValueError, match=r"features.ae_6m row 617: a finite number is required"):
        model.score(x)
    frame = patients().assign(charlson_score=[1.0, np.nan, 0.0])
    with pytest.raises(ValueError, match=r"patients.charlson_score row 1: missing value"):
        model.score(frame, events(), as_of="2024-01-01")


def test_bad_input_names_what() -> None:
    with pytest.raises(ValueError, match=r"model.coefficients.cci: is missing"):
        LogisticModel.from_json({**HAND, "coefficients": {"old": 1, "ae_6m": 1}})
    with pytest.raises(ValueError, match=r"model.features\[1\].kind: unknown event kind 'ae'"):
        LogisticModel.from_json({**HAND, "features": [HAND["features"][0], {**HAND["features"][1], "kind": "ae"},
                                                      HAND["features"][2]]})
    with pytest.raises(ValueError, match=r"model.kind: unknown value 'probit'"):
        load_model({**HAND, "kind": "probit"})
    with pytest.raises(ValueError, match=r"LogisticModel needs kind 'logistic'"):
        LogisticModel.from_json({**HAND, "kind": "poisson"})
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model("{nope")
    model = LogisticModel.from_json(HAND)
    with pytest.raises(ValueError, match=r"patients.charlson_score: missing: feature 'cci'"):
        model.score(patients().drop(columns="charlson_score"), events(), as_of="2024-01-01")
    with pytest.raises(ValueError, match="pass an events table"):
        model.score(patients())
    with pytest.raises(ValueError, match=r"events.person_id row 0: id 7 is not among the patients"):
        model.score(patients(), events().assign(person_id=7), as_of="2024-01-01")
    with pytest.raises(ValueError, match="has 2 columns but model 'hand' has 3 features"):
        model.score(np.zeros((4, 2)))


def test_example_model_file_round_trip(tmp_path: Path) -> None:
    model = load_model(EXAMPLE)
    assert isinstance(model, LogisticModel) and "ILLUSTRATIVE" in model.description
    again = load_model(model.to_json(tmp_path / "m.json") and tmp_path / "m.json")
    assert again.to_json() == model.to_json()
    frame = pd.DataFrame({"patient_id": [1, 2], "age": [88, 40], "sex": ["F", "M"],
                          "deprivation_decile": [1, 9], "charlson_score": [3, 0]})
    ev = pd.DataFrame({"person_id": [1, 1], "date": ["2023-06-01", "2023-09-01"],
                       "kind": ["ae_attendance", "emergency_admission"]})
    eta = -3.6 + 1.25 - 0.05 + 0.35 + 0.28 + 0.55 + 3 * 0.22
    scores = model.score(frame, ev, as_of="2024-01-01")
    assert scores[0] == pytest.approx(1 / (1 + np.exp(-eta)), rel=1e-14)
    assert scores[1] == pytest.approx(1 / (1 + np.exp(3.6)), rel=1e-14)


def test_case_list_top_k_per_practice_ties_by_id() -> None:
    scores = pd.DataFrame({"patient_id": [40, 1, 2, 30, 5, 6], "practice": ["A", "B", "A", "A", "B", "A"],
                           "score": [0.5, 0.9, 0.7, 0.5, 0.1, 0.2]})
    out = case_list(scores, by="practice", k=3)
    assert out["patient_id"].tolist() == [2, 30, 40, 1, 5]
    assert out["rank"].tolist() == [1, 2, 3, 1, 2]
    assert case_list(scores, by=None, k=2)["patient_id"].tolist() == [1, 2]
    with pytest.raises(ValueError, match=r"scores.score row 2: missing score"):
        case_list(scores.assign(score=[0.1, 0.2, None, 0.3, 0.4, 0.5]))
    with pytest.raises(ValueError, match="missing column\\(s\\) practice"):
        case_list(scores.drop(columns="practice"))


# 200,000 rows: the fit starts from a subsample's (every 5th row without the outcome), and
# from there needs 4 Newton steps over the whole table where it needs 8 from zero.
@pytest.mark.parametrize(("n", "most_steps"), [(5000, 10), (200_000, 4)])
def test_fit_matches_statsmodels(n: int, most_steps: int) -> None:
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(20240601)
    X = pd.DataFrame({
        "age": rng.integers(18, 95, n).astype(float),
        "female": rng.integers(0, 2, n).astype(float),
        "deprivation_decile": rng.integers(1, 11, n).astype(float),
        "ae_12m": rng.poisson(0.6, n).astype(float),
        "charlson_score": rng.poisson(0.8, n).astype(float),
    })
    eta = (-5 + 0.03 * X["age"] - 0.1 * X["female"] - 0.05 * X["deprivation_decile"] + 0.4 * X["ae_12m"]
           + 0.3 * X["charlson_score"])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    model = LogisticModel.fit(X, y)
    reference = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    np.testing.assert_allclose(model.intercept, reference.params["const"], atol=1e-6)
    assert model.fit_info["iterations"] <= most_steps
    np.testing.assert_allclose(model.coefficients.to_numpy(), reference.params[X.columns].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(model.fit_info["standard_errors"], reference.bse.to_numpy(), rtol=1e-6)
    assert model.fit_info["log_likelihood"] == pytest.approx(reference.llf, rel=1e-10)
    np.testing.assert_allclose(model.score(X), reference.predict(sm.add_constant(X)), atol=1e-9)
    ridge = LogisticModel.fit(X, y, ridge=50.0)
    assert np.all(np.abs(ridge.coefficients.to_numpy()) <= np.abs(model.coefficients.to_numpy()) + 1e-12)


def test_fit_bad_input() -> None:
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    with pytest.raises(ValueError, match="perfectly separated"):
        LogisticModel.fit(X, [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"fit.y row 1: outcomes must be 0 or 1"):
        LogisticModel.fit(X, [0, 2, 1, 0])
    with pytest.raises(ValueError, match="y: has 3 rows but X has 4"):
        LogisticModel.fit(X, [0, 1, 0])
    with pytest.raises(ValueError, match="collinear"):
        LogisticModel.fit(np.hstack([X, 2 * X]), [0, 1, 0, 1])
