"""Funding: the service cost per funder and period, the cost per client supported, money spent
by the service apart from grants secured from others, what personal health budgets bought and
the income clients gained from benefit awards."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..support import NOT_RECORDED
from ._html import DASH, Section, count_text, heading, html_table, missing, money_text, notice
from ._published import TOTAL, Builder, published_count, published_series

_NO_FUNDING = ("No funding table was given (Evaluation(funding=...): funder, start, end, pence), so the service "
               "cost per funder and period is not reported.")
_APPORTIONED = ("A grant that spans financial years is shared among them by days, in whole pence (the pence left "
                "over go to the years with the largest fractions), so each grant's parts add up to it exactly.")


def funding_section(b: Builder) -> Section:
    section = Section("funding", "Funding")
    if b.ev.funding_table is None and b.ev.interventions is None and b.service_cost is None:
        section.parts.append(notice("No funding table, service cost or interventions were given, so the funding "
                                    "is not reported."))
        return section
    section.parts += _funders(b) if b.ev.funding_table is not None else [notice(_NO_FUNDING)]
    if b.ev.funding_table is not None or b.service_cost is not None:
        section.parts.append(_cost_per_client(b))
    if b.ev.interventions is not None:
        section.parts += [heading("Money spent and grants secured"), _secured(b),
                          heading("Personal health budgets and income gained"), _budgets(b), _income(b)]
    return section


def _funders(b: Builder) -> list[str]:
    """The service cost per financial year and funder, with the totals."""
    table = b.ev.funding(by="financial_year").table
    grid = table.pivot_table(index="financial_year", columns="funder", values="pence", aggfunc="sum",
                             fill_value=0, sort=False)
    grid["total"] = grid.sum(axis=1)
    grid.loc["all years"] = grid.sum(axis=0)
    shown = grid.map(money_text)
    shown.index.name, shown.columns.name = None, None
    return [html_table(shown, "Service cost by financial year and funder", note=_APPORTIONED)]


def _cost_per_client(b: Builder) -> str:
    """Service cost / clients supported (connected), per financial year where there is a funding
    table; a cost per client only where its clients are published."""
    whole = b.ev.cost_per_client(None if b.ev.funding_table is not None else b.service_cost).iloc[0]
    connected = (b.key("reach"), TOTAL, "connected")  # the same count as the reach tables' total
    if b.ev.funding_table is not None:
        rows = b.ev.cost_per_client(by="financial_year").set_index("financial_year")
        clients = published_series(rows["clients"], name=b.key("funding", "clients supported"), total_key=connected)
    else:
        rows = pd.DataFrame(columns=whole.index)
        clients = pd.Series({TOTAL: published_count(int(whole["clients"]), connected)})
    rows.loc[TOTAL] = whole
    shown = {str(label): {"service cost": money_text(row["service_cost_pence"]),
                          "clients supported": count_text(clients[label]),
                          "cost per client": _hidden_with(clients[label], row["cost_per_client_pence"])}
             for label, row in rows.iterrows()}
    return html_table(pd.DataFrame(shown).T.rename(index={TOTAL: "all years"}), "Cost per client supported",
                      note="Cost per client = service cost / clients supported (connected: support started), in "
                           "whole pence; by year, the year's funding over the clients whose support started in it.")


def _hidden_with(clients: Any, pence: Any) -> str:
    """Money over some clients: hidden where they are."""
    return DASH if missing(clients) or missing(pence) else money_text(pence)


def _secured(b: Builder) -> str:
    """Per kind with money: the service's own spend and grants secured from others, hidden
    where the kind's clients are (the clients as the support section publishes them)."""
    spend = b.ev.spend().set_index("kind")
    clients = published_series(spend["clients"], name=b.key("spend", "clients"))
    if spend["pence"].isna().all():
        return notice(f"Spend is {NOT_RECORDED}: the interventions have no cost column.")
    rows = {kind: _money_cells(spend.loc[kind], clients[kind]) for kind in spend.index if spend.loc[kind, "pence"] > 0}
    rows["total"] = _money_cells(spend[["pence", "service_pence", "external_pence"]].sum(), 0)
    return html_table(pd.DataFrame(rows).T, "Money spent by the service and grants secured from others",
                      note="Grants secured are money others paid for clients (interventions funded_by external), "
                           "such as a charity's grant; they are not the service's spend. Money is hidden where its "
                           "clients are.")


def _money_cells(row: pd.Series, clients: Any) -> dict[str, str]:
    if missing(clients):
        return {"spent by the service": DASH, "secured from others": DASH, "all": DASH}
    return {"spent by the service": money_text(row["service_pence"]),
            "secured from others": money_text(row["external_pence"]), "all": money_text(row["pence"])}


def _by_category(frame: pd.DataFrame, label: str, count: str, value: str, name: str, b: Builder,
                 caption: str, note: str) -> str:
    """Rows per category: the count and clients published, the money hidden with its clients. A
    client may be in several categories, so neither count is added up."""
    table = frame.set_index(label)
    counts = published_series(table[count], name=b.key(name, count), total=None)
    clients = published_series(table["clients"], name=b.key(name, "clients"), total=None)
    rows = {str(k): {count: count_text(counts[k]), "clients": count_text(clients[k]),
                     value: _hidden_with(clients[k], table.loc[k, "pence_shown"])} for k in table.index}
    return html_table(pd.DataFrame(rows, index=[count, "clients", value]).T, caption, note=note)


def _budgets(b: Builder) -> str:
    phb = b.ev.phb_summary()
    if phb.empty:
        return notice("No personal health budgets were recorded.")
    return _by_category(phb.assign(pence_shown=phb["pence"]), "category", "items", "spend", "phb category", b,
                        "What personal health budgets bought",
                        "Category is what the budget paid for, as recorded on each budget item.")


def _income(b: Builder) -> str:
    income = b.ev.income_gained()
    if income.empty:
        return notice("No benefit awards were recorded.")
    return _by_category(income.assign(pence_shown=income["annual_pence"]), "benefit", "awards", "income a year",
                        "benefit awards", b, "Income gained by clients from benefit awards",
                        "The awards' value a year to the clients. This is the clients' income: it is not NHS cost "
                        "avoided and is in no cost avoidance or net saving.")
