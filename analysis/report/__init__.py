"""The self-contained HTML report and the terminal summary (``page``) and its SVG figures
(``figures``). It reads the envelope's results and the angle table; it computes no angles.
"""

from __future__ import annotations

from analysis.report.figures import FigureStyle, panel_svgs
from analysis.report.page import ReportContext, build_report_html, summary_text

__all__ = ["FigureStyle", "ReportContext", "build_report_html", "panel_svgs", "summary_text"]
