"""Command line: ``socialrx evaluate``, ``report``, ``check``, ``score`` and ``demo``."""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._columns import as_datetimes, as_day
from ._tables import CSV_SUFFIXES, PARQUET_SUFFIXES, ROW_CONVENTION, TableFiles
from ._version import __version__
from .evaluation import Evaluation
from .quality import DataQuality, data_quality
from .report import DEFAULT_TITLE, write_report
from .risk import case_list
from .risk.scoring import score_patients
from .summary import BEFORE_AFTER, Headline, headline
from .synthetic import synthetic
from .tariff import load_tariff

FILE_FORMATS = f"""\
Tables are CSV ({', '.join(CSV_SUFFIXES)}: one header row, an empty cell is a missing value)
or Parquet ({', '.join(PARQUET_SUFFIXES)}) files, told apart by their names.
{textwrap.fill(ROW_CONVENTION + " An error about a row names its file and line.", 90)}
"""
TABLE_FILES = FILE_FORMATS + """\
Dates are ISO (YYYY-MM-DD) unless --date-format names another format, e.g. %d/%m/%Y.

clients (one row per referred person)
  client_id        whole number, unique
  referral_date    date referred
  index_date       date support started; empty if the client never connected
  discharge_date   optional
  practice, locality, referral_source, sex, status    optional labels
  referral_reasons optional, ';'-separated (isolation;depression_anxiety)
  birth_year or age                                    optional, for age bands

events (one row per use of a health service)
  person_id        a client_id, or a patient_id of the comparison table
  date             date of the attendance, admission, call or appointment
  kind             ae_attendance, emergency_admission, elective_admission, bed_days,
                   gp_surgery, gp_telephone, gp_home_visit, ambulance_callout,
                   nhs111_call, outpatient
  count            optional: the uses the row stands for (default 1), e.g. a spell's bed days

assessments (optional; one rating of one item at one time point)
  client_id, date, timepoint (baseline/review/final), instrument (dudley7, swemwbs,
  ons4), item (dudley7: <domain>.<indicator>, e.g. finance.enough_money), value

comparison (optional; non-referred patients whose events are in the events table)
  patient_id

funding (optional; one row per grant or contract that paid for the service)
  funder, start, end (first and last day paid for), pence (or pounds, "£120,000");
  without --service-cost-pence, the service cost is the funding's total

tariff JSON: {"name": ..., "price_year": "2023/24",
              "unit_costs": {"ae_attendance": {"pence": 14000, "source": ...}, ...},
              "uprating": {"source": ..., "index": {"2023/24": 100.0, ...}}}
  or 'example' for the illustrative tariff built into socialrx (not a published price).
"""


def _windows(values: Sequence[str]) -> list[float | str]:
    return [v if v.endswith("d") else float(v) for v in values]


def _status(message: str) -> None:
    """Progress and file notes go to stderr; stdout carries figures alone."""
    print(message, file=sys.stderr)


def _emit(figures: Headline | DataQuality, json_path: str | None) -> None:
    """The figures as text on stdout, and as JSON to a file (``-``: stdout, instead of the text)."""
    if json_path == "-":
        sys.stdout.write(figures.to_json())
        return
    print(figures.summary())
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(figures.to_json(), encoding="utf-8")
        _status(f"Figures written to {json_path}")


def add_table_arguments(parser: argparse.ArgumentParser) -> None:
    """The options naming a service's tables, the format of their dates and the data range."""
    parser.add_argument("--clients", required=True, help="clients table (.csv, .csv.gz, .parquet, .pq)")
    parser.add_argument("--events", help="events table")
    parser.add_argument("--assessments", help="assessments table")
    parser.add_argument("--interventions", help="interventions table")
    parser.add_argument("--feedback", help="feedback table")
    parser.add_argument("--comparison", help="comparison table")
    parser.add_argument("--funding", help="funding table (funder, start, end, pence)")
    parser.add_argument("--date-format", help="the format of the tables' text dates and of --data-start/--data-end "
                        "when not ISO (YYYY-MM-DD), e.g. %%d/%%m/%%Y")
    parser.add_argument("--data-start", help="first day the event data cover (default: first event)")
    parser.add_argument("--data-end", help="last day the event data cover (default: last event)")
    parser.add_argument("--threads", type=int, default=0, help="engine threads (0: all)")


def add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the figures: tariff, windows and the service's cost."""
    parser.add_argument("--tariff", help="tariff JSON file, or 'example'")
    parser.add_argument("--price-year", help="reprice the tariff to this year, e.g. 2024/25")
    parser.add_argument("--windows", nargs="+", default=["6", "12"],
                        help="windows in months (6 12) or days (183d); default 6 12")
    parser.add_argument("--service-cost-pence", type=int, help="the service's cost, for the net saving")


def evaluation_from_args(args: argparse.Namespace) -> Evaluation:
    """The Evaluation of the tables named by ``add_table_arguments``' options, with the tariff
    of ``add_analysis_arguments``' where the command has them."""
    tariff = getattr(args, "tariff", None)

    def read(table: str) -> pd.DataFrame | None:
        return args.files.read(getattr(args, table), table, date_format=args.date_format)

    return Evaluation(
        clients=read("clients"),
        events=read("events"),
        assessments=read("assessments"),
        interventions=read("interventions"),
        feedback=read("feedback"),
        comparison=read("comparison"),
        funding=read("funding"),
        tariff=None if tariff is None else load_tariff(tariff, price_year=args.price_year),
        data_start=args.data_start,
        data_end=args.data_end,
        date_format=args.date_format,
        threads=args.threads,
    )


def evaluate(args: argparse.Namespace) -> None:
    ev = evaluation_from_args(args)
    windows = _windows(args.windows)
    if ev.comparison is None:
        _status(f"socialrx: no --comparison pool, so every figure is a {BEFORE_AFTER}")
    _emit(headline(ev, windows=windows, by=args.by, service_cost_pence=args.service_cost_pence,
                   bootstrap=args.bootstrap, seed=args.seed), args.json)



def demo(args: argparse.Namespace) -> None:
    data = synthetic(n_clients=args.n_clients, n_comparison=args.n_comparison, seed=args.seed,
                     true_effect=args.true_effect, access_gap=args.access_gap)
    ev = Evaluation(clients=data.clients, events=data.events, assessments=data.assessments,
                    interventions=data.interventions, feedback=data.feedback, comparison=data.comparison,
                    tariff="example", data_start=data.data_start, data_end=data.data_end, funding=data.funding,
                    surveys=data.surveys, meetings=data.meetings)
    _status(f"Synthetic service: seed {args.seed}, true effect {args.true_effect:.0%} fewer events "
            "(the naive before/after below also holds regression to the mean)")
    figures = headline(ev, windows=(6, 12), service_cost_pence=args.service_cost_pence,
                       bootstrap=args.bootstrap, seed=args.seed, true_effect=args.true_effect)
    _emit(figures, args.json)
    if args.report:  # the headline's own match and DiD, so the report shows the same figures
        ev.report(args.report, service_cost_pence=args.service_cost_pence, bootstrap=args.bootstrap,
                  seed=args.seed, match=figures.match, did=figures.did, population=data.population)
        _status(f"Report written to {args.report}")


def add_report_parser(subparsers: Any) -> argparse.ArgumentParser:
    """``socialrx report``: the table files in, the HTML report out."""
    parser = subparsers.add_parser(
        "report", help="write the evaluation report (one HTML file) from table files",
        description="Evaluate a service from table files and write the report: one self-contained HTML file.",
        epilog=TABLE_FILES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_table_arguments(parser)
    add_analysis_arguments(parser)
    parser.add_argument("--by-period", choices=["none", "side_by_side", "separate"], default="none",
                        help="one report (none), plus each financial year side by side, or one report per year")
    parser.add_argument("--no-match", action="store_true", help="leave the matched comparison out")
    parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--title", default=DEFAULT_TITLE)
    parser.add_argument("--out", required=True, help="the HTML file to write")
    parser.set_defaults(handler=report_command)
    return parser


def report_command(args: argparse.Namespace) -> None:
    ev = evaluation_from_args(args)
    by_period = False if args.by_period == "none" else args.by_period  # side_by_side or separate
    written = write_report(ev, args.out, windows=_windows(args.windows), by_period=by_period,
                           service_cost_pence=args.service_cost_pence, match=False if args.no_match else None,
                           bootstrap=args.bootstrap, seed=args.seed, title=args.title)
    for path in written if isinstance(written, list) else [written]:
        _status(f"Report written to {path}")


SCORE_COLUMNS = FILE_FORMATS + """\

patients: patient_id and every column the model names (e.g. age, sex,
  deprivation_decile, practice). diagnoses: patient_id, code (ICD-10, any punctuation);
  the charlson_score, elixhauser_score and hfrs_score columns a model names are computed
  from it. events: person_id, date (ISO), kind (as for evaluate), counted in each feature's
  look-back window before --as-of.
"""


def check(args: argparse.Namespace) -> None:
    _emit(data_quality(evaluation_from_args(args)), args.json)


def score(args: argparse.Namespace) -> None:
    files = args.files
    events = files.read(args.events, "events", date_format=args.date_format)
    if events is not None and "date" in events:
        events["date"] = as_datetimes(events["date"], "events", "date", args.date_format)
    as_of = None if args.as_of is None else np.datetime64(as_day(args.as_of, "--as-of", args.date_format), "D")
    scored = score_patients(files.read(args.patients, "patients"), args.model,
                            diagnoses=files.read(args.diagnoses, "diagnoses"), events=events,
                            as_of=as_of, top=args.top, threads=args.threads)
    table = case_list(scored, by=args.by, k=args.case_list) if args.case_list else scored
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    _status(f"Scored {len(scored):,} patients; wrote {len(table):,} rows to {args.out}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="socialrx", description="Evaluate a social prescribing service.")
    parser.add_argument("--version", action="version", version=f"socialrx {__version__}")
    # The files the command reads, kept so that an error about a row can name its file and line.
    parser.set_defaults(files=TableFiles())
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("evaluate", help="evaluate a service from table files",
                              description="Evaluate a service from table files and print the headline figures.",
                              epilog=TABLE_FILES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_table_arguments(run)
    add_analysis_arguments(run)
    run.add_argument("--by", help="after the whole service's figures, each group's by a clients column, e.g. "
                     "practice, locality or financial_year")
    run.add_argument("--json", help="write every figure to this JSON file ('-': to stdout)")
    run.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates of the matched DiD")
    run.add_argument("--seed", type=int, default=1, help="seed of the match and the bootstrap")
    run.set_defaults(handler=evaluate)

    rank = commands.add_parser("score", help="score a population with a risk model",
                               description="Score every patient with a risk model and write the scores, "
                               "the top reasons and optionally a case list per practice.",
                               epilog=SCORE_COLUMNS, formatter_class=argparse.RawDescriptionHelpFormatter)
    rank.add_argument("--model", required=True, help="model JSON file, or 'example' (illustrative)")
    rank.add_argument("--patients", required=True, help="patients table (.csv, .csv.gz, .parquet, .pq)")
    rank.add_argument("--diagnoses", help="diagnoses table")
    rank.add_argument("--events", help="events table")
    rank.add_argument("--as-of", help="the day event look-backs end (exclusive); required with events")
    rank.add_argument("--date-format", help="the format of the events' text dates and of --as-of when not ISO, "
                      "e.g. %%d/%%m/%%Y; %%Y%%m%%d or excel for numbers")
    rank.add_argument("--top", type=int, default=3, help="reasons per patient (default 3)")
    rank.add_argument("--case-list", type=int, metavar="K", help="keep the K highest scores per --by group")
    rank.add_argument("--by", default="practice", help="group of the case list (default practice)")
    rank.add_argument("--threads", type=int, default=0)
    rank.add_argument("--out", required=True, help="scores CSV to write")
    rank.set_defaults(handler=score)

    add_report_parser(commands)

    profile = commands.add_parser("check", help="profile the tables' data quality",
                                  description="Read the tables as evaluate does and print what was read: per table "
                                  "and column the rows, missing values, unknown codes, repeated ids and dates; "
                                  "clients with any event, events of no known person, events outside the data "
                                  "range.", epilog=TABLE_FILES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_table_arguments(profile)
    profile.add_argument("--json", help="write the profile to this JSON file ('-': to stdout)")
    profile.set_defaults(handler=check)

    show = commands.add_parser("demo", help="evaluate the built-in synthetic service end to end")
    show.add_argument("--n-clients", type=int, default=3000)
    show.add_argument("--n-comparison", type=int, default=30000)
    show.add_argument("--seed", type=int, default=1)
    show.add_argument("--true-effect", type=float, default=0.1,
                      help="the synthetic service's true proportional fall in every kind of use")
    show.add_argument("--access-gap", type=float, default=0.7,
                      help="the most deprived IMD quintile's access to the service over the least deprived's, "
                           "per unit of need (the report's 'Who is reached' against the synthetic registered "
                           "population)")
    show.add_argument("--service-cost-pence", type=int,
                      help="the service's cost (default: the synthetic service's funding, CCG and Department of "
                           "Health match funding)")
    show.add_argument("--json", help="write every figure to this JSON file ('-': to stdout)")
    show.add_argument("--report", help="write the HTML evaluation report to this file")
    show.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates of the matched DiD")
    show.set_defaults(handler=demo)
    return parser


def _in_cli_terms(message: str) -> str:
    """A library message as the command line's user would act on it: the option, not the keyword."""
    return re.sub(r"date_format='([^']*)'", r"--date-format \1", message).replace("date_format", "--date-format")


def _small_pages_unless_asked() -> None:
    """Turn off numpy's advice that new arrays use transparent huge pages, for this process,
    unless ``NUMPY_MADVISE_HUGEPAGE`` says otherwise. The command line fills hundreds of MB of new
    arrays once: on a virtual machine whose memory is populated on first touch, a fresh 2 MB page
    can take ~100x as long to fault as the 512 small pages in its place (benchmarks/README.md)."""
    if "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
        from numpy._core import multiarray

        multiarray._set_madvise_hugepage(False)  # type: ignore[attr-defined]  # in numpy since 1.20, not in its stubs


def main(argv: Sequence[str] | None = None) -> int:
    _small_pages_unless_asked()
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (ValueError, OSError) as error:  # bad input or an unreadable/unwritable file: no traceback
        print(f"socialrx: {_in_cli_terms(args.files.locate(str(error)))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
