"""The self-contained HTML report, the terminal summary (``page``) and the SVG figures.

``figures`` draws the panels. The room reads the envelope's results and the angle table; it
computes no angles.
"""

from __future__ import annotations

from analysis.report.figures import FigureStyle, panel_svgs
from analysis.report.page import ReportContext, build_report_html, summary_text

__all__ = ["FigureStyle", "ReportContext", "build_report_html", "panel_svgs", "summary_text"]
