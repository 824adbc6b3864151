"""The command line: CSV files and a tariff in, headline figures and JSON out."""

from __future__ import annotations

import json

import pytest

from socialrx.cli import main

CLIENTS = """client_id,referral_date,index_date,practice
1,2022-03-01,2022-03-10,A
2,2022-05-20,2022-06-01,B
3,2022-06-01,,B
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
    assert figures["reach"] == {"referred": 3, "connected": 2}
    ae = next(r for r in figures["utilisation"] if r["kind"] == "ae_attendance")
    assert (ae["pre"], ae["post"], ae["pct_change"]) == (3, 0, -100.0)
    # 3 A&E avoided (42,000p) less 1 admission added (187,850p).
    assert figures["cost_avoidance_total_pence"] == {"12m": 3 * 14000 - 187850}
    assert figures["net_saving"]["net_pence"] == 3 * 14000 - 187850 - 10000
    assert figures["net_saving"]["patients"] == 2
    assert "Cost avoidance 12m: -£1,458.50" in capsys.readouterr().out


def test_evaluate_by_practice(files):
    out = files / "by.json"
    assert run(files, "--windows", "12", "--by", "practice", "--json", str(out)) == 0
    rows = json.loads(out.read_text())["cost_avoidance"]
    b = next(r for r in rows if r["practice"] == "B" and r["kind"] == "ae_attendance")
    assert (b["pre"], b["post"], b["avoided_pence"]) == (2, 0, 28000)


def test_help_documents_the_csv_columns(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = capsys.readouterr().out
    for column in ("client_id", "referral_date", "index_date", "person_id", "kind", "ae_attendance",
                   "referral_reasons", "timepoint"):
        assert column in text


def test_bad_input_exits_2_with_the_reason(files, capsys):
    (files / "events.csv").write_text(EVENTS + "7,2022-01-01,ae_attendance\n")
    assert run(files) == 2
    assert "events.person_id row 4: id 7 is in neither the clients nor the comparison table" in capsys.readouterr().err
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
