"""The self-contained HTML report, the terminal summary (``page``) and the SVG figures.

``figures`` draws the panels. The room reads the envelope's results and the angle table; it
computes no angles.
"""

from __future__ import annotations

from analysis._exports import lazy_exports

_WHERE = {
    "FigureStyle": "figures",
    "panel_svgs": "figures",
    "ReportContext": "page",
    "build_report_html": "page",
    "summary_text": "page",
}

__all__ = ["FigureStyle", "ReportContext", "build_report_html", "panel_svgs", "summary_text"]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
