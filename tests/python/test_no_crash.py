"""No input crashes the process: what a fuzzer found, each now a right answer, a ValueError or
TypeError naming where the bad value is, or a MemoryError saying what the job needs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx import _core

LOWEST, HIGHEST = np.iinfo(np.int64).min, np.iinfo(np.int64).max
AE = _core.EVENT_KINDS.index("ae_attendance")
NONE32 = np.empty(0, np.int32)


def count(client_id, person_id, dates, **options):
    n = len(client_id)
    arguments = dict(
        client_id=np.array(client_id, np.int64), referral_date=np.full(n, 990, np.int32),
        index_date=np.full(n, 1000, np.int32), discharge_date=np.empty(0, np.int32), group=NONE32,
        groups=1, other_ids=np.array([0], np.int64), person_id=np.array(person_id, np.int64),
        date=np.array(dates, np.int32), kind=np.full(len(person_id), AE, np.uint8),
        data_start=0, data_end=2000, windows=[183], threads=1)
    return _core.count_utilisation(**{**arguments, **options})


# ----------------------------------------------------------------- ids at both ends of int64
def test_ids_from_int64_min_to_max_are_counted():
    # Wrapped the dense id range to 0 and wrote the id table out of bounds before.
    result = count([LOWEST, HIGHEST], [LOWEST, HIGHEST, HIGHEST, 0], [900, 1100, 1101, 900])
    assert result.counts[0, 0, AE].tolist() == [1, 2]
    assert result.events_of_other_people == 1


def test_ids_from_int64_min_to_max_through_the_cli(tmp_path, capsys):
    (tmp_path / "clients.csv").write_text(
        f"client_id,referral_date,index_date\n{LOWEST},2022-01-01,2022-01-10\n{HIGHEST},2022-01-01,2022-01-10\n")
    (tmp_path / "events.csv").write_text(
        f"person_id,date,kind\n{LOWEST},2021-12-01,ae_attendance\n{HIGHEST},2022-02-01,ae_attendance\n")
    from socialrx.cli import main
    assert main(["evaluate", "--clients", str(tmp_path / "clients.csv"), "--events", str(tmp_path / "events.csv"),
                 "--data-start", "2020-04-01", "--data-end", "2024-03-31", "--windows", "6"]) == 0
    capsys.readouterr()


# ----------------------------------------------------------------- JSON numbers
def framework(min_: str, max_: str) -> str:
    return ('{"id": "fw", "name": "F", "kind": "domains", "scale": {"min": ' + min_ + ', "max": ' + max_ + '},'
            ' "rule": "worst", "thresholds": [{"id": "not_managing", "max": 0}, {"id": "managing", "min": 2}],'
            ' "domains": [{"id": "d", "name": "D", "indicators": [{"id": "i", "text": "I"}]}]}')


@pytest.mark.parametrize(("min_", "max_", "message"), [
    ("-2147483648", "2147483647", "fw.scale.min: must be a whole number from -1000000 to 1000000, got -2147483648"),
    ("0", "4294967306", "fw.scale.max: must be a whole number from -1000000 to 1000000, got 4294967306"),
    ("0", "20000000", "fw.scale.max: must be a whole number from -1000000 to 1000000, got 20000000"),
    ("0", "101", "fw.scale.max: a scale has at most 101 steps, got 102"),
    ("0", "1e400", "fw: malformed JSON: "),
])
def test_framework_scales_are_range_checked(min_, max_, message):
    with pytest.raises(ValueError) as error:
        _core.framework_from_json(framework(min_, max_), "fw")
    assert str(error.value).startswith(message)


def test_model_deciles_and_huge_numbers_are_value_errors():
    model = {"name": "m", "kind": "logistic", "intercept": 0,
             "features": [{"name": "dep", "source": "deprivation", "column": "imd_decile", "deciles": [4294967297]}],
             "coefficients": {"dep": 1}}
    with pytest.raises(ValueError, match=r"^model\.features\[0\]\.deciles: must be a whole number from 1 to 10, "
                                         r"got 4294967297$"):
        _core.RiskModel.from_json(json.dumps(model))
    with pytest.raises(ValueError, match="^model: not valid JSON"):
        _core.RiskModel.from_json('{"intercept": 1e400}')


def test_tariff_numbers_beyond_int64_or_double_are_value_errors():
    tariff = '{"name": "t", "price_year": "2023/24", "unit_costs": {"ae_attendance": {"pence": %s, "source": "s"}}}'
    with pytest.raises(ValueError, match="^t.json: malformed JSON"):
        _core.tariff_from_json(tariff % "1e400", "t.json")
    with pytest.raises(ValueError, match=r"^t\.json\.unit_costs\.ae_attendance\.pence: must be a whole number "
                                         r"from 0 to 9223372036854775807, got 9223372036854775808$"):
        _core.tariff_from_json(tariff % str(2**63), "t.json")


# ----------------------------------------------------------------- money
def test_two_interventions_of_2_to_62_pence_are_refused_naming_the_row():
    two = np.zeros(2, np.int32)
    with pytest.raises(ValueError, match=r"^interventions\.cost_pence row 1: the total 4611686018427387904 \+ "
                                         r"4611686018427387904 does not fit in a 64-bit whole number$"):
        _core.summarise_support(two, np.array([10, 11], np.int32), np.zeros(2, np.uint8),
                                np.full(2, _core.NO_ORGANISATION, np.int32), np.full(2, _core.NO_SECTOR, np.uint8),
                                np.full(2, 2**62, np.int64), np.array([0], np.int32), np.array([5], np.int32),
                                np.empty(0, np.int32), NONE32, 1, 0)


def test_avoided_cost_beyond_int64_names_the_kind():
    counts = count([1], [1] * 97, [900] * 97)
    tariff = _core.tariff_from_json(json.dumps({"name": "t", "price_year": "2023/24", "unit_costs": {
        "ae_attendance": {"pence": 2**62, "source": "s"}}}))
    # 97 x 2^62 = 4.47e20 pence, reported as 2^62 before.
    with pytest.raises(ValueError, match=r"^tariff\.ae_attendance: the product 97 x 4611686018427387904 does not "
                                         r"fit in a 64-bit whole number$"):
        _core.cost_avoidance(counts, tariff)


def test_service_cost_beyond_int64_is_a_value_error():
    with pytest.raises(ValueError, match=r"^net_saving\.service_cost: must be a whole number from "
                                         r"-9223372036854775808 to 9223372036854775807, got 9223372036854775808$"):
        _core.net_saving(0, 2**63, 1)
    assert _core.net_saving(500, 200, 3).net == 300


# ----------------------------------------------------------------- arguments
@pytest.mark.parametrize(("options", "message"), [
    ({"threads": -1}, "count_utilisation.threads: must be a whole number from 0 to 4294967295, got -1"),
    ({"threads": 2**40}, "count_utilisation.threads: must be a whole number from 0 to 4294967295, got 1099511627776"),
    ({"windows": [99999999999]},
     "count_utilisation.windows: must be a whole number from -2147483648 to 2147483647, got 99999999999"),
    ({"groups": 2**70}, "count_utilisation.groups: must be a whole number from -2147483648 to 2147483647, got "
                        "1180591620717411303424"),
])
def test_out_of_range_arguments_are_value_errors_naming_them(options, message):
    with pytest.raises(ValueError) as error:
        count([1], [1], [900], **options)
    assert str(error.value) == message


def test_arguments_that_are_not_whole_numbers_are_type_errors_naming_them():
    with pytest.raises(TypeError, match=r"^count_utilisation\.threads: must be a whole number, got 1\.5$"):
        count([1], [1], [900], threads=1.5)
    assert count([1], [1], [900], threads=np.int64(1)).counts[0, 0, AE].tolist() == [1, 0]


def test_window_of_99999999999_months_is_a_value_error():
    with pytest.raises(ValueError, match=r"^window\.months: "):
        _core.window_days(99999999999.0 * 12)


def test_bootstrap_replicates_are_bounded():
    counts = count([1, 2], [1], [900], per_person=True)
    bootstrap = _core.DidBootstrap(counts, np.array([0], np.int32), np.array([1], np.int32), np.array([0], np.int32),
                                   np.array([1.0]), None, 1)
    with pytest.raises(ValueError, match=r"^bootstrap\.replicates: must be from 0 to 4294967296"):
        bootstrap.run(2**40)
    with pytest.raises(ValueError, match=r"^DidBootstrap\.run\.threads: must be a whole number from 0"):
        bootstrap.run(10, -1)


# ----------------------------------------------------------------- memory
def test_a_job_that_will_not_fit_is_a_memory_error_saying_what_it_needs(monkeypatch):
    monkeypatch.setenv("SOCIALRX_MEMORY_LIMIT_BYTES", "1000")
    with pytest.raises(MemoryError, match=r"^counting utilisation needs about .* of memory, and 1000 bytes is "
                                          r"available$"):
        count([1, 2], [1], [900], per_person=True)
    monkeypatch.delenv("SOCIALRX_MEMORY_LIMIT_BYTES")
    assert count([1, 2], [1], [900], per_person=True).counts[0, 0, AE].tolist() == [1, 0]


# ----------------------------------------------------------------- row order
def pairs(result: dict, treated_id: np.ndarray, control_id: np.ndarray) -> set[tuple[int, int]]:
    begin = result["set_begin"]
    return {(int(treated_id[t]), int(control_id[c]))
            for s, t in enumerate(result["set_treated"]) for c in result["control"][begin[s]:begin[s + 1]]}


def test_ties_break_on_ids_by_hand():
    # Three patients at the client's logit, ids 30, 10, 20: k=2 takes ids 10 and 20.
    result = _core.nearest_neighbours(np.array([0.0]), np.zeros(3), NONE32, NONE32, k=2,
                                      treated_id=np.array([1], np.int64), control_id=np.array([30, 10, 20], np.int64))
    assert pairs(result, np.array([1]), np.array([30, 10, 20])) == {(1, 10), (1, 20)}


def test_shuffled_comparison_gives_the_same_pairs_through_propensity_match():
    rng = np.random.default_rng(5)
    clients, comparison = 60, 400
    x = rng.integers(0, 3, size=(clients + comparison, 2)).astype(float)  # many exact ties
    ids = np.concatenate([np.arange(clients), 1000 + rng.permutation(comparison)]).astype(np.int64)
    first = _core.propensity_match(x, clients, NONE32, id=ids)
    order = np.concatenate([np.arange(clients), clients + rng.permutation(comparison)])
    shuffled = _core.propensity_match(x[order], clients, NONE32, id=ids[order])
    assert len(first["set_treated"]) > 0
    assert (pairs(first, ids[:clients], ids[clients:])
            == pairs(shuffled, ids[order][:clients], ids[order][clients:]))


@pytest.fixture(scope="module")
def service() -> socialrx.SyntheticService:
    return socialrx.synthetic(n_clients=300, n_comparison=3000, seed=4)


def evaluation(service, clients: pd.DataFrame, comparison: pd.DataFrame) -> socialrx.Evaluation:
    return socialrx.Evaluation(clients=clients, events=service.events, comparison=comparison,
                               data_start=service.data_start, data_end=service.data_end)


def test_shuffled_comparison_table_gives_the_same_matches(service):
    # Whole years of age: many patients tie with each client.
    shuffled = service.comparison.sample(frac=1, random_state=3).reset_index(drop=True)
    first = evaluation(service, service.clients, service.comparison).match(seed=2, covariates=["age"]).matches()
    again = evaluation(service, service.clients, shuffled).match(seed=2, covariates=["age"]).matches()
    as_set = lambda m: set(zip(m["client_id"], m["comparison_id"]))  # noqa: E731
    assert as_set(first) == as_set(again)


def test_shuffled_clients_give_the_same_did_and_intervals(service):
    shuffled = service.clients.sample(frac=1, random_state=3).reset_index(drop=True)
    first = evaluation(service, service.clients, service.comparison).match(seed=2).did(windows=(6,), bootstrap=200)
    again = evaluation(service, shuffled, service.comparison).match(seed=2).did(windows=(6,), bootstrap=200)
    pd.testing.assert_frame_equal(first.estimates, again.estimates)
