"""The command line: CSV files and a tariff in, headline figures and JSON out."""

from __future__ import annotations

import html
import json
import math
import re

import pandas as pd
import pytest

import socialrx
from socialrx.cli import main

CLIENTS = """client_id,referral_date,index_date,practice,locality
1,2022-03-01,2022-03-10,A,North
2,2022-05-20,2022-06-01,B,North
3,2022-06-01,,B,South
"""
EVENTS = """person_id,date,kind
1,2021-12-01,ae_attendance
1,2022-05-01,emergency_admission
2,2022-02-01,ae_attendance
2,2022-02-02,ae_attendance
"""
TARIFF = {"name": "cli", "price_year": "2023/24",
          "unit_costs": {"ae_attendance": {"pence": 14000, "source": "s"},
                         "emergency_admission": {"pence": 187850, "source": "s"}}}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "clients.csv").write_text(CLIENTS)
    (tmp_path / "events.csv").write_text(EVENTS)
    (tmp_path / "tariff.json").write_text(json.dumps(TARIFF))
    return tmp_path


def run(files, *extra):
    return main(["evaluate", "--clients", str(files / "clients.csv"), "--events", str(files / "events.csv"),
                 "--tariff", str(files / "tariff.json"), "--data-start", "2020-04-01",
                 "--data-end", "2024-03-31", *extra])


def test_evaluate_writes_the_figures_as_json(files, capsys):
    out = files / "out" / "figures.json"
    assert run(files, "--windows", "12", "--service-cost-pence", "10000", "--json", str(out)) == 0
    figures = json.loads(out.read_text())
    assert figures["reach"] == {"referred": 3, "connected": 2, "pct_connected": pytest.approx(200 / 3)}
    ae = next(r for r in figures["utilisation"] if r["kind"] == "ae_attendance")
    assert (ae["pre"], ae["post"], ae["pct_change"]) == (3, 0, -100.0)
    # 3 A&E avoided (42,000p) less 1 admission added (187,850p).
    assert figures["cost_avoidance_total_pence"] == {"12m": 3 * 14000 - 187850}
    assert figures["net_saving"]["net_pence"] == 3 * 14000 - 187850 - 10000
    assert figures["net_saving"]["patients"] == 2
    assert "Cost avoidance 12m: -£1,458.50" in capsys.readouterr().out


def test_evaluate_by_practice(files, capsys):
    out = files / "by.json"
    assert run(files, "--windows", "12", "--by", "practice", "--json", str(out)) == 0
    figures = json.loads(out.read_text())
    assert figures["groups"]["by"] == "practice"
    b = next(r for r in figures["groups"]["cost_avoidance"] if r["practice"] == "B" and r["kind"] == "ae_attendance")
    assert (b["pre"], b["post"], b["avoided_pence"]) == (2, 0, 28000)
    # The whole service's figures stay as they are without --by.
    assert all("practice" not in r for r in figures["utilisation"] + figures["cost_avoidance"])
    assert figures["cost_avoidance_total_pence"] == {"12m": 3 * 14000 - 187850}
    # Practice A: client 1 (A&E 1 -> 0, admission 0 -> 1); B: client 2 (A&E 2 -> 0); client 3 never connected.
    assert labelled_lines(capsys.readouterr().out, "practice") == {
        ("A", "ae_attendance"): "1 ->      0 (-100%, 1 clients)",
        ("A", "emergency_admission"): "0 ->      1 (n/a, 1 clients)",
        ("A", "cost avoidance"): "-£1,738.50",
        ("B", "ae_attendance"): "2 ->      0 (-100%, 1 clients)",
        ("B", "emergency_admission"): "0 ->      0 (n/a, 1 clients)",
        ("B", "cost avoidance"): "£280.00",
    }


def labelled_lines(text: str, by: str) -> dict[tuple[str, str], str]:
    """``<by> <group>: <kind> 12m: <figures>`` lines after the whole service's, by (group, kind);
    a line twice for one (group, kind) fails."""
    lines = text.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith(f"By {by}: "))
    assert any(line.strip().startswith("ae_attendance ") for line in lines[:heading])  # the whole service first
    found: dict[tuple[str, str], str] = {}
    for line in lines[heading + 1:]:
        labelled = re.fullmatch(rf"\s+{by} (\w+): (.+?)\s+12m: +(.+)", line)
        if labelled is None:
            assert re.fullmatch(rf"  {by} \w+", line), line  # a group's heading
            continue
        key = labelled.group(1), labelled.group(2)
        assert key not in found, line
        found[key] = labelled.group(3)
    return found


def test_evaluate_by_locality_labels_every_line(files, capsys):
    assert run(files, "--windows", "12", "--by", "locality") == 0
    # North: clients 1 and 2 (A&E 3 -> 0, admission 0 -> 1); South: client 3 only, never connected.
    assert labelled_lines(capsys.readouterr().out, "locality") == {
        ("North", "ae_attendance"): "3 ->      0 (-100%, 2 clients)",
        ("North", "emergency_admission"): "0 ->      1 (n/a, 2 clients)",
        ("North", "cost avoidance"): "-£1,458.50",
        ("South", "ae_attendance"): "0 ->      0 (n/a, 0 clients)",
        ("South", "emergency_admission"): "0 ->      0 (n/a, 0 clients)",
        ("South", "cost avoidance"): "£0.00",
    }


def test_help_documents_the_csv_columns(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = capsys.readouterr().out
    for column in ("client_id", "referral_date", "index_date", "person_id", "kind", "ae_attendance",
                   "referral_reasons", "timepoint"):
        assert column in text
    # The files it reads and how an error names a row.
    assert ".parquet" in text and "--date-format" in text
    assert "counted from its header (line 1), so the first data row is line 2" in " ".join(text.split())


def test_bad_input_exits_2_with_the_reason(files, capsys):
    (files / "events.csv").write_text(EVENTS + "7,2022-01-01,ae_attendance\n")
    assert run(files) == 2
    # The library's row 4 (counted from 0) is the CSV file's line 6: the header is line 1.
    assert (f"events.person_id in {files / 'events.csv'} line 6: id 7 is in neither the clients nor the "
            "comparison table") in capsys.readouterr().err
    assert main(["evaluate", "--clients", str(files / "missing.csv")]) == 2


def test_demo_evaluates_the_synthetic_service_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo.json"
    assert main(["demo", "--n-clients", "800", "--n-comparison", "800", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    for section in ("reach", "outcomes", "wellbeing", "support", "feedback", "utilisation", "exclusions",
                    "cost_avoidance", "net_saving"):
        assert section in figures, section
    assert len(figures["outcomes"]) == 7
    reach = figures["reach"]
    assert 0.65 < reach["connected"] / reach["referred"] < 0.79  # calibrated to 72%
    assert figures["net_saving"]["net_pence"] == (figures["net_saving"]["gross_pence"]
                                                  - figures["net_saving"]["service_cost_pence"])
    assert "Net saving (12m)" in capsys.readouterr().out


def test_score_writes_scores_reasons_and_a_case_list(tmp_path, capsys):
    (tmp_path / "patients.csv").write_text(
        "patient_id,age,sex,deprivation_decile,practice\n1,80,F,1,A\n2,50,M,9,A\n3,90,F,2,B\n")
    (tmp_path / "dx.csv").write_text("patient_id,code\n1,I50.9\n1,E11.2\n3,C78.0\n")
    (tmp_path / "events.csv").write_text(
        "person_id,date,kind\n1,2024-01-05,ae_attendance\n1,2024-02-05,ae_attendance\n"
        "3,2024-03-01,emergency_admission\n1,2024-06-01,ae_attendance\n")  # the as-of day: not counted
    common = ["score", "--model", "example", "--patients", str(tmp_path / "patients.csv"),
              "--diagnoses", str(tmp_path / "dx.csv"), "--events", str(tmp_path / "events.csv"),
              "--as-of", "2024-06-01"]
    assert main([*common, "--out", str(tmp_path / "scores.csv")]) == 0
    scores = pd.read_csv(tmp_path / "scores.csv").set_index("patient_id")
    # Charlson (Quan 2011): heart failure 2 + diabetes with complications 1; metastases 6.
    assert scores["charlson_score"].tolist() == [3, 0, 6]
    # Patient 1: -3.6 + age 75-84 0.85 + female -0.05 + most deprived 0.35 + 2 A&E x 0.28
    # + Charlson 3 x 0.22.
    eta = -3.6 + 0.85 - 0.05 + 0.35 + 2 * 0.28 + 3 * 0.22
    assert scores.loc[1, "score"] == pytest.approx(1 / (1 + math.exp(-eta)), rel=1e-12)
    assert scores.loc[1, "feature_1"] == "age_75_84"
    assert main([*common, "--case-list", "1", "--out", str(tmp_path / "cases.csv")]) == 0
    cases = pd.read_csv(tmp_path / "cases.csv")
    assert cases[["practice", "patient_id", "rank"]].values.tolist() == [["A", 1, 1], ["B", 3, 1]]
    assert "Scored 3 patients" in capsys.readouterr().err  # status on stderr, stdout kept for figures
    # The same events and as-of day written the UK way give the same scores with --date-format.
    uk = pd.read_csv(tmp_path / "events.csv")
    uk["date"] = pd.to_datetime(uk["date"]).dt.strftime("%d/%m/%Y")
    uk.to_csv(tmp_path / "uk.csv", index=False)
    uk_args = [*common[:-4], "--events", str(tmp_path / "uk.csv"), "--as-of", "01/06/2024", "--date-format", "%d/%m/%Y"]
    assert main([*uk_args, "--out", str(tmp_path / "uk_scores.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "uk_scores.csv"), pd.read_csv(tmp_path / "scores.csv"))
    # Without the format the UK dates are refused, and the message names the option to pass.
    assert main([*uk_args[:-2], "--out", str(tmp_path / "refused.csv")]) == 2
    err = capsys.readouterr().err
    assert "--date-format" in err and "date_format" not in err.replace("--date-format", ""), err


def test_version_and_python_m(capsys):
    import subprocess
    import sys

    import socialrx

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"socialrx {socialrx.__version__}"
    done = subprocess.run([sys.executable, "-m", "socialrx", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"socialrx {socialrx.__version__}"


def test_json_dash_writes_the_document_to_stdout(files, capsys):
    assert run(files, "--windows", "12", "--json", "-") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["reach"] == {"referred": 3, "connected": 2, "pct_connected": pytest.approx(200 / 3)}
    assert not (files / "-").exists()


def test_unwritable_json_is_one_line_on_stderr_and_exit_2(files, capsys):
    (files / "taken").write_text("a file, not a folder")
    assert run(files, "--json", str(files / "taken" / "figures.json")) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("socialrx: [Errno 17] File exists")


def test_demo_json_carries_naive_matched_and_true_effect(tmp_path, capsys):
    out = tmp_path / "demo.json"
    assert main(["demo", "--n-clients", "1500", "--n-comparison", "15000", "--bootstrap", "200",
                 "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["schema"] == "socialrx.headline/1"
    assert figures["true_effect"]["pct_change"] == -10.0
    assert figures["tariff"]["illustrative"] is True
    assert figures["matching"]["bootstrap_replicates"] == 200

    def row(method, figure, kind="all_priced_kinds", window="12m"):
        return next(e for e in figures["effects"] if (e["window"], e["kind"], e["figure"], e["method"])
                    == (window, kind, figure, method))

    naive, did = row("before_after", "cost_avoided_pence"), row("did", "cost_avoided_pence")
    assert naive["population"] == "included clients" and did["population"] == "matched clients"
    # Matched sets whose data cover the 12-month window: fewer than the included clients.
    assert did["clients"] <= figures["matching"]["matched_clients"]
    assert did["clients"] < naive["clients"]
    assert naive["value"] == figures["cost_avoidance_total_pence"]["12m"]
    assert did["ci_low"] < did["value"] < did["ci_high"]
    # The net saving per patient: the money DiD per matched client less the service cost per
    # included patient, each bound of its interval likewise.
    per_patient = row("did", "net_saving_per_patient_pence")
    patients = figures["net_saving"]["patients"]
    service = figures["net_saving"]["service_cost_pence"]
    expected = did["value"] / did["clients"] - service / patients
    assert abs(per_patient["value"] - expected) <= 1
    assert per_patient["ci_low"] < per_patient["value"] < per_patient["ci_high"]
    extrapolated = row("did_extrapolated", "net_saving_pence")
    assert extrapolated["clients"] == patients
    # The matched DiD recovers the true 10% fall in GP surgery use; the naive figure overstates it.
    gp = row("did", "pct_change", kind="gp_surgery")
    assert gp["ci_low"] < -10.0 < gp["ci_high"]
    assert row("before_after", "pct_change", kind="gp_surgery")["value"] < gp["ci_low"]
    text = capsys.readouterr().out
    assert "matched DiD" in text and "95% CI" in text and "True effect of the synthetic service: -10%" in text


def test_evaluate_without_a_pool_says_before_after_on_stderr(files, capsys):
    assert run(files, "--windows", "12") == 0
    captured = capsys.readouterr()
    assert "before/after (not an effect estimate)" in captured.err
    assert "[before/after (not an effect estimate)]" in captured.out


def test_demo_report_shows_the_same_matched_figures_as_its_json(tmp_path, capsys):
    """The demo's report renders the headline's own match and DiD, so its key figures carry the
    JSON's matched cost avoidance and net saving per patient, interval and all, to the penny."""
    out, report = tmp_path / "demo.json", tmp_path / "demo.html"
    assert main(["demo", "--n-clients", "600", "--n-comparison", "6000", "--bootstrap", "50", "--seed", "3",
                 "--json", str(out), "--report", str(report)]) == 0
    figures = json.loads(out.read_text())
    page = html.unescape(report.read_text())

    def pounds(pence: int) -> str:
        return socialrx._core.format_pounds(pence).replace("-", "\u2212")

    for figure in ("cost_avoided_pence", "net_saving_per_patient_pence"):
        row = next(e for e in figures["effects"] if (e["window"], e["figure"], e["method"]) == ("12m", figure, "did"))
        shown = f"matched DiD {pounds(row['value'])} (95% CI {pounds(row['ci_low'])} to {pounds(row['ci_high'])})"
        assert shown in page, figure


def csv_to(files, name: str, suffix: str) -> str:
    """The CSV table ``name`` written again as ``name<suffix>`` (Parquet, or gzipped CSV)."""
    frame = pd.read_csv(files / f"{name}.csv", dtype={"index_date": "string"})
    path = files / f"{name}{suffix}"
    if suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:  # pandas gzips a .csv.gz
        frame.to_csv(path, index=False)
    return str(path)


def figures_of(files, *tables: str) -> dict:
    """The JSON figures of ``evaluate`` over clients and events given as ``tables`` (paths)."""
    out = files / "figures.json"
    clients, events = tables
    assert main(["evaluate", "--clients", clients, "--events", events, "--tariff", str(files / "tariff.json"),
                 "--data-start", "2020-04-01", "--data-end", "2024-03-31", "--windows", "12",
                 "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_parquet_and_gzipped_csv_tables_give_the_csv_figures(files):
    from_csv = figures_of(files, str(files / "clients.csv"), str(files / "events.csv"))
    # The hand-worked figures of test_evaluate_writes_the_figures_as_json.
    assert from_csv["cost_avoidance_total_pence"] == {"12m": 3 * 14000 - 187850}
    assert figures_of(files, csv_to(files, "clients", ".parquet"), csv_to(files, "events", ".parquet")) == from_csv
    assert figures_of(files, csv_to(files, "clients", ".csv.gz"), csv_to(files, "events", ".pq")) == from_csv


def test_a_file_of_another_kind_is_refused_by_name(files, capsys):
    (files / "events.txt").write_text(EVENTS)
    assert main(["evaluate", "--clients", str(files / "clients.csv"), "--events", str(files / "events.txt")]) == 2
    err = capsys.readouterr().err
    assert err == (f"socialrx: {files / 'events.txt'}: not a file socialrx reads; name a CSV (.csv, .csv.gz) "
                   "or Parquet (.parquet, .pq) file\n")


UK_CLIENTS = """client_id,referral_date,index_date,practice,locality
1,01/03/2022,10/03/2022,A,North
2,20/05/2022,01/06/2022,B,North
3,01/06/2022,,B,South
"""
UK_EVENTS = """person_id,date,kind
1,01/12/2021,ae_attendance
1,01/05/2022,emergency_admission
2,01/02/2022,ae_attendance
2,02/02/2022,ae_attendance
"""


def test_uk_dates_without_a_format_name_the_file_column_and_line(files, capsys):
    # An ISO first row, a blank line (which the reader skips), then a UK date on line 4.
    (files / "events.csv").write_text("person_id,date,kind\n1,2021-12-01,ae_attendance\n\n"
                                      "1,01/05/2022,emergency_admission\n")
    assert run(files) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"socialrx: events.date in {files / 'events.csv'} line 4: '01/05/2022' is not a date")
    assert "%d/%m/%Y" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_date_format_reads_uk_dates_and_data_range_as_the_iso_ones(files):
    iso = figures_of(files, str(files / "clients.csv"), str(files / "events.csv"))
    (files / "clients_uk.csv").write_text(UK_CLIENTS)
    (files / "events_uk.csv").write_text(UK_EVENTS)
    out = files / "uk.json"
    # 01/04/2020 is 1 April 2020 under the format, never 4 January.
    assert main(["evaluate", "--clients", str(files / "clients_uk.csv"), "--events", str(files / "events_uk.csv"),
                 "--tariff", str(files / "tariff.json"), "--date-format", "%d/%m/%Y", "--data-start", "01/04/2020",
                 "--data-end", "31/03/2024", "--windows", "12", "--json", str(out)]) == 0
    uk = json.loads(out.read_text())
    assert uk["data"] == {"start": "2020-04-01", "end": "2024-03-31"}
    assert uk == iso


def test_a_bad_id_and_a_short_row_name_their_lines(files, capsys):
    (files / "events.csv").write_text(EVENTS + "2.5,2022-01-01,ae_attendance\n")  # data row 4: line 6
    assert run(files) == 2
    assert f"events.person_id in {files / 'events.csv'} line 6: id" in capsys.readouterr().err
    (files / "events.csv").write_text(EVENTS + "2,2022-01-01\n")
    assert run(files) == 2
    assert capsys.readouterr().err == f"socialrx: {files / 'events.csv'} line 6: 2 values where the header has 3\n"


CHECKED_CLIENTS = """client_id,referral_date,index_date,practice,status
1,2022-03-01,2022-03-10,A,connected
2,2022-05-20,2022-06-01,,connected
3,2022-06-01,,,refered
4,2022-07-01,,B,declined
"""
CHECKED_EVENTS = """person_id,date,kind
1,2021-12-01,ae_attendance
1,2022-05-01,gp_surgery
100,2022-05-01,gp_surgery
9,2022-02-02,ae_attendance
9,2024-05-02,ae_attendance
8,2019-01-02,outpatient
"""
CHECKED_COMPARISON = """patient_id,practice
100,A
100,A
101,
"""


def test_check_reports_missing_values_repeats_and_unlinked_events(tmp_path, capsys):
    for name, text in (("clients", CHECKED_CLIENTS), ("events", CHECKED_EVENTS), ("comparison", CHECKED_COMPARISON)):
        (tmp_path / f"{name}.csv").write_text(text)
    out = tmp_path / "quality.json"
    assert main(["check", "--clients", str(tmp_path / "clients.csv"), "--events", str(tmp_path / "events.csv"),
                 "--comparison", str(tmp_path / "comparison.csv"), "--data-start", "2020-04-01",
                 "--data-end", "2024-03-31", "--json", str(out)]) == 0
    profile = json.loads(out.read_text())
    columns = {(c["table"], c["column"]): c for c in profile["columns"]}
    assert columns["clients", "index_date"]["missing"] == 2
    assert columns["clients", "practice"]["missing"] == 2
    assert (columns["clients", "status"]["unknown"], columns["clients", "status"]["unknown_codes"]) == (1, "refered")
    assert columns["comparison", "patient_id"]["repeated"] == 1
    assert columns["comparison", "practice"]["missing"] == 1
    assert (columns["events", "date"]["first"], columns["events", "date"]["last"]) == ("2019-01-02", "2024-05-02")
    checks = {(c["table"], c["check"]): (c["count"], c["of"]) for c in profile["checks"]}
    assert checks == {
        ("clients", "with_any_event"): (1, 4),
        ("comparison", "with_any_event"): (1, 2),  # patient 100, counted once; 101 has none
        ("comparison", "also_a_client"): (0, 2),
        ("events", "of_clients"): (2, 6),
        ("events", "of_comparison_patients"): (1, 6),
        ("events", "of_no_known_person"): (3, 6),  # persons 9 and 8
        ("events", "before_data_start"): (1, 6),
        ("events", "after_data_end"): (1, 6),
    }
    text = capsys.readouterr().out
    assert "of no known person: 3 of 6" in text and "refered" in text


def test_tables_are_read_typed_and_events_only_in_the_columns_used(tmp_path):
    from socialrx._tables import read_table

    (tmp_path / "events.csv").write_text("source,person_id,date,kind\nED,1,2021-12-01,ae_attendance\n"
                                         "GP,2,2022-02-01,gp_surgery\n")
    events = read_table(tmp_path / "events.csv", "events")
    assert list(events.columns) == ["person_id", "date", "kind"]  # 'source' is not read
    assert events["person_id"].dtype == "int64" and isinstance(events["kind"].dtype, pd.CategoricalDtype)
    assert list(events["date"]) == [pd.Timestamp("2021-12-01"), pd.Timestamp("2022-02-01")]
    # A date column that is not all ISO stays text, for the evaluation's date rule to read.
    (tmp_path / "uk.csv").write_text("person_id,date,kind\n1,2021-12-01,ae_attendance\n2,01/02/2022,gp_surgery\n")
    assert list(read_table(tmp_path / "uk.csv", "events")["date"]) == ["2021-12-01", "01/02/2022"]
    # With a format named, every date column stays text.
    assert list(read_table(tmp_path / "events.csv", "events", date_format="%d/%m/%Y")["date"]) == [
        "2021-12-01", "2022-02-01"]


def test_a_data_range_in_another_format_needs_date_format(files, capsys):
    """01/04/2020 is refused without a format, never read as 4 January."""
    assert main(["evaluate", "--clients", str(files / "clients.csv"), "--events", str(files / "events.csv"),
                 "--data-start", "01/04/2020"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("socialrx: data_start: '01/04/2020' is not a date") and len(err.splitlines()) == 1


@pytest.mark.parametrize(("setting", "advice_after"), [(None, False), ("1", True)])
def test_the_command_line_turns_off_huge_page_advice_unless_the_user_set_it(monkeypatch, setting, advice_after):
    from numpy._core import multiarray

    if setting is None:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    else:
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", setting)
    before = multiarray._set_madvise_hugepage(True)
    try:
        with pytest.raises(SystemExit):
            main(["--version"])
        assert multiarray._set_madvise_hugepage(before) is advice_after
    finally:
        multiarray._set_madvise_hugepage(before)
