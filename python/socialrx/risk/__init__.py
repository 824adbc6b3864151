"""Risk scoring and case finding: comorbidity indices, LACE, high-intensity-user rules and
linear models scored over whole populations."""

from __future__ import annotations
