"""Net saving: gross cost avoidance, the service cost and the net, per patient too."""

from __future__ import annotations

from typing import Any

import pandas as pd

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
from ._published import (
    Builder,
    published_count,
)


def net_section(b: Builder) -> Section:
    section = Section("net", "Net saving")
    if not b.has_cost:
        section.parts.append(notice("The net saving needs events and a tariff."))
        return section
    if b.service_cost is None:
        section.parts.append(notice("No service cost was given for this report (service_cost_pence=...; for one "
                                    "reporting period, a mapping such as {'2023/24': pence}), so the net saving is "
                                    "not reported; the gross cost avoidance is in the section above."))
        return section
    saving = b.ev.net_saving(int(b.service_cost), window=b.windows[-1])
    patients = published_count(int(saving["patients"]))
    shown = {"naive before/after": {
        "gross cost avoidance": money_text(saving["gross_pence"]),
        "service cost": money_text(saving["service_cost_pence"]),
        "net saving": money_text(saving["net_pence"]),
        "patients": count_text(patients),
        "gross per patient": DASH if missing(patients) else money_text(saving["gross_per_patient_pence"]),
        "net per patient": DASH if missing(patients) else money_text(saving["net_per_patient_pence"]),
    }}
    matched = b.did_net_saving()
    if matched is not None:
        shown["matched DiD (interval)"] = _matched_column(matched, patients)
    section.parts.append(html_table(pd.DataFrame(shown), f"Net saving over {b.last.text} after the index date",
                                    note="Net saving = (gross cost avoidance − service cost) / patients; gross, "
                                         "service cost and net are reported separately; per-patient figures are "
                                         "rounded to whole pence. The matched DiD column applies the DiD cost "
                                         "avoided per matched client to the same patients."))
    return section


def _matched_column(matched: dict[str, Any], patients: Any) -> dict[str, str]:
    def interval(name: str) -> str:
        return with_interval(matched[name], matched.get(f"{name}_low"), matched.get(f"{name}_high"), money_text)

    return {
        "gross cost avoidance": interval("gross"),
        "service cost": money_text(matched["service_cost"]),
        "net saving": interval("net"),
        "patients": count_text(published_count(matched["patients"])),
        "gross per patient": money_text(matched["gross_per_patient"]),
        "net per patient": DASH if missing(patients) else interval("net_per_patient"),
    }
