"""Readers of NHS extracts: hand-built extracts with hand-worked answers, every row accounted."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import socialrx
from socialrx import extracts
from socialrx._tables import read_table as read_by_the_cli

KEY = b"a test key, 32 bytes long......."
ALICE, BOB, BAD = "943 476 5919", "4010232137", "9434765918"  # the last fails its check digit


def pseudonym(number: str) -> int:
    digest = hmac.new(KEY, number.replace(" ", "").encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


def account(extract: extracts.Extract) -> dict[tuple[str, str], int]:
    return {(r.outcome, r.detail): r.rows for r in extract.account.itertuples()}


def events_by_kind(extract: extracts.Extract) -> dict[str, int]:
    """Total count per kind, as a dict without the kinds that have none."""
    totals = extract.events.groupby("kind", observed=True)["count"].sum()
    return {str(k): int(v) for k, v in totals.items()}


def episodes(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "person_id": [1, 1, 1, 2, 3, 4, 5],
        "spell_id": ["s1", "s1", "s1", "s2", "s3", "s4", "s5"],
        "episode_order": [2, 1, 3, 1, 1, 1, 1],
        "admission_date": ["2024-01-01", "2024-01-01", "2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01",
                           "2024-05-01"],
        # HES dates the discharge on the spell's last episode only
        "discharge_date": [None, None, "2024-01-06", "2024-02-01", "2024-03-03", "2024-04-02", None],
        "admission_method": ["21", "21", "21", "11", "31", "99", "2A"],
        "diagnosis_1": ["J18.9", "I50.0", "N39.0", "K80.2", "O80", "F32.9", "I21.4"],
        "diagnosis_2": [None, "I10", "", None, None, None, None],
    })
    return frame.assign(**changes)


# ----------------------------------------------------------------------------- APC spells
def test_a_spell_of_three_episodes_is_one_admission_with_its_bed_days():
    read = extracts.apc_spells(episodes())
    events = read.events
    person_1 = events[events["person_id"] == 1]
    assert person_1["kind"].astype(str).tolist() == ["emergency_admission", "bed_days"]
    assert person_1["count"].tolist() == [1, 5]  # 6 Jan - 1 Jan
    assert (person_1["date"] == pd.Timestamp("2024-01-01")).all()
    assert account(read)[("merged", "later episode of its spell (one admission per spell)")] == 2


def test_same_day_spell_has_zero_bed_days_and_an_open_spell_none():
    read = extracts.apc_spells(episodes())
    person_2 = read.events[read.events["person_id"] == 2]
    assert person_2["kind"].astype(str).tolist() == ["elective_admission", "bed_days"]
    assert person_2["count"].tolist() == [1, 0]
    person_5 = read.events[read.events["person_id"] == 5]
    assert person_5["kind"].astype(str).tolist() == ["emergency_admission"]
    assert account(read)[("mapped", "emergency_admission (no discharge yet: no bed days)")] == 1


def test_maternity_and_unknown_methods_are_counted_not_admitted():
    read = extracts.apc_spells(episodes())
    assert events_by_kind(read) == {"emergency_admission": 2, "elective_admission": 1, "bed_days": 5}
    assert set(read.events["person_id"]) == {1, 2, 5}
    assert account(read) == {
        ("merged", "later episode of its spell (one admission per spell)"): 2,
        ("dropped", "maternity admission"): 1,
        ("dropped", "unknown admission_method"): 1,
        ("mapped", "emergency_admission (no discharge yet: no bed days)"): 1,
        ("mapped", "elective_admission"): 1,
        ("mapped", "emergency_admission"): 1,
    }
    assert read.rows_read == 7
    assert read.unknown_codes[["column", "code", "rows"]].values.tolist() == [["admission_method", "99", 1]]


def test_the_admission_method_is_the_first_episodes():
    # the spell's first episode (order 1, the second row) says elective; the others emergency
    read = extracts.apc_spells(episodes(admission_method=["21", "12", "21", "11", "31", "99", "2A"]))
    assert read.events[read.events["person_id"] == 1]["kind"].astype(str).tolist()[0] == "elective_admission"


def test_diagnoses_come_from_every_episode():
    read = extracts.apc_spells(episodes())
    person_1 = read.diagnoses[read.diagnoses["person_id"] == 1]
    assert sorted(person_1["code"]) == ["I10", "I50.0", "J18.9", "N39.0"]
    assert sorted(person_1.loc[person_1["position"] == 2, "code"]) == ["I10"]
    assert len(read.diagnoses) == 8  # 7 primary codes and one secondary; the empty one is no code


def test_without_spell_ids_spells_are_person_provider_and_admission_day():
    # person 1: an emergency admission at RXX transferred in an emergency (2B) to RYY: two provider
    # spells, two admissions; person 2: a non-emergency transfer in (81) is counted and left out.
    transfers = pd.DataFrame({
        "person_id": [1, 1, 1, 2, 2],
        "provider_code": ["RXX", "RXX", "RYY", "RXX", "RZZ"],
        "admission_date": ["2024-01-01", "2024-01-01", "2024-01-04", "2024-02-01", "2024-02-03"],
        "discharge_date": [None, "2024-01-04", "2024-01-10", "2024-02-03", "2024-02-05"],
        "admission_method": ["21", "21", "2B", "22", "81"],
    })
    read = extracts.apc_spells(transfers)
    assert events_by_kind(read) == {"emergency_admission": 3, "bed_days": 3 + 6 + 2}
    assert account(read)[("dropped", "other admission (transfer or birth)")] == 1
    assert account(read)[("merged", "later episode of its spell (one admission per spell)")] == 1
    # without the provider the two spells of person 1 that start on different days stay two
    assert events_by_kind(extracts.apc_spells(transfers.drop(columns="provider_code")))["emergency_admission"] == 3


def test_a_discharge_before_its_admission_names_the_row():
    bad = episodes(discharge_date=[None, None, "2024-01-06", "2024-01-31", "2024-03-03", "2024-04-02", None])
    with pytest.raises(ValueError, match=r"apc_spells\.discharge_date row 3: discharged 2024-01-31, before admission "
                                         r"2024-02-01"):
        extracts.apc_spells(bad)


def test_rows_without_a_person_date_or_spell_are_dropped_before_spells_are_made():
    # row 2 (the last episode of s1, its discharge) has no person: s1 is then still open; row 3 no
    # admission date; row 4 no spell_id. Rows 0-1 make s1 (one merged), 5-6 spells of their own.
    gaps = episodes(person_id=pd.array([1, 1, None, 2, 3, 4, 5], "Int64"),
                    admission_date=["2024-01-01", "2024-01-01", "2024-01-01", None, "2024-03-01", "2024-04-01",
                                    "2024-05-01"],
                    spell_id=["s1", "s1", "s1", "s2", None, "s4", "s5"])
    read = extracts.apc_spells(gaps)
    assert account(read) == {
        ("dropped", "missing person_id"): 1, ("dropped", "missing admission_date"): 1,
        ("dropped", "missing spell_id"): 1,
        ("merged", "later episode of its spell (one admission per spell)"): 1,
        ("dropped", "unknown admission_method"): 1,
        ("mapped", "emergency_admission (no discharge yet: no bed days)"): 2,
    }
    assert events_by_kind(read) == {"emergency_admission": 2}


def test_a_row_without_a_spell_is_still_checked_for_its_dates():
    bad = episodes(spell_id=["s1", "s1", "s1", "s2", None, "s4", "s5"],
                   discharge_date=[None, None, "2024-01-06", "2024-02-01", "2024-02-28", "2024-03-31", None])
    with pytest.raises(ValueError, match=r"apc_spells\.discharge_date row 4: discharged 2024-02-28, before admission "
                                         r"2024-03-01"):
        extracts.apc_spells(bad)


def test_a_spell_of_two_people_is_refused():
    with pytest.raises(ValueError, match=r"apc_spells\.spell_id row 3: spell 's2' holds more than one person"):
        extracts.apc_spells(episodes(spell_id=["s1", "s1", "s1", "s2", "s2", "s4", "s5"]))


def test_a_code_map_overrides_the_shipped_one(tmp_path):
    read = extracts.apc_spells(episodes(), code_map={"99": "elective_admission", "2a": None})
    assert events_by_kind(read)["elective_admission"] == 2
    assert account(read)[("dropped", "excluded by code_map")] == 1
    assert "with the user's code_map" in read.code_maps["admission_method"].source
    as_file = tmp_path / "local.json"
    as_file.write_text(json.dumps({"codes": {"31": {"to": "emergency_admission"}}}))
    assert events_by_kind(extracts.apc_spells(episodes(), code_map=as_file))["emergency_admission"] == 3
    with pytest.raises(ValueError, match="'admitted', not event kinds"):
        extracts.apc_spells(episodes(), code_map={"99": "admitted"})


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), ignore_index=True)


def test_the_first_of_two_episodes_of_one_order_is_the_lower_method_code_in_any_row_order():
    # spell s1's order-1 episodes are "21" and "11": "11" sorts first, so elective whichever row comes first
    tied = episodes(episode_order=[1, 1, 3, 1, 1, 1, 1], admission_method=["21", "11", "21", "11", "31", "99", "2A"])
    for frame in (tied, tied.iloc[[1, 0, 2, 3, 4, 5, 6]]):
        read = extracts.apc_spells(frame)
        assert read.events[read.events["person_id"] == 1]["kind"].astype(str).tolist() == ["elective_admission",
                                                                                           "bed_days"]


def test_shuffled_episodes_give_the_same_extract():
    expected = extracts.apc_spells(episodes())
    rng = np.random.default_rng(7)
    for _ in range(20):
        read = extracts.apc_spells(episodes().iloc[rng.permutation(7)])
        pd.testing.assert_frame_equal(sorted_frame(read.events), sorted_frame(expected.events))
        pd.testing.assert_frame_equal(read.account, expected.account)
        pd.testing.assert_frame_equal(read.unknown_codes, expected.unknown_codes)
        pd.testing.assert_frame_equal(sorted_frame(read.diagnoses), sorted_frame(expected.diagnoses))


METHOD_KIND = {"11": "elective_admission", "21": "emergency_admission", "2A": "emergency_admission"}


def random_episodes(rng: np.random.Generator, ids: str, rows: int = 3000) -> pd.DataFrame:
    """Spells of about two episodes: one person and admission day each (episodes may start
    later), orders 1-3 with ties, some methods maternity (31), unknown (99) or missing, some
    spells not discharged yet."""
    spell = rng.integers(0, rows // 2, rows)
    day = pd.Timestamp("2023-01-01") + pd.to_timedelta(spell % 400, "D")
    admitted = day + pd.to_timedelta(rng.integers(0, 3, rows) * (ids != "none"), "D")
    discharged = admitted + pd.to_timedelta(rng.integers(0, 20, rows), "D")
    method = rng.choice(np.array(["11", "21", "2A", "31", "99", None], dtype=object), rows,
                        p=[.3, .3, .2, .1, .05, .05])
    frame = pd.DataFrame({
        "person_id": (spell * 7919) % 500 + 1, "episode_order": rng.integers(1, 4, rows),
        "admission_date": admitted, "discharge_date": discharged.where(rng.random(rows) < 0.8),
        "admission_method": method})
    spell_ids = {"text": pd.Series(spell).map("s{:05d}".format), "scattered": pd.Series(spell * 1_000_003 + 2**40),
                 "sorted": pd.Series(spell)}
    if ids in spell_ids:
        frame.insert(1, "spell_id", spell_ids[ids])
    return frame.sort_values("spell_id", ignore_index=True) if ids == "sorted" else frame


def spells_by_pandas(frame: pd.DataFrame) -> pd.DataFrame:
    """The events by pandas groupby, independently of the reader: per spell the episode of the lowest
    (order, method text; missing last) is first; admission the earliest, discharge the latest."""
    key = ["spell_id"] if "spell_id" in frame else ["person_id", "admission_date"]
    first = frame.sort_values(["episode_order", "admission_method"], na_position="last", kind="stable")
    first = first.drop_duplicates(key)[list(dict.fromkeys([*key, "person_id", "admission_method"]))]
    spells = frame.groupby(key, as_index=False).agg(date=("admission_date", "min"),
                                                    discharged=("discharge_date", "max")).merge(first, on=key)
    spells["kind"] = spells["admission_method"].map(METHOD_KIND)
    spells = spells.dropna(subset=["kind"])
    closed = spells.dropna(subset=["discharged"])
    events = pd.concat([spells.assign(count=1),
                        closed.assign(kind="bed_days", count=(closed["discharged"] - closed["date"]).dt.days)])
    events = events[["person_id", "date", "kind", "count"]].astype({"date": "datetime64[s]", "count": "int64"})
    return sorted_frame(events.assign(kind=events["kind"].astype(str)))


@pytest.mark.parametrize("ids", ["text", "scattered", "sorted", "none"])
def test_random_spells_match_pandas_in_any_row_order(ids):
    frame = random_episodes(np.random.default_rng(11), ids)
    expected = extracts.apc_spells(frame)
    by_pandas = spells_by_pandas(frame)
    assert len(by_pandas) > 1000
    read_events = sorted_frame(expected.events.assign(kind=expected.events["kind"].astype(str)))
    pd.testing.assert_frame_equal(read_events, by_pandas)
    rng = np.random.default_rng(3)
    for _ in range(3):
        shuffled = extracts.apc_spells(frame.iloc[rng.permutation(len(frame))])
        pd.testing.assert_frame_equal(sorted_frame(shuffled.events), sorted_frame(expected.events))
        pd.testing.assert_frame_equal(shuffled.account, expected.account)
        pd.testing.assert_frame_equal(shuffled.unknown_codes, expected.unknown_codes)


def test_events_are_typed_for_the_engines():
    events = extracts.apc_spells(pa.Table.from_pandas(episodes(), preserve_index=False)).events
    assert events.dtypes.astype(str).tolist() == ["int64", "datetime64[s]", "category", "int64"]
    assert events["kind"].cat.categories.tolist() == list(socialrx.EVENT_KINDS)


# ----------------------------------------------------------------------------- ECDS
def attendances() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": [1, 1, 1, 1, 2, 2],
        "arrival_date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06"],
        "attendance_category": ["1", "2", "3", "4", 1, "7"],
        "department_type": ["01", "01", "03", "01", "3", "01"],
    })


def test_planned_follow_ups_are_counted_and_left_out():
    read = extracts.ecds(attendances())
    assert events_by_kind(read) == {"ae_attendance": 4}
    assert account(read) == {("dropped", "planned follow-up"): 1, ("dropped", "unknown attendance_category"): 1,
                             ("mapped", "ae_attendance"): 4}
    assert read.events["department_type"].astype(str).tolist() == ["1", "1", "3", "3"]


def test_unplanned_follow_ups_can_be_left_out():
    read = extracts.ecds(attendances(), unplanned_follow_ups=False)
    assert events_by_kind(read) == {"ae_attendance": 2}
    assert account(read)[("dropped", "unplanned follow-up (unplanned_follow_ups=False)")] == 2


# ----------------------------------------------------------------------------- GP appointments
def appointments(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "person_id": [1, 1, 1, 1, 2, 2, 2, 2],
        "appointment_date": ["02/01/2024"] * 8,
        "appointment_mode": ["Face-to-Face", "Telephone", "Home Visit", "Video Conference/Online", "face to face",
                             "Face-to-Face", "Unknown", "Carrier pigeon"],
        "appointment_status": ["Attended", "Attended", "Attended", "Attended", "DNA", "Cancelled by Unit",
                               "Attended", "Attended"],
    })
    return frame.assign(**changes)


def test_gp_appointments_count_only_attended_ones():
    read = extracts.gp_appointments(appointments(), date_format="%d/%m/%Y")
    assert events_by_kind(read) == {"gp_surgery": 1, "gp_telephone": 2, "gp_home_visit": 1}
    assert (read.events["date"] == pd.Timestamp("2024-01-02")).all()
    assert account(read) == {("dropped", "did not attend"): 1, ("dropped", "cancelled"): 1,
                             ("dropped", "appointment mode unknown"): 1, ("dropped", "unknown appointment_mode"): 1,
                             ("mapped", "gp_surgery"): 1, ("mapped", "gp_telephone"): 2, ("mapped", "gp_home_visit"): 1}


@pytest.mark.parametrize(("video", "expected"), [
    ("gp_surgery", {"gp_surgery": 2, "gp_telephone": 1, "gp_home_visit": 1}),
    (None, {"gp_surgery": 1, "gp_telephone": 1, "gp_home_visit": 1}),
])
def test_video_consultations_are_a_choice(video, expected):
    read = extracts.gp_appointments(appointments(), date_format="%d/%m/%Y", video=video)
    assert events_by_kind(read) == expected


def test_local_statuses_through_a_code_map():
    status = ["Seen", "Attended", "Attended", "Attended", "DNA", "Cancelled by Unit", "Attended", "Attended"]
    read = extracts.gp_appointments(appointments(appointment_status=status), date_format="%d/%m/%Y",
                                    code_map={"appointment_status": {"seen": "attended"}})
    assert events_by_kind(read)["gp_surgery"] == 1
    # a shipped exclusion overridden, spelt as the extract spells it
    counted = extracts.gp_appointments(appointments(), date_format="%d/%m/%Y", code_map={"appointment_status": {
        "DNA": "attended"}})
    assert events_by_kind(counted)["gp_surgery"] == 2
    unmapped = extracts.gp_appointments(appointments(appointment_status=status), date_format="%d/%m/%Y")
    assert account(unmapped)[("dropped", "unknown appointment_status")] == 1
    assert unmapped.unknown_codes["code"].tolist() == ["Seen", "Carrier pigeon"]


# ----------------------------------------------------------------------------- ambulance and 111
def test_ambulance_outcomes_are_kept_and_every_incident_is_a_callout():
    read = extracts.ambulance(pd.DataFrame({
        "person_id": [1, 2, 3, 4], "incident_date": pd.to_datetime(["2024-01-01 23:50", "2024-01-02 00:00",
                                                                      "2024-01-03 00:00", "2024-01-04 00:00"]),
        "outcome": ["See and Convey", "hear-and-treat", "see_and_treat", "Left before arrival"]}))
    assert events_by_kind(read) == {"ambulance_callout": 4}
    assert read.events["outcome"].tolist()[:3] == ["see_and_convey", "hear_and_treat", "see_and_treat"]
    assert pd.isna(read.events["outcome"].iloc[3])
    assert read.events["date"].iloc[0] == pd.Timestamp("2024-01-01")  # the day of the time
    assert read.unknown_codes["code"].tolist() == ["Left before arrival"]


def test_nhs111_calls():
    read = extracts.nhs111(pd.DataFrame({"person_id": pd.array([1, None, 3], dtype="Int64"),
                                         "call_date": ["2024-01-01", "2024-01-02", ""],
                                         "outcome": ["See and Convey"] * 3}))  # no ambulance outcome for a call
    assert events_by_kind(read) == {"nhs111_call": 1}
    assert read.events.columns.tolist() == ["person_id", "date", "kind", "count"]
    assert account(read) == {("dropped", "missing person_id"): 1, ("dropped", "missing call_date"): 1,
                             ("mapped", "nhs111_call"): 1}


# ----------------------------------------------------------------------------- inputs
def test_columns_renames_the_extracts_own_names():
    theirs = attendances().rename(columns={"person_id": "PSEUDO_ID", "arrival_date": "ARRIVAL_DATE",
                                           "attendance_category": "EC_ATTENDANCE_CATEGORY"})
    read = extracts.ecds(theirs, columns={"PSEUDO_ID": "person_id", "ARRIVAL_DATE": "arrival_date",
                                          "EC_ATTENDANCE_CATEGORY": "attendance_category"})
    assert events_by_kind(read) == {"ae_attendance": 4}
    with pytest.raises(ValueError, match="missing column.*arrival_date"):
        extracts.ecds(theirs, columns={"PSEUDO_ID": "person_id"})
    with pytest.raises(ValueError, match="columns= names 'ARRIVAL', not in the extract"):
        extracts.ecds(theirs, columns={"ARRIVAL": "arrival_date"})


def test_a_parquet_path_an_arrow_table_and_a_csv_path_read_alike(tmp_path):
    table = pa.Table.from_pandas(episodes(), preserve_index=False)
    pq.write_table(table, tmp_path / "apc.parquet")
    episodes().to_csv(tmp_path / "apc.csv", index=False)
    expected = extracts.apc_spells(episodes())
    for source in (tmp_path / "apc.parquet", str(tmp_path / "apc.parquet"), table, tmp_path / "apc.csv"):
        read = extracts.apc_spells(source)
        pd.testing.assert_frame_equal(read.events, expected.events)
        pd.testing.assert_frame_equal(read.account, expected.account)


def test_non_iso_dates_need_a_date_format():
    with pytest.raises(ValueError, match=r"gp_appointments\.appointment_date row 0: '02/01/2024' is not a date in "
                                         r"ISO 8601 .*date_format"):
        extracts.gp_appointments(appointments())
    late = appointments(appointment_date=["2024-01-02"] * 7 + ["2024-13-02"])
    with pytest.raises(ValueError, match=r"appointment_date row 7: '2024-13-02'"):
        extracts.gp_appointments(late)
    with pytest.raises(ValueError, match=r"appointment_date row 0: '02/01/2024' is not a date in the format '%Y%m%d'"):
        extracts.gp_appointments(appointments(), date_format="%Y%m%d")
    # by the package's one rule, ISO text is read whatever the format named
    mixed = appointments(appointment_date=["02/01/2024"] * 7 + ["2024-01-02"])
    assert (extracts.gp_appointments(mixed, date_format="%d/%m/%Y").events["date"] == pd.Timestamp("2024-01-02")).all()
    blank = extracts.nhs111(pd.DataFrame({"person_id": [1, 2], "call_date": ["02/01/2024", "  "]}),
                            date_format="%d/%m/%Y")
    assert account(blank) == {("dropped", "missing call_date"): 1, ("mapped", "nhs111_call"): 1}


def test_dates_as_datetimes_whole_numbers_and_out_of_range():
    calls = pd.DataFrame({"person_id": [1, 2], "call_date": [20240101, 20240102]})
    with pytest.raises(ValueError, match=r"nhs111\.call_date row 0: 20240101 is a number, not a date; .*'%Y%m%d'"):
        extracts.nhs111(calls)
    read = extracts.nhs111(calls, date_format="%Y%m%d")
    assert read.events["date"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    excel = extracts.nhs111(calls.assign(call_date=[45292, 45293]), date_format="excel")  # Excel serial days
    assert excel.events["date"].tolist() == read.events["date"].tolist()
    with pytest.raises(ValueError, match=r"call_date row 1: .*outside the dates read, 1900-01-01\.\.2100-12-31"):
        extracts.nhs111(calls.assign(call_date=["2024-01-01", "1850-01-01"]))


def test_arrow_dates_are_read_as_days_and_checked_for_range():
    def calls(*dates):
        return pa.table({"person_id": pa.array(range(len(dates)), pa.int64()),
                         "call_date": pa.array(dates, pa.date32())})

    read = extracts.nhs111(calls(datetime.date(2024, 1, 1), None, datetime.date(1900, 1, 1)))
    assert read.events["date"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("1900-01-01")]
    assert account(read)[("dropped", "missing call_date")] == 1
    with pytest.raises(ValueError, match=r"call_date row 1: .*outside the dates read, 1900-01-01\.\.2100-12-31"):
        extracts.nhs111(calls(datetime.date(2024, 1, 1), datetime.date(2101, 1, 1)))


def test_categorical_text_dates_read_as_text():
    calls = pd.DataFrame({"person_id": [1, 2], "call_date": pd.Categorical(["2024-01-01", "2024-01-02"])})
    assert extracts.nhs111(calls).events["date"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]


def test_shipped_maps_name_their_source_and_show_as_a_table():
    admission = extracts.shipped_map("admission_method")
    assert "NHS Data Model and Dictionary" in admission.source
    table = admission.table().set_index("code")
    assert table.loc["2a", "maps_to"] == "emergency_admission"
    assert table.loc["31", "excluded_as"] == "maternity admission"
    assert "ECDS" in extracts.shipped_map("ecds_attendance_category").source


def test_person_ids_must_be_whole_numbers_without_a_key():
    with pytest.raises(ValueError, match=r"nhs111\.person_id: person ids must be whole numbers.*pseudonymise_key="):
        extracts.nhs111(pd.DataFrame({"person_id": ["9434765919"], "call_date": ["2024-01-01"]}))


@pytest.mark.parametrize("reader", ["apc", "ecds", "gp", "ambulance", "nhs111"])
def test_the_account_adds_up_to_the_rows_read(reader):
    read = {
        "apc": lambda: extracts.apc_spells(episodes()),
        "ecds": lambda: extracts.ecds(attendances()),
        "gp": lambda: extracts.gp_appointments(appointments(), date_format="%d/%m/%Y"),
        "ambulance": lambda: extracts.ambulance(pd.DataFrame({"person_id": [1, 2], "incident_date": ["2024-01-01",
                                                                                                   None]})),
        "nhs111": lambda: extracts.nhs111(pd.DataFrame({"person_id": [1], "call_date": ["2024-01-01"]})),
    }[reader]()
    rows = {"apc": 7, "ecds": 6, "gp": 8, "ambulance": 2, "nhs111": 1}[reader]
    assert read.account["rows"].sum() == rows == read.rows_read
    assert f"{rows:,} rows read" in read.summary() and "<table" in read._repr_html_()


# ----------------------------------------------------------------------------- pseudonyms
def test_nhs_numbers_become_pseudonyms_and_invalid_ones_are_counted():
    calls = pd.DataFrame({"person_id": [ALICE, BOB, BAD, None], "call_date": ["2024-01-01"] * 4})
    read = extracts.nhs111(calls, pseudonymise_key=KEY)
    assert read.events["person_id"].tolist() == [pseudonym(ALICE), pseudonym(BOB)]
    assert account(read) == {("dropped", "missing NHS number"): 1, ("dropped", "invalid NHS number"): 1,
                             ("mapped", "nhs111_call"): 2}


def test_the_same_key_links_extracts_and_the_key_is_kept_nowhere():
    calls = extracts.nhs111(pd.DataFrame({"person_id": [ALICE], "call_date": ["2024-01-01"]}), pseudonymise_key=KEY)
    visits = extracts.ecds(pd.DataFrame({"person_id": [9434765919], "arrival_date": ["2024-01-01"],
                                         "attendance_category": [1]}), pseudonymise_key=KEY)
    assert calls.events["person_id"].tolist() == visits.events["person_id"].tolist() == [pseudonym(ALICE)]
    combined = extracts.combine(calls, visits)
    assert combined.events["kind"].cat.categories.tolist() == list(socialrx.EVENT_KINDS)  # read without recoding
    assert combined.account["extract"].tolist() == ["nhs111", "ecds"]
    stored = pickle.dumps(combined)
    assert KEY not in stored and b"9434765919" not in stored


# ----------------------------------------------------------------------------- GP coded records and PRSB exports
def test_gp_coded_records_make_clients():
    records = pd.DataFrame({
        "person_id": [1, 1, 1, 2, 3, 3, 4, 5],
        "date": ["2024-01-05", "2024-01-01", "2024-02-01", "2024-01-05", "2024-01-06", "2024-01-10", "2024-01-01",
                 "2024-03-01"],
        "snomed_code": ["871731000000106", "871731000000106", "LOC1", "871711000000103", "871731000000106", "LOC2",
                        "LOC2", "22298006"],
    })
    read = extracts.gp_coded(records, code_map={"LOC1": "support_started", "LOC2": "reason:isolation"})
    clients = read.clients.set_index("client_id")
    assert clients["referral_date"].tolist() == [pd.Timestamp(d) for d in ("2024-01-01", "2024-01-05", "2024-01-06")]
    assert clients["status"].tolist() == ["connected", "declined", "referred"]
    assert clients.loc[1, "index_date"] == pd.Timestamp("2024-02-01")
    assert clients.loc[3, "referral_reasons"] == "isolation"
    assert account(read) == {("dropped", "unknown snomed_code"): 1,
                             ("dropped", "no referral or declined code for the person"): 1,
                             ("mapped", "declined"): 1, ("mapped", "reason:isolation"): 1, ("mapped", "referral"): 3,
                             ("mapped", "support_started"): 1}
    with pytest.raises(ValueError, match="'started'"):
        extracts.gp_coded(records, code_map={"LOC1": "started"})


def service_export() -> dict[str, pd.DataFrame]:
    return {
        "referrals": pd.DataFrame({
            "person_id": [ALICE, BOB, BOB], "referral_date": ["01/01/2024", "05/01/2024", "20/12/2023"],
            "first_contact_date": ["10/01/2024", "01/02/2024", None], "needs": ["isolation;finance", None, None],
            "practice": ["M1", "M2", "M2"]}),
        "support": pd.DataFrame({
            "person_id": [ALICE, ALICE, BAD], "date": ["10/01/2024", "11/01/2024", "12/01/2024"],
            "support_type": ["contact_phone", "walking group", "grant"], "sector": ["voluntary", None, None]}),
        "outcomes": pd.DataFrame({
            "person_id": [ALICE, ALICE], "date": ["10/01/2024", "10/03/2024"], "timepoint": ["baseline", "final"],
            "instrument": ["dudley7"] * 2, "item": ["finance.enough_money"] * 2, "value": [0, 2]}),
    }


def test_a_prsb_shaped_export_gives_clients_interventions_and_assessments():
    export = service_export()
    renamed = {"NHS_NUMBER": "person_id", "REFERRED_ON": "referral_date", "SUPPORT": "support_type"}
    theirs = {name: {ours: mine for mine, ours in renamed.items() if ours in table} for name, table in export.items()}
    read = extracts.prsb(export["referrals"].rename(columns=theirs["referrals"]),
                         support=export["support"].rename(columns=theirs["support"]),
                         outcomes=export["outcomes"].rename(columns=theirs["outcomes"]), columns=renamed,
                         date_format="%d/%m/%Y", pseudonymise_key=KEY, code_map={"walking group": "group"})
    clients = read.clients.set_index("client_id")
    assert clients.loc[pseudonym(BOB), "referral_date"] == pd.Timestamp("2023-12-20")  # the earliest referral
    assert clients.loc[pseudonym(ALICE), "referral_reasons"] == "isolation;finance"
    # Bob's earliest referral had no first contact: his later one, which did, is merged into it
    assert clients["status"].tolist() == ["connected", "referred"]
    assert read.interventions["kind"].tolist() == ["contact_phone", "group"]
    assert read.assessments["value"].tolist() == [0, 2]
    assert account(read) == {("merged", "re-referral (the earliest referral kept)"): 1, ("mapped", "client"): 2,
                             ("dropped", "invalid NHS number"): 1, ("mapped", "contact_phone"): 1,
                             ("mapped", "group"): 1, ("mapped", "assessment"): 2}
    assert read.account["extract"].unique().tolist() == ["prsb.referrals", "prsb.support", "prsb.outcomes"]


def test_combine_refuses_two_sets_of_clients():
    records = pd.DataFrame({"person_id": [1], "date": ["2024-01-01"], "snomed_code": ["871731000000106"]})
    with pytest.raises(ValueError, match="clients come from gp_coded and gp_coded"):
        extracts.combine(extracts.gp_coded(records), extracts.gp_coded(records))


# ----------------------------------------------------------------------------- end to end
def test_extracts_into_an_evaluation_give_hand_worked_utilisation():
    export = service_export()
    # Alice: index 10 Jan 2024; Bob: index 1 Feb 2024 (his later referral's first contact). 6 months = 183 days.
    service = extracts.prsb(export["referrals"].iloc[:2], date_format="%d/%m/%Y", pseudonymise_key=KEY)
    apc = extracts.apc_spells(pd.DataFrame({
        "person_id": [ALICE, ALICE, ALICE, ALICE, BOB, BOB],
        "spell_id": ["a1", "a1", "a1", "a2", "b1", "b2"],
        "episode_order": [1, 2, 3, 1, 1, 1],
        "admission_date": ["2023-11-01"] * 3 + ["2024-03-01", "2023-12-01", "2024-04-01"],
        "discharge_date": [None, None, "2023-11-05", "2024-03-01", "2023-12-03", "2024-04-11"],
        "admission_method": ["21", "21", "21", "11", "31", "22"],
    }), pseudonymise_key=KEY)
    ae = extracts.ecds(pd.DataFrame({
        "person_id": [ALICE, ALICE, ALICE, BOB],
        "arrival_date": ["2023-10-01", "2023-10-02", "2024-02-01", "2024-01-20"],
        "attendance_category": [1, 4, 2, 1],
    }), pseudonymise_key=KEY)
    gp = extracts.gp_appointments(pd.DataFrame({
        "person_id": [ALICE, ALICE, ALICE, BOB, BAD],
        "appointment_date": ["01/12/2023", "15/12/2023", "01/05/2024", "01/03/2024", "01/03/2024"],
        "appointment_mode": ["Face-to-Face", "Face-to-Face", "Telephone", "Home Visit", "Telephone"],
        "appointment_status": ["Attended", "DNA", "Attended", "Attended", "Attended"],
    }), date_format="%d/%m/%Y", pseudonymise_key=KEY)
    evaluation = socialrx.Evaluation(clients=service.clients, events=extracts.combine(apc, ae, gp).events,
                                     data_start="2023-01-01", data_end="2025-01-01")
    table = evaluation.utilisation(windows=6).set_index("kind")
    got = {kind: (int(row.pre), int(row.post)) for kind, row in table.iterrows() if row.pre or row.post}
    assert got == {
        "emergency_admission": (1, 1),  # Alice's 3-episode spell before; Bob's after (his maternity spell left out)
        "elective_admission": (0, 1),  # Alice's same-day spell
        "bed_days": (4, 10),  # 5 Nov - 1 Nov; 11 Apr - 1 Apr (and 0 for the same-day spell)
        "ae_attendance": (2, 1),  # Alice's first attendance and Bob's before; Alice's unplanned follow-up after
        "gp_surgery": (1, 0),  # the DNA is no consultation
        "gp_telephone": (0, 1),
        "gp_home_visit": (0, 1),
    }
    assert (table["clients"] == 2).all()


def test_a_path_is_read_by_the_same_format_rule_as_the_cli(tmp_path):
    expected = extracts.apc_spells(episodes())
    episodes().to_csv(tmp_path / "apc.csv.gz", index=False)
    pq.write_table(pa.Table.from_pandas(episodes(), preserve_index=False), tmp_path / "apc.pq")
    for source in (tmp_path / "apc.csv.gz", tmp_path / "apc.pq"):
        pd.testing.assert_frame_equal(extracts.apc_spells(source).events, expected.events)
    episodes().to_csv(tmp_path / "apc.txt", index=False)
    with pytest.raises(ValueError) as refused:
        extracts.apc_spells(tmp_path / "apc.txt")
    with pytest.raises(ValueError) as by_the_cli:
        read_by_the_cli(tmp_path / "apc.txt", "events")
    assert str(refused.value) == str(by_the_cli.value)
    assert "not a file socialrx reads" in str(refused.value)
