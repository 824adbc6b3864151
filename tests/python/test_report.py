"""The evaluation report: one self-contained HTML file, every section, every figure a PNG,
disclosure control on every published count, and it renders in a headless browser."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import socialrx
from socialrx import _core
from socialrx._measures import whole_pence
from socialrx.cli import build_parser
from socialrx.report import SECTIONS, build_report, write_report
from socialrx.summary import Headline, headline

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SERVICE_COST = 45_269_800


class _Page(HTMLParser):
    """Collects what the checks need: headings, images, external references and table cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.images: list[dict[str, str]] = []
        self.external: list[tuple[str, str, str]] = []
        self.cells: list[str] = []
        self._heading: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name in ("src", "href"):
            value = values.get(name)
            if value is not None and not (value.startswith("data:") or value.startswith("#")):
                self.external.append((tag, name, value))
        if tag in ("link", "iframe", "object", "embed"):
            self.external.append((tag, "tag", ""))
        if tag == "img":
            self.images.append(values)
        if tag == "h2":
            self._heading = []
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _evaluation(service: socialrx.SyntheticService, **options) -> socialrx.Evaluation:
    return socialrx.Evaluation(
        clients=service.clients, events=service.events, assessments=service.assessments,
        interventions=service.interventions, feedback=service.feedback, comparison=service.comparison,
        tariff="example", data_start=service.data_start, data_end=service.data_end, surveys=service.surveys,
        meetings=service.meetings, **options)


@pytest.fixture(scope="module")
def service() -> socialrx.SyntheticService:
    return socialrx.synthetic(n_clients=600, n_comparison=4000, seed=5, true_effect=0.1)


@pytest.fixture(scope="module")
def report(service, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    written = write_report(_evaluation(service), path, service_cost_pence=SERVICE_COST, bootstrap=200)
    assert written == path
    return path


def _expected_headings(periods: bool = False) -> list[str]:
    # "Who is reached" needs a registered population (test_equity.py renders it).
    return [title for key, title in SECTIONS if (periods or key != "periods") and key != "equity"]


def test_every_section_in_order(report):
    assert _parse(report).headings == _expected_headings()


def test_self_contained(report):
    page = _parse(report)
    assert page.external == []
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|file:)""", text)
    assert "@import" not in text and "url(" not in text


def test_every_image_is_an_embedded_png(report):
    images = _parse(report).images
    assert len(images) >= 12
    for image in images:
        src = image["src"]
        assert src.startswith("data:image/png;base64,"), src[:40]
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG_MAGIC)
        assert image.get("alt")
        assert image.get("data-figure")


def _integers(cells: list[str]) -> list[int]:
    return [int(c.replace(",", "")) for c in cells if re.fullmatch(r"−?\d{1,3}(,\d{3})*|−?\d+", c)]


def _people_cells(path: Path) -> list[str]:
    """The table cells of a report, less the tables counting practices (organisations are not
    people: their counts are never suppressed)."""
    page = _Page()
    tables = re.split(r"(<table.*?</table>)", path.read_text(encoding="utf-8"), flags=re.S)
    page.feed("".join(t for t in tables if "<th>practices</th>" not in t))
    return page.cells


def test_no_published_count_is_1_to_4(report):
    """Every table cell that is a plain whole number is a count of people or events (tables of
    practices aside); none may be 1 to 4."""
    cells = _people_cells(report)
    numbers = _integers(cells)
    assert numbers, "the report publishes counts"
    small = [n for n in numbers if 0 < n < 5]
    assert small == []
    assert "*" in cells, "a service this size has some suppressed cells"


def test_suppressed_cells_are_secondary_protected(service, tmp_path):
    """A small practice's referrals: its 1-4 count is hidden and its row total cannot reveal it."""
    clients = service.clients.copy()
    clients["practice"] = clients["practice"].astype(str)
    connected = clients.index[clients["index_date"].notna()]
    clients.loc[connected[:3], "practice"] = "TINY01"  # three connected, none unconnected
    ev = socialrx.Evaluation(clients=clients, events=service.events, assessments=service.assessments,
                             interventions=service.interventions, feedback=service.feedback,
                             comparison=service.comparison, tariff="example", data_start=service.data_start,
                             data_end=service.data_end)
    path = write_report(ev, tmp_path / "tiny.html", match=False)
    text = path.read_text(encoding="utf-8")
    row = re.search(r"<tr>\s*<th>TINY01</th>(.*?)</tr>", text, flags=re.S)
    assert row, "the practice is listed"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells[0] == "*" and cells[1] == "*"  # referred 3, connected 3: both hidden
    assert _integers(_people_cells(path)) and all(not 0 < n < 5 for n in _integers(_people_cells(path)))


def test_figures_use_published_values_only(service):
    """Percentages beside suppressed counts are not shown (they would reveal them)."""
    report = build_report(_evaluation(service), match=False)
    html = report.html()
    checked = 0
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        if "<th>% connected</th>" not in table:
            continue
        for row in re.findall(r"<tr>.*?</tr>", table, flags=re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row)  # referred, connected, % connected, % of referrals
            if cells and "*" in cells[:2]:
                assert cells[2] == "–"
                checked += 1
    assert checked


def test_matched_comparison_beside_the_naive(report):
    text = report.read_text(encoding="utf-8")
    assert "matched DiD" in text
    assert "Who was matched" in text and "Balance of the matched groups" in text
    page = _parse(report)
    figures = {image["data-figure"] for image in page.images}
    assert {"did_pct", "balance", "cost_by_kind"} <= figures


def test_cost_by_practice_shows_practices_whose_counts_are_published(service, tmp_path):
    """The fixture's 43 practices of about 14 clients each have their clients in the window 1 to 4
    fewer than those connected, so disclosure control hides them and the figure has nothing to
    show; with the clients in four practices it shows each."""
    clients = service.clients.copy()
    codes = sorted(clients["practice"].astype(str).unique())
    clients["practice"] = clients["practice"].astype(str).map({c: f"PRACTICE{i % 4}" for i, c in enumerate(codes)})
    ev = socialrx.Evaluation(clients=clients, events=service.events, assessments=service.assessments,
                             interventions=service.interventions, feedback=service.feedback,
                             comparison=service.comparison, tariff="example", data_start=service.data_start,
                             data_end=service.data_end)
    page = _parse(write_report(ev, tmp_path / "practices.html", match=False))
    assert "cost_by_practice" in {image["data-figure"] for image in page.images}


def test_without_a_comparison_the_did_section_says_so(service, tmp_path):
    clients = set(service.clients["client_id"])
    events = service.events[service.events["person_id"].isin(clients)]
    ev = socialrx.Evaluation(clients=service.clients, events=events, tariff="example",
                             data_start=service.data_start, data_end=service.data_end)
    path = write_report(ev, tmp_path / "naive.html")
    text = path.read_text(encoding="utf-8")
    assert _parse(path).headings == _expected_headings()
    assert "No comparison group was given" in text
    assert "No interventions table was given" in text
    assert "No service cost was given for this report" in text


def test_methods_name_the_rules_and_the_tariff(report):
    text = report.read_text(encoding="utf-8")
    for phrase in ("round(W × 365.25 / 12)", "Censoring and exclusions", "starts before data", "price year",
                   "illustrative example", "regression to the mean", "counts of 1 to 4"):
        assert phrase in text, phrase


def test_periods_side_by_side(service, tmp_path):
    ev = _evaluation(service)
    path = write_report(ev, tmp_path / "years.html", by_period="side_by_side", match=False)
    page = _parse(path)
    assert page.headings == _expected_headings(periods=True)
    text = path.read_text(encoding="utf-8")
    labels = ev.reporting_periods()
    table = text[text.index("Key figures by period"):]
    for label in labels:
        assert f"<th>{label}</th>" in table
    assert "<th>all periods</th>" in table
    assert all(not 0 < n < 5 for n in _integers(_people_cells(path)))


def test_periods_separate(service, tmp_path):
    ev = _evaluation(service)
    labels = ev.reporting_periods()
    written = write_report(ev, tmp_path / "year.html", by_period="separate", match=False,
                           service_cost_pence={labels[1]: 1_000_000})
    assert [p.name for p in written] == [f"year_{label.replace('/', '-')}.html" for label in labels]
    first = ev.for_period(labels[1])
    referred = int(first.reach()["referred"].sum())
    assert referred == int((ev.periods() == labels[1]).sum())
    text = written[1].read_text(encoding="utf-8")
    assert labels[1] in text
    assert "£10,000.00" in text  # that period's own service cost, in its net saving
    assert "No service cost was given for this report" in written[2].read_text(encoding="utf-8")
    assert _parse(written[1]).headings == _expected_headings()


def test_bad_by_period(service, tmp_path):
    with pytest.raises(ValueError, match="by_period"):
        write_report(_evaluation(service), tmp_path / "x.html", by_period="monthly")


def test_repr_html_for_notebooks(service):
    report = build_report(_evaluation(service), match=False)
    fragment = report._repr_html_()
    assert fragment.startswith("<style>") and "<html" not in fragment
    assert report.figures == fragment.count("<img ")


def test_report_command(service, tmp_path):
    files = {}
    for name, frame in (("clients", service.clients), ("events", service.events),
                        ("assessments", service.assessments), ("interventions", service.interventions),
                        ("feedback", service.feedback), ("comparison", service.comparison)):
        files[name] = tmp_path / f"{name}.csv"
        frame.to_csv(files[name], index=False, date_format="%Y-%m-%d")
    parser = build_parser()
    out = tmp_path / "cli" / "report.html"
    args = parser.parse_args([
        "report", *[a for name, path in files.items() for a in (f"--{name}", str(path))],
        "--tariff", "example", "--data-start", str(service.data_start.date()),
        "--data-end", str(service.data_end.date()), "--service-cost-pence", str(SERVICE_COST),
        "--bootstrap", "100", "--out", str(out)])
    args.handler(args)
    assert _parse(out).headings == _expected_headings()
    assert "matched DiD" in out.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ what was done
def _section(text: str, section_id: str) -> str:
    return re.search(rf'<section id="{section_id}".*?</section>', text, flags=re.S).group(0)


def _plain(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_header_says_what_was_done(service, report):
    """Right under the title: version, data range, seed, replicates and the tariff's name and
    price year; the illustrative-prices banner at the top, before the first section."""
    text = report.read_text(encoding="utf-8")
    header = re.search(r"<header.*?</header>", text, flags=re.S).group(0)
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", unescape(header)))
    tariff = socialrx.load_tariff("example")
    assert facts == {
        "socialrx": socialrx.__version__,
        "Data": f"{service.data_start.date()} – {service.data_end.date()}",
        "Seed": "1 (matching and bootstrap)",
        "Bootstrap replicates": "200",
        "Tariff": f"{tariff.name}, prices of {tariff.price_year}",
    }
    assert text.index("<h1>") < text.index("<header") + len(header) < text.index("<section")
    assert "Illustrative prices." in header


def test_methods_name_the_covariates_used_and_those_left_out(service):
    """With only patient_id in the comparison table, age, sex and deprivation cannot be matched
    on: Methods lists exactly the match's covariates and, with its reasons, those left out."""
    ev = socialrx.Evaluation(clients=service.clients, events=service.events,
                             comparison=service.comparison[["patient_id"]], tariff="example",
                             data_start=service.data_start, data_end=service.data_end)
    methods = _plain(_section(build_report(ev, bootstrap=20).html(), "methods"))
    match = ev.match(k=1, caliper=0.2, seed=1)
    used = re.search(r"on (\d+) covariates?: (.*?)\.", methods)
    assert used.group(2).split(", ") == match.covariate_names and int(used.group(1)) == len(match.covariate_names)
    assert not {"age", "female", "deprivation_decile"} & set(match.covariate_names)
    left_out = re.search(r"Left out of the default set:(.*?)Of ", methods, flags=re.S).group(1).split()
    assert " ".join(left_out) == " ".join(" ".join(match.notes).split())
    assert [n.split(":")[0] for n in match.notes] == ["age", "female", "deprivation_decile"]
    assert "(1:1)" in methods and "caliper of 0.2 standard deviations" in methods and "20 replicates" in methods


def test_methods_without_a_match_say_why(service):
    report = build_report(_evaluation(service), match=False)
    methods = _plain(_section(report.html(), "methods"))
    assert "left out of this report (match=False)" in methods
    assert "covariates" not in methods


# ------------------------------------------------------------------------------ one honest answer
DEMO_SERVICE_COST = 5_000_000
FIGURE = re.compile(r"naive (?P<naive>\S+) over (?P<included>[\d,]+) included clients"
                    r"(?:; matched DiD (?P<did>\S+) \(95% CI (?P<low>\S+) to (?P<high>\S+)\) over "
                    r"(?P<matched>[\d,]+) (?P<population>[^;]+))?$")


@pytest.fixture(scope="module")
def demo():
    """The demo-sized service, its report's key figures, and the figures made apart from it: the
    headline (JSON and frame), and the match and DiD of the public API."""
    data = socialrx.synthetic(n_clients=600, n_comparison=6000, seed=1, true_effect=0.1)
    ev = _evaluation(data)
    report = build_report(ev, service_cost_pence=DEMO_SERVICE_COST, bootstrap=100, seed=1)
    table = re.search(r"Key figures</p>(.*?)</table>", _section(report.html(), "summary"), flags=re.S).group(1)
    key = {unescape(m): unescape(v) for m, v in re.findall(r"<th>(.*?)</th>\s*<td>(.*?)</td>", table)}
    figures = headline(ev, service_cost_pence=DEMO_SERVICE_COST, bootstrap=100, seed=1)
    did = ev.match(k=1, caliper=0.2, seed=1).did(windows=(6, 12), bootstrap=100, seed=1)
    return ev, key, figures, did


def _parts(text: str) -> dict[str, str]:
    found = FIGURE.fullmatch(text)
    assert found, text
    return found.groupdict()


def _pence(text: str) -> int:
    sign = -1 if text.startswith("−") else 1
    return sign * int(text.lstrip("−£").replace(",", "").replace(".", ""))


def _percent(value: float) -> str:
    return f"{value:+.0f}%".replace("-", "−")


def _effect(figures: Headline, kind: str, figure: str, method: str, population: str) -> dict:
    """The JSON's row, checked against the frame's same row."""
    row = next(e for e in figures.figures["effects"] if (e["window"], e["kind"], e["figure"], e["method"],
                                                          e["population"]) == ("12m", kind, figure, method, population))
    frame = figures.effects.set_index(["window", "kind", "figure", "method", "population"])
    framed = frame.loc[("12m", kind, figure, method, population)]
    for column in ("clients", "value", "ci_low", "ci_high"):  # exactly: not a penny apart
        assert framed[column] == row[column] or (pd.isna(framed[column]) and row[column] is None), column
    return row


def _money_row(did) -> dict:
    rows = did.estimates
    return rows[(rows["window"] == "12m") & (rows["kind"] == "all_kinds_pence")].iloc[0]


def test_cost_avoided_agrees_to_the_penny(demo):
    ev, key, figures, did = demo
    shown = _parts(key["Gross cost avoidance, 12 months"])
    costs = ev.cost_avoidance(windows=12)
    naive = _effect(figures, "all_priced_kinds", "cost_avoided_pence", "before_after", "included clients")
    assert _pence(shown["naive"]) == naive["value"] == int(costs["avoided_pence"].sum())
    assert int(shown["included"].replace(",", "")) == naive["clients"] == int(costs["clients"].max())
    matched = _effect(figures, "all_priced_kinds", "cost_avoided_pence", "did", "matched clients")
    money = _money_row(did)
    clients = int(money["clients"])
    expected = (-int(money["did_pence_total"]), whole_pence(-money["ci_high_pence"] * clients),
                whole_pence(-money["ci_low_pence"] * clients))
    assert (_pence(shown["did"]), _pence(shown["low"]), _pence(shown["high"])) == expected
    assert (matched["value"], matched["ci_low"], matched["ci_high"]) == expected
    assert int(shown["matched"].replace(",", "")) == matched["clients"] == clients


def test_cost_avoided_per_client_agrees_to_the_penny(demo):
    ev, key, figures, did = demo
    shown = _parts(key["Cost avoided per client, 12 months"])
    assert _pence(shown["naive"]) == ev.net_saving(DEMO_SERVICE_COST, window=12)["gross_per_patient_pence"]
    money = did.table[(did.table["window"] == "12m") & (did.table["kind"] == "all_kinds_pence")].iloc[0]
    assert (_pence(shown["did"]), _pence(shown["low"]), _pence(shown["high"])) == (
        money["pence_avoided_per_client"], money["pence_avoided_ci_low"], money["pence_avoided_ci_high"])


def test_net_saving_per_patient_agrees_to_the_penny(demo):
    ev, key, figures, did = demo
    shown = _parts(key["Net saving per patient, 12 months"])
    saving = ev.net_saving(DEMO_SERVICE_COST, window=12)
    naive = _effect(figures, "all_priced_kinds", "net_saving_per_patient_pence", "before_after", "included clients")
    assert _pence(shown["naive"]) == naive["value"] == saving["net_per_patient_pence"]
    money = _money_row(did)
    patients = int(saving["patients"])
    expected = tuple(_core.net_saving(whole_pence(-money[column]) * patients, DEMO_SERVICE_COST,
                                      patients).net_per_patient
                     for column in ("did_pence_per_client", "ci_high_pence", "ci_low_pence"))
    matched = _effect(figures, "all_priced_kinds", "net_saving_per_patient_pence", "did", "matched clients")
    assert (_pence(shown["did"]), _pence(shown["low"]), _pence(shown["high"])) == expected
    assert (matched["value"], matched["ci_low"], matched["ci_high"]) == expected
    extrapolated = key["Net saving, 12 months, the matched DiD extrapolated to every included client"]
    row = next(e for e in figures.figures["effects"] if e["window"] == "12m" and e["method"] == "did_extrapolated")
    assert extrapolated == (f"matched DiD {_money(row['value'])} (95% CI {_money(row['ci_low'])} to "
                            f"{_money(row['ci_high'])}) over {patients:,} {row['population']}")


def _money(pence: int) -> str:
    return _core.format_pounds(int(pence)).replace("-", "−")


@pytest.mark.parametrize("kind, label", [("ae_attendance", "A&E attendances"),
                                         ("emergency_admission", "Emergency admissions")])
def test_percent_change_agrees(demo, kind, label):
    ev, key, figures, did = demo
    shown = _parts(key[f"{label}, 12 months after vs before"])
    use = ev.utilisation(windows=12).set_index("kind").loc[kind]
    naive = _effect(figures, kind, "pct_change", "before_after", "included clients")
    assert shown["naive"] == _percent(naive["value"]) == _percent(use["pct_change"])
    assert int(shown["included"].replace(",", "")) == naive["clients"] == use["clients"]
    rows = did.estimates
    estimate = rows[(rows["window"] == "12m") & (rows["kind"] == kind)].iloc[0]
    matched = _effect(figures, kind, "pct_change", "did", "matched clients")
    expected = tuple(_percent(v) for v in (estimate["did_pct"], estimate["ci_low_pct"], estimate["ci_high_pct"]))
    assert (shown["did"], shown["low"], shown["high"]) == expected
    assert tuple(_percent(matched[c]) for c in ("value", "ci_low", "ci_high")) == expected
    assert int(shown["matched"].replace(",", "")) == matched["clients"] == estimate["clients"]
    assert shown["population"] == "matched clients"


# ------------------------------------------------------------------------------ headless browser
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-qq", "chromium"], ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "chromium"]):
        subprocess.run(command, env=env, capture_output=True, timeout=900, check=False)
        if shutil.which("chromium"):
            return shutil.which("chromium")
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed and could not be installed with apt-get "
                    "(DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)")
    return browser


def _render(browser: str, path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
         "--virtual-time-budget=10000", "--user-data-dir=" + str(path.parent / ".chromium"), *extra,
         path.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False)


def test_renders_in_headless_chromium_with_every_figure_loaded(report, chromium):
    result = _render(chromium, report, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    expected = len(_parse(report).images)
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert f'data-figures="{expected}"' in body
    assert f'data-figures-loaded="{expected}"' in body
    assert len(re.findall(r"<img[^>]*data-loaded=\"1\"", dom)) == expected
    for key, title in SECTIONS:
        if key not in ("periods", "equity"):
            assert f">{title}</h2>" in dom


def test_who_is_reached_renders_in_headless_chromium(chromium, tmp_path):
    """With a registered population the report has "Who is reached", its figures loaded."""
    data = socialrx.synthetic(n_clients=600, n_comparison=2000, seed=5, access_gap=0.6)
    path = write_report(_evaluation(data), tmp_path / "reached.html", match=False, population=data.population)
    assert _parse(path).headings == [title for key, title in SECTIONS if key != "periods"]
    assert all(not 0 < n < 5 for n in _integers(_people_cells(path)))
    result = _render(chromium, path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    for figure in ("equity_rates", "equity_pathway"):
        assert re.search(rf'<img[^>]*data-figure="{figure}"[^>]*data-loaded="1"', result.stdout) or re.search(
            rf'<img[^>]*data-loaded="1"[^>]*data-figure="{figure}"', result.stdout)


def test_screenshot_is_not_blank(report, chromium, tmp_path):
    shot = tmp_path / "report.png"
    result = _render(chromium, report, "--hide-scrollbars", "--window-size=1100,3000", f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 50_000


def test_demo_sized_report_builds(tmp_path):
    """The demo's default size renders end to end (the size `socialrx demo` writes)."""
    data = socialrx.synthetic(n_clients=3000, n_comparison=30000, seed=1, true_effect=0.1)
    path = write_report(_evaluation(data), tmp_path / "demo.html", service_cost_pence=SERVICE_COST,
                        bootstrap=200)
    page = _parse(path)
    assert page.headings == _expected_headings()
    assert all(not 0 < n < 5 for n in _integers(_people_cells(path)))


def test_spend_not_recorded_is_said_not_shown_as_nothing(service):
    """Interventions without a cost column: the support section says the spend was not recorded,
    never £0.00, and the personal health budget breaches cannot be counted."""
    costless = service.interventions.drop(columns=[c for c in service.interventions.columns if c.startswith("cost")])
    ev = socialrx.Evaluation(clients=service.clients, interventions=costless)
    support = unescape(_section(build_report(ev, match=False).html(), "support"))
    assert re.search(r"Clients over the cap</th>\s*<td>not recorded \(no cost recorded\)</td>", support)
    spend = re.search(r"Interventions by kind</p>(.*?)</table>", support, flags=re.S).group(1)
    rows = re.findall(r"<tr>\s*<th>([^<]*)</th>(.*?)</tr>", spend, flags=re.S)
    assert len(rows) == len(costless["kind"].unique()) + 1  # each kind, then the total
    for kind, cells in rows:  # spend and spend per client (the total: spend alone)
        assert cells.count("<td>not recorded</td>") == (1 if kind == "total" else 2), kind
    assert "£" not in spend


def _quality_rows(html: str) -> dict[str, dict[str, list[str]]]:
    """The data-quality section's tables: caption -> row label -> cells."""
    section = html[html.index('id="quality"'):html.index('id="methods"')]
    tables = {}
    for caption, table in re.findall(r'<p class="sxr-caption">(.*?)</p>(<table.*?</table>)', section, flags=re.S):
        rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
                for row in re.findall(r"<tr.*?</tr>", table, flags=re.S)]
        tables[unescape(caption)] = {unescape(cells[0]): [unescape(c) for c in cells[1:]] for cells in rows[1:]}
    return tables


def test_data_quality_section_shows_what_was_built_in(service):
    """Hand-made faults: 7 clients without a sex, 6 with a referral source socialrx does not
    know, 3 without a locality (a count of people of 1-4: suppressed); 8 events before the data
    start; 10 clients with every event removed, so linked to none. (Events of nobody in the
    tables stop the utilisation figures, so a report never shows any.)"""
    clients = service.clients.copy()
    clients.loc[clients.index[:7], "sex"] = None
    clients["referral_source"] = clients["referral_source"].astype(object)
    clients.loc[clients.index[10:16], "referral_source"] = "pharmacy"
    clients.loc[clients.index[20:23], "locality"] = None
    silent = set(clients["client_id"].iloc[30:40])
    events = service.events[~service.events["person_id"].isin(silent)]
    early = pd.DataFrame({"person_id": [clients["client_id"].iloc[0]] * 8,
                          "date": [service.data_start - pd.Timedelta(days=3)] * 8, "kind": ["ae_attendance"] * 8})
    events = pd.concat([events, early], ignore_index=True)
    ev = socialrx.Evaluation(clients=clients, events=events, comparison=service.comparison, tariff="example",
                             data_start=service.data_start, data_end=service.data_end)
    html = build_report(ev, match=False).html()
    assert "Data quality" in _parse_text(html)
    tables = _quality_rows(html)
    clients_table = tables[f"clients: {len(clients):,} rows"]
    columns = ["missing", "unknown", "unknown codes", "normalised", "repeated", "first", "last"]
    sex, source, locality = (dict(zip(columns, clients_table[c])) for c in ("sex", "referral source", "locality"))
    assert sex["missing"] == "7"
    assert source["unknown"] == "6" and source["unknown codes"] == "pharmacy"
    assert locality["missing"] == "*"
    checks = tables["Linkage and data range"]
    with_events = set(clients["client_id"]) & set(events["person_id"])
    assert checks["events: of no known person"] == ["0", f"{len(events):,}"]
    assert checks["events: before data start"] == ["8", f"{len(events):,}"]
    assert checks["clients: with any event"] == [f"{len(with_events):,}", f"{len(clients):,}"]
    assert len(clients) - len(with_events) >= 10


def test_data_quality_section_counts_repeated_ids_as_people(service):
    """Six comparison patients listed twice: six repeated ids, and the pool's distinct people."""
    comparison = pd.concat([service.comparison, service.comparison.iloc[:6]], ignore_index=True)
    ev = socialrx.Evaluation(clients=service.clients, comparison=comparison)
    tables = _quality_rows(build_report(ev, match=False).html())
    pool = tables[f"comparison: {len(comparison):,} rows"]
    assert pool["patient id"][4] == "6"  # the repeated column
    assert tables["Linkage and data range"]["comparison: also a client"][1] == f"{len(service.comparison):,}"


def _parse_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_data_quality_hides_a_count_whose_rest_is_small(service):
    """All but two clients without a locality: the 2 with one are a count of 1-4 people that
    the rows less the missing would reveal, so the missing count is hidden too."""
    clients = service.clients.copy()
    clients.loc[clients.index[2:], "locality"] = None
    ev = socialrx.Evaluation(clients=clients, events=service.events, comparison=service.comparison,
                             tariff="example", data_start=service.data_start, data_end=service.data_end)
    tables = _quality_rows(build_report(ev, match=False).html())
    # The rows are the referrals, one quantity with the Reach section's total: shown or hidden with it.
    table = next(rows for caption, rows in tables.items() if caption.startswith("clients: "))
    assert table["locality"][0] == "*"


def test_surveys_and_workforce_sections(report):
    """The synthetic service's GP survey (36 practices, calibrated to seed 000) prints the seed's
    shares; free text is counted, never shown; the workforce section has its tables."""
    page = report.read_text(encoding="utf-8")
    surveys = re.search(r'<section id="surveys".*?</section>', page, flags=re.S).group(0)
    assert "good or excellent: 100% of those answering" in surveys
    assert "yes: 89% of those answering" in surveys
    assert "free-text answers: kept for the service, not shown" in surveys
    assert "rapport" not in page and "Thank you for listening" not in page
    workforce = re.search(r'<section id="workforce".*?</section>', page, flags=re.S).group(0)
    for caption in ("Open cases per link worker", "Contacts per link worker",
                    "Interventions by kind and who delivered them", "Meetings by financial year"):
        assert caption in workforce
