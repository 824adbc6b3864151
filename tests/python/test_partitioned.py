"""Partials that merge exactly: the partitioned figures equal the single-machine ones."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import socialrx
from socialrx import partitioned as p
from socialrx import risk
from socialrx.did import PersonCounts, count_per_person
from socialrx.risk import case_list

TARIFF = {"name": "hand", "price_year": "2023/24", "unit_costs": {
    "ae_attendance": {"pence": 14000, "source": "hand A&E"},
    "emergency_admission": {"pence": 187850, "source": "hand admission"}}}
RANGE = dict(data_start="2020-04-01", data_end="2024-03-31")


def hand_tables() -> dict[str, pd.DataFrame]:
    """The tables of test_evaluation.py: client 1 (index 2022-03-10) and 2 (2022-06-01) covered
    by both windows, 3 never connected, 4's 12-month window past the data; 99 a comparison
    patient."""
    clients = pd.DataFrame({"client_id": [1, 2, 3, 4],
                            "referral_date": ["2022-03-01", "2022-05-20", "2022-06-01", "2023-05-01"],
                            "index_date": ["2022-03-10", "2022-06-01", None, "2023-06-01"],
                            "practice": ["A", "B", "B", "A"]})
    events = pd.DataFrame([
        (1, "2021-03-10", "ae_attendance"), (1, "2021-03-09", "ae_attendance"), (1, "2021-12-01", "ae_attendance"),
        (1, "2022-03-10", "ae_attendance"), (1, "2022-05-01", "emergency_admission"),
        (2, "2022-01-01", "ae_attendance"), (2, "2022-02-01", "ae_attendance"),
        (2, "2022-03-01", "emergency_admission"), (2, "2023-06-01", "ae_attendance"),
        (3, "2022-07-01", "ae_attendance"), (4, "2023-07-01", "ae_attendance"), (4, "2023-05-01", "gp_surgery"),
        (99, "2022-01-01", "ae_attendance"), (1, "2030-01-01", "ae_attendance"),
    ], columns=["person_id", "date", "kind"])
    return {"clients": clients, "events": events, "comparison": pd.DataFrame({"patient_id": [99]})}


def parts(tables: dict[str, pd.DataFrame], count: int, **options: object) -> list[socialrx.Evaluation]:
    """A single-machine Evaluation per co-partition of ``tables``."""
    split = {name: p.split(frame, column, count) for (name, frame), column in
             zip(tables.items(), ("client_id", "person_id", "patient_id"))}
    return [socialrx.Evaluation(clients=split["clients"][i], events=split["events"][i],
                                comparison=split["comparison"][i], **options) for i in range(count)]


def merged(tables: dict[str, pd.DataFrame], count: int, **options: object) -> p.MergedEvaluation:
    evaluations = parts(tables, count, data_start=options["data_start"], data_end=options["data_end"])
    return p.MergedEvaluation(
        counts=lambda days, by, periods: p.merge_all(p.utilisation_partial(e, days, by, periods)
                                                     for e in evaluations),
        clients=tables["clients"], **options)


def test_partition_of_is_splitmix64():
    # splitmix64's first two outputs from seed 0 (the reference C code): 0xE220A8397B1DCDAF for
    # x = 0 and 0x6E789E6AA1B965F4 for x = 0x9E3779B97F4A7C15 (as int64, that minus 2**64).
    ids = np.array([0, 0x9E3779B97F4A7C15 - 2**64])
    assert p.partition_of(ids, 2**32).tolist() == [0x7B1DCDAF, 0xA1B965F4]
    assert p.partition_of(np.array([0]), 2**63).tolist() == [0x6220A8397B1DCDAF]
    with pytest.raises(ValueError, match="partitions: must be at least 1"):
        p.partition_of(ids, 0)


def test_split_puts_each_persons_rows_in_one_part():
    tables = hand_tables()
    events = p.split(tables["events"], "person_id", 2)
    # splitmix64 mod 2: ids 2 and 4 in part 0; 1, 3 and 99 in part 1.
    assert [sorted(set(e["person_id"])) for e in events] == [[2, 4], [1, 3, 99]]
    assert sorted(pd.concat(events).index) == list(range(14))
    assert [sorted(c["client_id"]) for c in p.split(tables["clients"], "client_id", 2)] == [[2, 4], [1, 3]]


def test_partials_of_hand_tables_merge_to_the_hand_counts():
    first, second = (p.utilisation_partial(e, (365,), "practice") for e in parts(hand_tables(), 2, **RANGE))
    # Part 0 (clients 2 and 4): 12m A&E pre 2 (c2 Jan, Feb), post 1 (c2 2023-06-01); client 4's
    # window ends after the data. Part 1 (clients 1 and 3): pre 2 (c1 2021-03-10 and Dec).
    ae = socialrx.EVENT_KINDS.index("ae_attendance")
    def by_label(partial: p.UtilisationPartial) -> dict[str, list[int]]:
        return dict(zip(partial.labels, partial.counts[0, :, ae].tolist()))

    assert by_label(first) == {"A": [0, 0], "B": [2, 1]}
    assert by_label(second) == {"A": [2, 0], "B": [0, 0]}
    both = first.merge(second)
    assert both.labels == ("A", "B")
    assert both.counts[0, :, ae].tolist() == [[2, 0], [2, 1]]
    assert both.clients_included.tolist() == [[1, 1]]  # client 1 in A, client 2 in B
    assert (both.events_of_other_people, both.events_outside_data, both.events_total) == (1, 1, 14)
    assert both.excluded["ends_after_data"].tolist() == [1]


def test_merged_figures_equal_the_hand_worked_ones():
    evaluation = merged(hand_tables(), 2, tariff=TARIFF, **RANGE)
    table = evaluation.cost_avoidance(windows=12, by="practice")
    a = table[(table["practice"] == "A") & (table["kind"] == "ae_attendance")].iloc[0]
    assert (a["pre"], a["post"], a["avoided_pence"]) == (2, 0, 28000)  # as test_evaluation.py
    saving = evaluation.net_saving(service_cost_pence=10_000, window=12)
    assert (saving["gross_pence"], saving["net_pence"], saving["net_per_patient_pence"]) == (42000, 32000, 16000)


@pytest.mark.parametrize("count", [1, 3, 7])
def test_any_partition_count_gives_the_single_machine_figures(count):
    service = socialrx.synthetic(n_clients=300, n_comparison=900, seed=5)
    tables = {"clients": service.clients, "events": service.events, "comparison": service.comparison}
    options = dict(tariff="example", data_start=service.data_start, data_end=service.data_end)
    one = socialrx.Evaluation(**tables, **options)
    many = merged(tables, count, **options)
    for by in (None, "practice", "age_band", "financial_year"):
        pd.testing.assert_frame_equal(many.utilisation(by=by), one.utilisation(by=by))
        pd.testing.assert_frame_equal(many.cost_avoidance(by=by), one.cost_avoidance(by=by))
    pd.testing.assert_frame_equal(many.exclusions(windows=(3, "90d", 12)), one.exclusions(windows=(3, "90d", 12)))
    pd.testing.assert_series_equal(many.net_saving(1_234_567), one.net_saving(1_234_567))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_shuffled_rows_and_any_merge_order_give_the_same_counts(count, seed):
    tables = hand_tables()
    rng = np.random.default_rng(seed)
    shuffled = {name: frame.sample(frac=1, random_state=seed) for name, frame in tables.items()}
    expected = p.merge_all(p.utilisation_partial(e, (183, 365), "practice") for e in parts(tables, 1, **RANGE))
    partials = [p.utilisation_partial(e, (183, 365), "practice") for e in parts(shuffled, count, **RANGE)]
    got = p.merge_all(partials[i] for i in rng.permutation(count))
    assert got.labels == expected.labels
    np.testing.assert_array_equal(got.counts, expected.counts)
    np.testing.assert_array_equal(got.clients_included, expected.clients_included)
    assert {k: v.tolist() for k, v in got.window_events.items()} == \
        {k: v.tolist() for k, v in expected.window_events.items()}


def test_batches_of_events_add_up_and_count_rows_of_count_0():
    tables = hand_tables()
    events = tables["events"].assign(count=[1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1])
    whole = socialrx.Evaluation(clients=tables["clients"], events=events, comparison=tables["comparison"], **RANGE)
    batches = [socialrx.Evaluation(clients=tables["clients"], events=events.iloc[rows],
                                   comparison=tables["comparison"], **RANGE) for rows in (slice(0, 5), slice(5, 14))]
    first, second = (p.utilisation_partial(b, (365,), None) for b in batches)
    added = first.add_events(second)
    expected = p.utilisation_partial(whole, (365,), None)
    np.testing.assert_array_equal(added.counts, expected.counts)
    # The Dec A&E row of client 1 counts twice: 12m pre 5 (not 4); the one row of count 0 is noted.
    assert added.counts[0, 0, socialrx.EVENT_KINDS.index("ae_attendance"), 0] == 5
    assert added.clients_included.tolist() == [[2]] and added.rows_of_count_0 == 1
    with pytest.raises(ValueError, match="different clients"):
        first.add_events(p.utilisation_partial(parts(tables, 2, **RANGE)[0], (365,), None))


def test_an_event_counter_counts_parts_from_threads_and_travels_without_its_placed_people():
    tables = hand_tables()
    people = socialrx.Evaluation(clients=tables["clients"], comparison=tables["comparison"], **RANGE)
    counter = p.EventCounter(people, (365,), "practice")
    events = pa.Table.from_pandas(tables["events"].assign(date=pd.to_datetime(tables["events"]["date"])),
                                  preserve_index=False)
    halves = (events.slice(0, 7), events.slice(7))
    with ThreadPoolExecutor(2) as pool:  # the people placed by whichever thread counts first
        first, second = pool.map(counter.arrow, halves)
    whole = socialrx.Evaluation(clients=tables["clients"], events=tables["events"],
                                comparison=tables["comparison"], **RANGE)
    expected = p.utilisation_partial(whole, (365,), "practice")
    np.testing.assert_array_equal(first.add_events(second).counts, expected.counts)
    # Practice A's 12-month A&E before: client 1's 2021-03-10 and 2021-12-01 (03-09 is a day early).
    assert expected.counts[0, expected.labels.index("A"), socialrx.EVENT_KINDS.index("ae_attendance"), 0] == 2
    sent = pickle.loads(pickle.dumps(counter))  # the engine's tables are made again where it counts
    np.testing.assert_array_equal(sent.arrow(events).counts, expected.counts)
    # One machine's path (a part the engine refuses) counts against the clients' frame made again
    # from the arrays sent, grouped by practice as before.
    np.testing.assert_array_equal(sent.frame(tables["events"]).counts, expected.counts)


def test_a_person_counter_counts_arrow_parts_as_one_machine_and_names_an_unknown_person():
    tables = hand_tables()
    people = socialrx.Evaluation(clients=tables["clients"], comparison=tables["comparison"], **RANGE)
    count = partial(count_per_person, people=people.client_columns, others=people.comparison_ids, windows=(365,),
                    data_start=people.data_start, data_end=people.data_end)
    counter = p.PersonCounter(people, count)
    events = tables["events"].assign(date=pd.to_datetime(tables["events"]["date"]))  # timestamps, ticks to days
    got = counter.arrow(pa.Table.from_pandas(events, preserve_index=False))
    whole = socialrx.Evaluation(clients=tables["clients"], events=tables["events"],
                                comparison=tables["comparison"], **RANGE)
    expected = count(whole.event_columns, 1)
    np.testing.assert_array_equal(got.counts, expected.counts)
    # Client 1 (row 0): A&E on 2021-03-10 and 2021-12-01 in the year before 2022-03-10, one after (2022-03-10
    # is the index day itself): the emergency admission of 2022-05-01.
    ae, admission = (socialrx.EVENT_KINDS.index(k) for k in ("ae_attendance", "emergency_admission"))
    assert got.counts[0, 0, ae].tolist() == [2, 0] and got.counts[0, 0, admission].tolist() == [0, 1]  # [w][person]
    events.loc[3, "person_id"] = 7
    with pytest.raises(ValueError, match="events.person_id row 3: id 7 is in neither"):
        counter.arrow(pa.Table.from_pandas(events, preserve_index=False))


def test_partials_of_different_figures_do_not_merge():
    evaluation = parts(hand_tables(), 1, **RANGE)[0]
    with pytest.raises(ValueError, match="different figures"):
        p.utilisation_partial(evaluation, (365,), None).merge(p.utilisation_partial(evaluation, (183,), None))


@pytest.mark.parametrize("by", [None, "practice", "age_band", "referral_reasons"])
def test_reach_counts_merge_on_the_union_of_labels(by):
    service = socialrx.synthetic(n_clients=300, n_comparison=10, seed=5)
    tables = {"clients": service.clients, "events": service.events.iloc[:0],
              "comparison": service.comparison}
    one = socialrx.Evaluation(clients=service.clients).reach(by)
    got = p.merge_all(p.reach_partial(e, by) for e in parts(tables, 4, **RANGE))
    assert list(got.labels) == list(one[by or "group"])
    assert got.counts["referred"].tolist() == one["referred"].tolist()
    assert got.counts["connected"].tolist() == one["connected"].tolist()


def test_feedback_counts_merge_to_the_single_machine_counts():
    service = socialrx.synthetic(n_clients=300, n_comparison=10, seed=5)
    one = socialrx.Evaluation(clients=service.clients, feedback=service.feedback).feedback_summary(by="practice")
    pieces = zip(p.split(service.clients, "client_id", 3), p.split(service.feedback, "client_id", 3))
    got = p.merge_all(p.feedback_partial(socialrx.Evaluation(clients=c, feedback=f), "practice") for c, f in pieces)
    assert list(got.labels) == list(one["practice"].iloc[::got.counts["yes"].shape[1]])
    assert got.counts["yes"].ravel().tolist() == one["yes"].tolist()
    assert got.counts["answered"].ravel().tolist() == one["answered"].tolist()


def test_case_list_is_the_top_k_of_the_partitions_top_k():
    # Practice X: scores 9, 9 (ids 7 and 3: the smaller id first), 5, 1; practice Y: 4, 8.
    scores = pd.DataFrame({"patient_id": [1, 3, 7, 2, 5, 6], "practice": ["X", "X", "X", "X", "Y", "Y"],
                           "score": [5.0, 9.0, 9.0, 1.0, 4.0, 8.0]})
    candidates = [p.case_list_partial(part, "practice", 2) for part in p.split(scores, "patient_id", 3)
                  if len(part)]
    got = p.merge_case_lists(candidates, "practice", 2)
    pd.testing.assert_frame_equal(got, case_list(scores, "practice", 2))
    assert got["patient_id"].tolist() == [3, 7, 6, 5]


def test_propensity_model_by_irls_over_partitions_is_the_engine_fit():
    service = socialrx.synthetic(n_clients=400, n_comparison=2000, seed=5)
    matched = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                                  data_start=service.data_start, data_end=service.data_end).match()
    names = matched.covariate_names
    pieces = p.split(matched.covariates().sample(frac=1, random_state=3), "person_id", 3)

    def sums(beta: np.ndarray) -> p.NewtonSums:
        return p.merge_all(p.newton_sums(part[names].to_numpy(), part["treated"].to_numpy(), beta)
                           for part in pieces)

    fit = p.fit_logistic(sums, len(names))
    engine = matched.coefficients()
    np.testing.assert_allclose([fit["intercept"], *fit["coefficients"]], engine["coefficient"], rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(fit["standard_errors"], engine["std_error"], rtol=1e-9)
    assert 3 <= fit["iterations"] <= 12  # Newton from zero: a handful of steps
    data = matched.covariates()
    logit = fit["intercept"] + data[names].to_numpy() @ fit["coefficients"]
    pairs = p.match_on_logits(logit, data["treated"].to_numpy() == 1, data["person_id"].to_numpy())
    expected = matched.matches()[["client_id", "comparison_id"]]
    assert len(pairs) > 100
    assert sorted(zip(pairs["client_id"], pairs["comparison_id"])) == \
        sorted(zip(expected["client_id"], expected["comparison_id"]))


def test_comorbidity_is_per_patient_within_each_part():
    # Patient 1: I21 (myocardial infarction, 1 point) and I50 (heart failure, 1); patient 2:
    # C78 (metastatic tumour, 6 in Charlson 1987); patient 3: an unmatched code; patient 4:
    # F00.1 (dementia in Alzheimer's disease, 1).
    diagnoses = pd.DataFrame({"patient_id": [1, 2, 1, 3, 4], "code": ["I21", "C78", "I50", "QQ99", "F00.1"]})
    whole = risk.charlson(diagnoses, "charlson1987")
    parts = [risk.charlson(part, "charlson1987") for part in p.split(diagnoses, "patient_id", 3) if len(part)]
    merged = pd.concat(parts).sort_values("patient_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, whole.sort_values("patient_id").reset_index(drop=True),
                                  check_like=True)
    assert merged.set_index("patient_id")["score"].to_dict() == {1: 2, 2: 6, 3: 0, 4: 1}
    assert sum(part.attrs["codes_unmatched"] for part in parts) == whole.attrs["codes_unmatched"] == 1


def test_matching_and_did_out_of_core_are_the_single_machine_ones(tmp_path):
    # The events in three Parquet files read in batches of 4,000 rows: each batch counts the
    # look-back covariates and the matched people's before and after, and the batches' counts add up.
    service = socialrx.synthetic(n_clients=300, n_comparison=1500, seed=9, true_effect=0.2)
    for i in range(3):
        service.events.iloc[i::3].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    tables = dict(clients=service.clients, comparison=service.comparison, tariff="example")
    one = socialrx.Evaluation(events=service.events, **tables)
    streamed = socialrx.Evaluation(events=tmp_path, batch_rows=4_000, **tables)
    expected, got = one.match(seed=2), streamed.match(seed=2)
    pd.testing.assert_frame_equal(got.matches(), expected.matches(), check_exact=True)
    assert len(got.matches()) > 50
    options = dict(windows=(6, 12), bootstrap=100, seed=3, groups=True)
    pd.testing.assert_frame_equal(got.did(**options).estimates, expected.did(**options).estimates, check_exact=True)


def test_per_person_counts_of_different_people_do_not_add():
    # Client 1's 6-month window is covered in one part's counts, not in the other's: these were
    # counted over different people (or dates), and adding them would be meaningless.
    counts = np.zeros((1, 1, len(socialrx.EVENT_KINDS), 2), np.int64)
    covered, not_covered = np.ones((1, 1), np.int64), np.zeros((1, 1), np.int64)
    with pytest.raises(ValueError, match="add_events: the parts were counted over different people"):
        PersonCounts(counts, covered).add_events(PersonCounts(counts, not_covered))
    counts[0, 0, 0] = [2, 1]  # two events before, one after, in each part: 4 and 2 in all
    assert PersonCounts(counts, covered).add_events(PersonCounts(counts, covered)).counts[0, 0, 0].tolist() == [4, 2]
