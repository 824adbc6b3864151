"""Risk scoring and case finding: comorbidity indices, LACE, high-intensity-user rules and
linear models scored over whole populations."""

from __future__ import annotations

from .case_list import case_list
from .comorbidity import FRAILTY_BANDS, charlson, comorbidity_map, elixhauser, hfrs, normalise_icd10
from .hiu import HIU_PRESETS, hiu
from .lace import LACE_VARIANTS, lace
from .models import LinearModel, LogisticModel, PoissonModel, RiskModel, load_model
from .scoring import add_comorbidity_scores, score_patients

__all__ = [
    "FRAILTY_BANDS",
    "HIU_PRESETS",
    "LACE_VARIANTS",
    "LinearModel",
    "LogisticModel",
    "PoissonModel",
    "RiskModel",
    "add_comorbidity_scores",
    "case_list",
    "charlson",
    "comorbidity_map",
    "elixhauser",
    "hfrs",
    "hiu",
    "lace",
    "load_model",
    "normalise_icd10",
    "score_patients",
]
