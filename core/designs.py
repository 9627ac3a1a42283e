"""The hinting designs the core offers, by the name a scenario gives ("hinting": {"design": ...}).

Registering a design is one line here (docs/designs.md says what the design
module must provide).
"""

from __future__ import annotations

from .design import HintingDesign
from .page_hinting_design import SeedDesign
from .page_reporting_design import ReportingDesign

DESIGNS: dict[str, type[HintingDesign]] = {
    SeedDesign.name: SeedDesign,
    ReportingDesign.name: ReportingDesign,
}
