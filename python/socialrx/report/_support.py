"""Support given: contacts, length of support, outward referrals, interventions and spend."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import _plots
from .._measures import pence_per
from ..support import NOT_RECORDED
from ._html import (
    DASH,
    SUPPRESSION_NOTE,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    missing,
    money_text,
    notice,
    number_text,
    percent_text,
    share_of,
)
from ._published import (
    TOTAL,
    Builder,
    published_count,
    published_series,
)


def support_section(b: Builder) -> Section:
    section = Section("support", "Support given")
    if b.ev.interventions is None:
        section.parts.append(notice("No interventions table was given, so the support given is not reported."))
        return section
    section.parts += _glance_parts(b)
    section.parts.append(heading("Outward referrals"))
    sectors = published_series(b.ev.outward_referrals(by="sector").set_index("sector")["referrals"],
                               name=b.key("outward", "sector"), total_key=b.key("outward", TOTAL))
    section.parts.append(_referrals_table(sectors, "Outward referrals by sector"))
    inner = sectors.drop(index="total")
    section.parts.append(html_figure(
        _plots.grouped_bars(list(inner.index), {"referrals": list(inner)}, "Outward referrals by sector", "referrals"),
        "outward_sector", "Outward referrals by sector of the organisation referred to."))
    organisations = b.ev.outward_referrals(by="organisation").set_index("organisation")["referrals"]
    if len(organisations):
        published = published_series(organisations.sort_values(ascending=False, kind="stable"),
                                     name=b.key("outward", "organisation"), total_key=b.key("outward", TOTAL))
        section.parts.append(_referrals_table(published, "Outward referrals by organisation"))
    section.parts += [heading("Interventions and spend"), _spend_table(b)]
    return section


def _glance_parts(b: Builder) -> list[str]:
    """Contacts, length of support, how support ended and personal health budgets."""
    support = b.ev.support().set_index("measure")
    value = support["value"]
    connected = published_count(int(value["connected"]), (b.key("reach"), TOTAL, "connected"))
    ends = published_series(pd.Series({
        "discharged": int(value["support_discharged"]), "still supported": int(value["support_ongoing"]),
        "length not recorded": int(value["support_not_recorded"])}), name=b.key("support ends"), total="connected",
        total_key=(b.key("reach"), TOTAL, "connected"))
    contacts_shown = not missing(connected)
    days_shown = not missing(published_count(int(support.loc["support_days_mean", "clients"]),
                                             b.key("support days", "clients")))
    phb_clients = published_count(int(support.loc["phb_pence", "clients"]), b.key("phb", "clients"))
    rows = [
        ("Connected clients", count_text(connected)),
        ("Contacts (phone and visits)", count_text(published_count(int(value["contacts"]), b.key("contacts")))),
        ("Contacts per client (mean)", number_text(value["contacts_per_client"], 1) if contacts_shown else DASH),
        ("Contacts per client (median)", number_text(value["contacts_median"], 1) if contacts_shown else DASH),
        ("Length of support, days (mean)", number_text(value["support_days_mean"], 1) if days_shown else DASH),
        ("Length of support, days (median)", number_text(value["support_days_median"], 1) if days_shown else DASH),
        ("Supported for more than 6 months", count_text(published_count(int(value["support_over_6_months"]),
                                                                                  b.key("support over 6 months")))),
        ("Discharged", count_text(ends["discharged"])),
        ("Still supported (length to the last intervention)", count_text(ends["still supported"])),
        ("No length recorded", count_text(ends["length not recorded"])),
        ("Clients with a personal health budget", count_text(phb_clients)),
        ("Personal health budget cap", money_text(value["phb_cap_pence"])),
        ("Clients over the cap", _breaches_text(b, value["phb_breaches"])),
    ]
    parts = [html_table(pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure"),
                        "Support at a glance", cls="sxr-key", note=SUPPRESSION_NOTE)]
    breaches = 0 if missing(value["phb_breaches"]) else int(value["phb_breaches"])
    if breaches:
        parts.append(notice(f"Personal health budgets above the {money_text(value['phb_cap_pence'])} cap: "
                            f"{count_text(published_count(breaches, b.key('phb', 'breaches')))} clients. "
                            "Ev.phb_breaches() lists them for the service (not published here)."))
    return parts


def _breaches_text(b: Builder, breaches: float) -> str:
    """Clients over the personal health budget cap, or why that cannot be known."""
    if missing(breaches):  # interventions without a cost column: spend was not recorded
        return f"{NOT_RECORDED} (no cost recorded)"
    return count_text(published_count(int(breaches), b.key("phb", "breaches")))


def _referrals_table(published: pd.Series, caption: str) -> str:
    """Published outward referrals by some grouping, with each one's share of the total."""
    shown = pd.DataFrame({"referrals": [count_text(v) for v in published],
                          "% of outward referrals": [percent_text(share_of(v, published["total"])) for v in published]},
                         index=published.index)
    return html_table(shown, caption)


def _spend_table(b: Builder) -> str:
    """Interventions, clients and spend by kind; spend hidden where its clients are."""
    spend = b.ev.spend().set_index("kind")
    interventions = published_series(spend["interventions"], name=b.key("spend", "interventions"))
    clients = published_series(spend["clients"], name=b.key("spend", "clients"))
    rows = {}
    for kind in spend.index:
        rows[kind] = {"interventions": count_text(interventions[kind]), "clients": count_text(clients[kind]),
                      **_spend_cells(spend.loc[kind, "pence"], clients[kind])}
    total = NOT_RECORDED if spend["pence"].isna().all() else money_text(spend["pence"].sum())
    rows["total"] = {"interventions": count_text(interventions["total"]), "clients": DASH,
                     "spend": total, "spend per client": DASH}
    return html_table(pd.DataFrame(rows).T, "Interventions by kind",
                      note="A client can receive several kinds, so clients are not added up. Spend is "
                           "hidden where its clients are.")


def _spend_cells(pence: Any, clients: Any) -> dict[str, str]:
    """A kind's spend and spend per client: hidden with its clients, or not recorded."""
    if missing(clients):
        return {"spend": DASH, "spend per client": DASH}
    if missing(pence):
        return {"spend": NOT_RECORDED, "spend per client": NOT_RECORDED}
    return {"spend": money_text(pence), "spend per client": money_text(pence_per(int(pence), int(clients)))}
