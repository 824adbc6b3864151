"""Net saving: gross cost avoidance, the service cost and the net, per patient too."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..summary import MATCHED
from ._comparison import Interval
from ._html import (
    DASH,
    Section,
    count_text,
    html_table,
    missing,
    money_text,
    notice,
    with_interval,
)
from ._published import Builder, effect_interval, published_count


def net_section(b: Builder) -> Section:
    section = Section("net", "Net saving")
    if not b.has_cost:
        section.parts.append(notice("The net saving needs events and a tariff."))
        return section
    if b.service_cost is None:
        section.parts.append(notice("No service cost was given for this report (service_cost_pence=...; for one "
                                    "reporting period, a mapping such as {'2023/24': pence}; or a funding table, "
                                    "Evaluation(funding=...)), so the net saving is not reported; the gross cost "
                                    "avoidance is in the section above."))
        return section
    saving = b.net_saving()
    patients = published_count(int(saving["patients"]), b.key("net saving", "patients"))
    shown = {"naive before/after": {
        "gross cost avoidance": money_text(saving["gross_pence"]),
        _cost_label(b): money_text(saving["service_cost_pence"]),
        "net saving": money_text(saving["net_pence"]),
        "patients": count_text(patients),
        "gross per patient": DASH if missing(patients) else money_text(saving["gross_per_patient_pence"]),
        "net per patient": DASH if missing(patients) else money_text(saving["net_per_patient_pence"]),
    }}
    section.parts.append(html_table(pd.DataFrame(shown), f"Net saving over {b.last.text} after the index date",
                                    note="Net saving = (gross cost avoidance − service cost) / patients; gross, "
                                         "service cost and net are reported separately; per-patient figures are "
                                         "rounded to whole pence."))
    if b.comparison.available:
        section.parts.append(_matched_table(b))
    return section


def _cost_label(b: Builder) -> str:
    """"service cost", saying so where it is the funding table's total (see the Funding section)."""
    funding = b.ev.funding_table
    from_funding = funding is not None and b.service_cost == int(funding["pence"].sum())
    return "service cost (the funding's total)" if from_funding else "service cost"


def _matched_table(b: Builder) -> str:
    """The matched DiD's cost avoided per client and net saving, each with its interval and
    the people it is over; the extrapolation to every included client on its own row."""
    rows = {}
    per_client = b.comparison.avoided_per_client(b.last)
    total = b.effect(b.last, "all_priced_kinds", "cost_avoided_pence")
    if per_client is not None and total is not None:
        rows["cost avoided per matched client"] = _row(per_client, total["clients"], MATCHED, b)
    for label, figure, method in (("net saving per patient", "net_saving_per_patient_pence", "did"),
                                  ("net saving, extrapolated to every included client", "net_saving_pence",
                                   "did_extrapolated")):
        row = b.effect(b.last, "all_priced_kinds", figure, method)
        if row is not None:
            rows[label] = _row(effect_interval(row), b.effect_clients(row), row["population"], b)
    return html_table(pd.DataFrame(rows).T, f"Matched DiD over {b.last.text} after the index date",
                      note="Net saving per patient here is the DiD cost avoided per matched client less the service "
                           "cost per included client; extrapolated, that DiD per client is applied to each included "
                           "client, matched or not.")


def _row(interval: Interval, clients: Any, population: str, b: Builder) -> dict[str, str]:
    return {f"value ({b.comparison.level:.0%} CI)": with_interval(*interval, money_text),
            "over": f"{count_text(clients)} {population}"}
