"""Reading input right, or refusing it: dates, ids, money, codes, event counts and text, each
on a table small enough to work out by hand."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx._codes import sexes, snomed_ids
from socialrx._columns import as_day, as_days, as_ids, pounds_as_pence

TARIFF = {"name": "hand", "price_year": "2023/24",
          "unit_costs": {"emergency_admission": {"pence": 187850, "source": "hand admission"}}}
RANGE = {"data_start": "2021-01-01", "data_end": "2023-12-31"}


def clients(**columns: list) -> pd.DataFrame:
    # Client 1 connects on 2022-03-10, client 2 on 2022-06-01; both windows are in the data.
    return pd.DataFrame({"client_id": [1, 2], "referral_date": ["2022-03-01", "2022-05-20"],
                         "index_date": ["2022-03-10", "2022-06-01"], **columns})


def events(dates: list[str], **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"person_id": [1, 1, 2, 2][: len(dates)], "date": dates,
                         "kind": ["emergency_admission"] * len(dates), **columns})


ISO = ["2022-01-05", "2022-04-13", "2022-02-01", "2022-07-12"]  # pre, post, pre, post
UK = ["05/01/2022", "13/04/2022", "01/02/2022", "12/07/2022"]


def day(iso: str) -> int:
    return int((np.datetime64(iso, "D") - np.datetime64("1970-01-01", "D")).astype(int))


# ------------------------------------------------------------------------------ dates
def test_a_uk_date_without_date_format_is_refused_naming_table_column_row_and_option() -> None:
    with pytest.raises(ValueError, match=r"events\.date row 0: '05/01/2022' is not a date .*date_format"):
        socialrx.Evaluation(clients=clients(), events=events(UK), **RANGE)


def test_uk_dates_with_their_format_count_exactly_as_the_iso_dates() -> None:
    iso = socialrx.Evaluation(clients=clients(), events=events(ISO), **RANGE).utilisation()
    uk = socialrx.Evaluation(clients=clients(), events=events(UK), date_format="%d/%m/%Y",
                             data_start="01/01/2021", data_end="31/12/2023").utilisation()
    pd.testing.assert_frame_equal(uk, iso)
    assert list(iso["pre"]) == [2, 2] and list(iso["post"]) == [2, 2]


def test_data_start_is_read_by_the_same_rule() -> None:
    with pytest.raises(ValueError, match=r"data_start: '01/04/2019' is not a date .*date_format"):
        as_day("01/04/2019", "data_start")
    assert as_day("01/04/2019", "data_start", "%d/%m/%Y") == day("2019-04-01")  # April, not January
    assert as_day("2019-04-01", "data_start") == day("2019-04-01")


def test_integer_dates_are_refused_unless_their_format_is_named() -> None:
    with pytest.raises(ValueError, match=r"events\.date row 0: 20220105 is a number, not a date"):
        as_days(pd.Series([20220105]), "events", "date", required=True)
    read = as_days(pd.Series([20220105, 20240229]), "events", "date", required=True, date_format="%Y%m%d")
    assert list(read) == [day("2022-01-05"), day("2024-02-29")]
    with pytest.raises(ValueError, match=r"events\.date row 1: 20230229 is not a date in the format '%Y%m%d'"):
        as_days(pd.Series([20220105, 20230229]), "events", "date", required=True, date_format="%Y%m%d")


def test_excel_serials_follow_the_1900_date_system_with_its_fictitious_leap_day() -> None:
    serials = pd.Series([1, 59, 61, 44566, 44566.75])
    assert list(as_days(serials, "events", "date", required=True, date_format="excel")) == [
        day("1900-01-01"), day("1900-02-28"), day("1900-03-01"), day("2022-01-05"), day("2022-01-05")]
    with pytest.raises(ValueError, match=r"events\.date row 0: 60 is not a date .*fictitious 1900-02-29"):
        as_days(pd.Series([60]), "events", "date", required=True, date_format="excel")


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("date_format", ["excel", "%Y%m%d"])
def test_a_number_beyond_int64_as_a_date_is_an_error_without_a_warning(date_format: str) -> None:
    with pytest.raises(ValueError, match=r"events\.date row 1: 1e\+300 is not a date in the format"):
        as_days(pd.Series([20190401.0, 1e300]), "events", "date", required=True, date_format=date_format)


def test_dates_outside_1900_to_2100_are_errors_and_nothing_wraps() -> None:
    far = pd.Series(np.array(["2022-01-05", "5000000-01-01"], "datetime64[s]"))
    with pytest.raises(ValueError, match=r"events\.date row 1: .* is outside the dates read, 1900-01-01\.\.2100-12-31"):
        as_days(far, "events", "date", required=True)
    with pytest.raises(ValueError, match=r"clients\.index_date row 0: '1899-12-31T00:00:00' is outside"):
        as_days(pd.Series(pd.to_datetime(["1899-12-31"])), "clients", "index_date", required=False)
    frame = events(ISO)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[s]")
    frame.loc[3, "date"] = np.datetime64("2200-01-01", "s")
    with pytest.raises(ValueError, match=r"events\.date row 3: '2200-01-01T00:00:00' is outside"):
        socialrx.Evaluation(clients=clients(), events=frame, **RANGE).utilisation()


def test_python_dates_as_pandas_reads_parquet_dates_are_days_by_the_same_rule(tmp_path) -> None:
    # pandas reads a Parquet date column as Python dates; a gap is missing, a far one an error.
    written = pd.DataFrame({"date": pd.to_datetime(["2022-01-05", None, "2100-12-31"]).date})
    written.to_parquet(tmp_path / "dates.parquet")
    dates = pd.read_parquet(tmp_path / "dates.parquet")["date"]
    assert dates.dtype == object
    days = as_days(dates, "events", "date", required=False)
    assert days.tolist() == [day("2022-01-05"), -2**31, day("2100-12-31")]
    with pytest.raises(ValueError, match=r"events\.date row 1: missing date"):
        as_days(dates, "events", "date", required=True)
    with pytest.raises(ValueError, match=r"events\.date row 1: '2101-01-01T00:00:00' is outside the dates read"):
        as_days(pd.Series([datetime.date(2022, 1, 5), datetime.date(2101, 1, 1)]), "events", "date", required=True)
    # Dates with a datetime or text among them are read by the general rules, the time dropped.
    mixed = pd.Series([datetime.date(2022, 1, 5), datetime.datetime(2022, 1, 6, 23, 59), "2022-01-07"])
    assert as_days(mixed, "events", "date", required=True).tolist() == [day("2022-01-05"), day("2022-01-06"),
                                                                        day("2022-01-07")]


# ------------------------------------------------------------------------------ ids
@pytest.mark.parametrize(("ids", "problem"), [
    (pd.Series([1, None], dtype="Int64"), r"row 1: missing id"),
    (pd.Series([1.0, 1e19]), r"row 1: id 1e\+19 is too large to be exact as a float"),
    (pd.Series([1.0, 2.5]), r"row 1: id 2.5 is not a whole number"),
    (pd.Series(np.array([1, 2**63], np.uint64)), r"row 1: id 9223372036854775808 is beyond the int64 range"),
    (pd.Series(["1", "9223372036854775808"]), r"row 1: id '9223372036854775808' is beyond the int64 range"),
    (pd.Series([True, False]), r"row 0: id True is true/false"),
])
def test_ids_that_are_not_exact_int64_are_errors(ids: pd.Series, problem: str) -> None:
    with pytest.raises(ValueError, match=r"clients\.client_id " + problem):
        as_ids(ids, "clients", "client_id")


def test_digit_string_ids_beyond_2_to_the_53_stay_distinct() -> None:
    people = clients()
    people["client_id"] = ["9007199254740993", "9007199254740992"]
    ev = socialrx.Evaluation(clients=people)
    assert list(ev.client_columns["client_id"]) == [9007199254740993, 9007199254740992]


def test_engine_errors_name_the_users_own_id_column() -> None:
    frame = events(ISO).rename(columns={"person_id": "client_id"})
    frame.loc[2, "client_id"] = 7
    with pytest.raises(ValueError, match=r"events\.client_id row 2: id 7 is in neither"):
        socialrx.Evaluation(clients=clients(), events=frame, **RANGE).utilisation()


# ------------------------------------------------------------------------------ money
def test_pounds_are_read_exactly_to_whole_pence() -> None:
    pence, missing = pounds_as_pence(pd.Series(["£1,234.56", "1234.5", "1,234", None, 0.1]), "t", "cost_pounds")
    assert list(pence) == [123456, 123450, 123400, 0, 10] and list(missing) == [False, False, False, True, False]
    with pytest.raises(ValueError, match=r"interventions\.cost_pounds row 1: '1.234' is not a whole number of pence"):
        pounds_as_pence(pd.Series(["1.00", "1.234"]), "interventions", "cost_pounds")


def interventions(**columns: list) -> pd.DataFrame:
    return pd.DataFrame({"client_id": [1, 2], "date": ["2022-03-20", "2022-06-10"],
                         "kind": ["personal_health_budget"] * 2, "sector": [None, None], **columns})


def test_spend_from_cost_pounds_is_exact_pence() -> None:
    ev = socialrx.Evaluation(clients=clients(), interventions=interventions(cost_pounds=["£1,234.56", "£0.44"]))
    spend = ev.spend().set_index("kind").loc["personal_health_budget"]
    assert spend["pence"] == 123500 and "cost" not in spend.index


def test_spend_without_a_cost_column_is_not_recorded_rather_than_zero() -> None:
    ev = socialrx.Evaluation(clients=clients(), interventions=interventions())
    spend = ev.spend()
    assert spend["pence"].isna().all() and (spend["cost"] == "not recorded").all()
    support = ev.support().set_index("measure")["value"]
    assert np.isnan(support["spend_pence"]) and np.isnan(support["phb_pence"])
    with pytest.raises(ValueError, match=r"interventions: no cost_pence or cost_pounds column"):
        ev.phb_breaches()


# ------------------------------------------------------------------------------ codes
def test_practice_codes_are_normalised_and_the_normalisation_reported() -> None:
    ev = socialrx.Evaluation(clients=clients(practice=["p81001 ", "P81001"], sex=["1", "female"]))
    reach = ev.reach(by="practice")
    assert list(reach["practice"]) == ["P81001"] and list(reach["referred"]) == [2]
    changed = ev.normalisation.set_index(["table", "column"])["changed"]
    assert changed[("clients", "practice")] == 1 and changed[("clients", "sex")] == 1
    assert list(ev.clients["sex"]) == ["male", "female"]


def test_sex_codes_of_the_nhs_data_dictionary() -> None:
    read, changed = sexes(pd.Series(["1", "2", "9", "0", "M", "Female"]), "clients")
    assert list(read) == ["male", "female", "not specified", "not known", "male", "female"] and changed == 6
    with pytest.raises(ValueError, match=r"clients\.sex row 1: 'yes' is not a sex"):
        sexes(pd.Series(["male", "yes"]), "clients")


def test_snomed_ct_ids_stay_exact() -> None:
    codes = snomed_ids(pd.Series(["871731000000106", 871711000000103]), "records", "code")
    assert list(codes) == [871731000000106, 871711000000103]
    with pytest.raises(ValueError, match=r"records\.code row 0: '12' is not a SNOMED CT id"):
        snomed_ids(pd.Series(["12"]), "records", "code")


# ------------------------------------------------------------------------------ event counts
def test_an_events_count_counts_in_utilisation_and_cost() -> None:
    # Client 1's pre admission is a spell of 3 bed days; client 2's pre row has count 0.
    ev = socialrx.Evaluation(clients=clients(), events=events(ISO, count=[3, 1, 0, 1]), tariff=TARIFF, **RANGE)
    use = ev.utilisation(windows=6).iloc[0]
    assert (use["pre"], use["post"]) == (3, 2)
    cost = ev.cost_avoidance(windows=6).iloc[0]
    assert cost["avoided_pence"] == (3 - 2) * 187850
    excluded = ev.exclusions(windows=6).set_index("reason")["count"]
    assert excluded["rows_of_count_0"] == 1
    assert len(ev.event_columns["person_id"]) == 5


@pytest.mark.parametrize("count", [-1, 1.5])
def test_a_negative_or_fractional_count_is_an_error_naming_the_row(count: float) -> None:
    with pytest.raises(ValueError, match=r"events\.count row 2"):
        socialrx.Evaluation(clients=clients(), events=events(ISO, count=[1, 1, count, 1]), **RANGE)


# ------------------------------------------------------------------------------ text
def test_labels_that_are_not_utf8_are_errors_naming_table_column_and_row() -> None:
    with pytest.raises(ValueError, match=r"clients\.practice row 1: b'\\xa3HQ' is not UTF-8 text"):
        socialrx.Evaluation(clients=clients(practice=pd.Series([b"P81001", b"\xa3HQ"], dtype=object)))


def test_answers_that_are_not_utf8_are_errors_naming_table_column_and_row() -> None:
    feedback = pd.DataFrame({"stars": [5, 4], "impact": [b"some", b"\xe9norme"], "connected_to_services": ["yes"] * 2})
    with pytest.raises(ValueError, match=r"feedback\.impact row 1: .* is not UTF-8 text"):
        socialrx.feedback_summary(feedback)


def test_the_date_format_reads_every_table_of_the_evaluation() -> None:
    uk_clients = clients()
    uk_clients["referral_date"] = ["01/03/2022", "20/05/2022"]
    uk_clients["index_date"] = ["10/03/2022", "01/06/2022"]
    given = interventions(cost_pence=[100, 200])
    given["date"] = ["20/03/2022", "10/06/2022"]
    with pytest.raises(ValueError, match=r"clients\.referral_date row 0: '01/03/2022' is not a date"):
        socialrx.Evaluation(clients=uk_clients, interventions=given)
    ev = socialrx.Evaluation(clients=uk_clients, interventions=given, date_format="%d/%m/%Y")
    assert list(ev.client_columns["index_date"]) == [day("2022-03-10"), day("2022-06-01")]
    assert ev.spend().set_index("kind").loc["personal_health_budget", "pence"] == 300


def test_a_column_name_given_twice_is_refused_by_name():
    """A table with two columns of one name: frame[name] is then a table, not a column."""
    clients = pd.DataFrame([[1, "2022-01-01", "2022-01-02", 1]],
                           columns=["client_id", "referral_date", "index_date", "client_id"])
    with pytest.raises(ValueError, match=r"^clients\.client_id: the column name appears more than once$"):
        socialrx.Evaluation(clients=clients)
