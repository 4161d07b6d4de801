"""The HTML report and the plots: content, self-containment, escaping, decimation."""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile, parse_profile
from analysis.recording.stand import LateStand
from analysis.recording.streams import Marker
from analysis.report.figures import (
    BREACH,
    LEFT_PX,
    LINE,
    NARROW,
    RIGHT_PX,
    WIDE,
    WIDTH_PX,
    decimate_minmax,
    mask_runs,
    merge_spans_px,
    panel_svgs,
    time_ticks,
)
from analysis.report.page import RED_FLAGS, ReportContext, build_report_html, summary_text
from tests.analysis.builders import min_jerk_step as _step

HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "a & b $x^2$")


def _session(duration_s: float = 80.0, rate_hz: float = 100.0) -> pd.DataFrame:
    t = np.arange(0.0, duration_s, 1 / rate_hz)

    def pose(v):
        return _step(t, 10, 12, v) - _step(t, duration_s - 20, duration_s - 18, v)

    ankle = pose(-15.0) + _step(t, 30, 31, 25) - _step(t, 38, 39, 25)
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": pose(70.0),
            "right_knee_flexion_deg": pose(18.0),
            "right_ankle_dorsiflexion_deg": ankle,
            "pelvis_anterior_tilt_deg": pose(10.0),
        }
    )


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.tables = 0
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables += 1
        self._in_heading = tag in ("h1", "h2", "h3")

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3"):
            self._in_heading = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_heading:
            self.headings.append(data)


@pytest.fixture(scope="module")
def report() -> tuple[str, _Collector]:
    df = _session()
    profile = parse_profile(
        'extends = "standing_hamstring"\ntitle = "<b>My</b> stretch"\n', source="<i>p</i>.toml"
    )
    marks = [Marker(t_s=33.0 + i, label=label) for i, label in enumerate(HOSTILE)]
    env = check_envelope(
        df, profile, side="right", markers=marks, absent={"lumbar_flexion_deg": "no <trunk>"}
    )
    ctx = ReportContext(
        source_name="<img src=x onerror=alert(2)>.csv",
        notes="</p><script>alert(3)</script>",
        calibration_lines=("quiet stand [0.0, 4.0) s <detected>",),
        calibration={"stand_gyro_rms_deg_s": 0.4, "segments": {}},
        absent={"lumbar_flexion_deg": "no <trunk> sensor"},
        warnings=("right_foot: no data for 0.50 s",),
    )
    page = build_report_html(df, env, ctx)
    parser = _Collector()
    parser.feed(page)
    parser.close()
    return page, parser


def _svgs(page: str, kind: str = "wide") -> list[ET.Element]:
    """The report's inline SVG figures of one kind (``wide`` or ``narrow``), parsed as XML."""
    found = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    figures = [ET.fromstring(f) for f in found]  # every one must be well formed
    return [f for f in figures if kind in (f.get("class") or "").split()]


def _svg(page: str) -> ET.Element:
    """The report's wide figures gathered under one element (one panel per figure)."""
    root = ET.Element("figures")
    root.extend(_svgs(page))
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _angle_paths(svg: ET.Element) -> list[list[tuple[float, float]]]:
    """Vertices of every angle line (the dark stroked paths), in figure pixels."""
    out = []
    for el in svg.iter():
        if _local(el.tag) == "path" and el.get("stroke") == LINE:
            nums = re.findall(r"[ML]([-\d.]+) ([-\d.]+)", el.get("d", ""))
            out.append([(float(x), float(y)) for x, y in nums])
    return out


def test_report_has_the_plot_the_summary_and_the_caveats(report):
    page, doc = report
    svg = _svg(page)
    panels = [el for el in svg.iter() if el.get("class") == "panel"]
    # hip flexion (engagement), ankle, knee, pelvis tilt; lumbar is absent, not drawn
    assert [p.get("data-column") for p in panels] == [
        "right_hip_flexion_deg",
        "right_ankle_dorsiflexion_deg",
        "right_knee_flexion_deg",
        "pelvis_anterior_tilt_deg",
    ]
    assert len(_angle_paths(svg)) == 4
    for kind in ("wide", "narrow"):
        figures = _svgs(page, kind)
        assert len(figures) == 4
        for figure in figures:  # each panel has its own time axis
            texts = [el.text or "" for el in figure.iter() if _local(el.tag) == "tspan"]
            assert "time (min:s)" in texts
            assert "1:00" in texts
    assert doc.tables >= 4
    text = " ".join(doc.text)
    assert "Left the nerve-friendly envelope" in text
    assert "ankle dorsiflexed 10° — point your toes away" in text
    for heading in ("Summary", "Angles over time", "Calibration", "How sure are these numbers?"):
        assert heading in doc.headings
    assert "does not diagnose" in text
    for flag in RED_FLAGS:
        assert flag in text
    assert "no <trunk> sensor" in text  # the reason why lumbar flexion is not measured
    assert "quiet stand [0.0, 4.0) s <detected>" in text
    assert "±6–9°" in text  # typical transverse-plane error


def test_report_is_self_contained(report):
    page, doc = report
    for tag, attrs in doc.tags:
        assert tag not in ("script", "iframe", "object", "embed", "link")
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)
            if key in ("src", "href") and value:
                assert value.startswith("data:"), (tag, key, value[:40])
    # the SVG namespace is a name, not a resource; nothing else may point outside
    names_removed = page.replace("xmlns='http://www.w3.org/2000/svg'", "")
    assert "http://" not in names_removed
    assert "https://" not in names_removed
    assert "default-src 'none'" in page


def test_hostile_strings_stay_text(report):
    _, doc = report
    text = "".join(doc.text)
    for label in HOSTILE:
        assert label in text
    assert "<img src=x onerror=alert(2)>.csv" in text
    assert "</p><script>alert(3)</script>" in text
    assert "<b>My</b> stretch" in text
    assert "<i>p</i>.toml" in text
    # the only tags are the report's own
    assert {tag for tag, _ in doc.tags} <= {
        "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p",
        "span", "b", "i", "br", "div", "table", "thead", "tbody", "tr", "th", "td", "img",
        "ul", "li", "code", "figure",
        "svg", "g", "clippath", "rect", "path", "line", "text", "tspan",
    }  # fmt: skip


def test_summary_text_lists_verdict_episodes_and_holds():
    df = _session()
    env = check_envelope(df, load_builtin_profile("standing_hamstring"), side="right")
    text = summary_text(env, source_name="s.csv")
    assert "[outside]" in text
    assert "ankle dorsiflexed 10° — point your toes away" in text
    assert "holds:" in text
    assert "lumbar_flexion" in text
    assert "not measured" in text


def test_decimation_keeps_every_extreme():
    rng = np.random.default_rng(5)
    t = np.arange(100_003) / 100.0
    y = rng.normal(size=t.size)
    y[[17, 50_000, 99_999]] = [40.0, -55.0, 33.0]
    y[60_000:61_000] = np.nan  # a 10-s dropout
    td, yd = decimate_minmax(t, y, n_bins=1000)
    assert td.size <= 2 * 1000 + 2
    assert np.nanmax(yd) == 40.0
    assert np.nanmin(yd) == -55.0
    assert 33.0 in yd
    assert np.all(np.diff(td) >= 0)
    assert np.isnan(yd[(td > 600.5) & (td < 609.5)]).all()
    _, short_y = decimate_minmax(t[:50], y[:50], n_bins=1000)
    assert short_y is y[:50] or np.array_equal(short_y, y[:50])


def _decimate_bin_by_bin(t, y, n_bins):
    """The decimation written as its definition: one bin at a time."""
    k = math.ceil(y.size / n_bins)
    ts, ys = [], []
    for a in range(0, y.size, k):
        yb = y[a : a + k]
        finite = np.isfinite(yb)
        if not finite.any():
            ts += [t[a], t[a]]
            ys += [np.nan, np.nan]
            continue
        lo = int(np.argmin(np.where(finite, yb, np.inf)))
        hi = int(np.argmax(np.where(finite, yb, -np.inf)))
        for i in sorted((lo, hi)):
            ts.append(t[a + i])
            ys.append(float(yb[i]))
    return np.array(ts), np.array(ys)


@pytest.mark.parametrize("n", [2_001, 9_999, 10_000, 10_007, 123_457])
def test_decimation_is_its_definition_bin_by_bin(n):
    """Whole bins, a short last bin, dropouts, infinities and ties: the same rows picked."""
    rng = np.random.default_rng(n)
    t = np.cumsum(rng.uniform(0.005, 0.015, n))
    y = rng.normal(size=n).round(1)  # ties: the first of equal extremes is kept
    y[rng.random(n) < 0.01] = np.nan
    y[rng.random(n) < 0.002] = np.inf
    y[rng.random(n) < 0.002] = -np.inf
    y[n // 3 : n // 3 + 400] = np.nan  # whole bins without a finite sample
    y[-3:] = np.nan  # and the short last one
    for values in (y, np.where(np.isfinite(y), y, 0.0), y.astype(np.float32)):
        td, yd = decimate_minmax(t, values, n_bins=1000)
        tr, yr = _decimate_bin_by_bin(t, values, 1000)
        assert yd.dtype == np.float64
        assert np.array_equal(td, tr)
        assert np.array_equal(yd, yr, equal_nan=True)


def test_long_sessions_are_drawn_decimated():
    df = _session(duration_s=3600.0)
    env = check_envelope(df, load_builtin_profile("standing_hamstring"), side="right")
    root = ET.Element("figures")
    root.extend(ET.fromstring(f) for f in panel_svgs(df, env, style=WIDE))
    lines = _angle_paths(root)
    assert len(lines) == 4
    plot_w = WIDTH_PX - LEFT_PX - RIGHT_PX
    assert all(10 < len(vertices) <= 2 * plot_w + 2 for vertices in lines)
    # every vertex inside the plotting area horizontally
    assert all(LEFT_PX - 0.1 <= x <= LEFT_PX + plot_w + 0.1 for v in lines for x, _ in v)
    _, labels, title = time_ticks(0.0, 3000.0)
    assert title == "time (min:s)"
    assert labels[:3] == ["0:00", "5:00", "10:00"]
    _, labels, title = time_ticks(0.0, 3600.0)
    assert (title, labels[-1]) == ("time (h:min:s)", "1:00:00")
    _, labels, title = time_ticks(-2.0, 80.0)
    assert (title, labels[:2]) == ("time (min:s)", ["0:00", "0:10"])
    _, labels, title = time_ticks(0.0, 2.0)
    assert (title, labels[:3]) == ("time (s)", ["0", "0.2", "0.4"])
    narrow = [ET.fromstring(f) for f in panel_svgs(df, env, style=NARROW)]
    assert len(narrow) == 4
    assert all(f.get("viewBox") == f"0 0 {NARROW.width_px} {f.get('height')}" for f in narrow)


def test_the_episode_is_shaded_where_it_happened(report):
    page, _ = report
    svg = _svg(page)
    ankle = next(el for el in svg.iter() if el.get("data-column") == "right_ankle_dorsiflexion_deg")
    shaded = [el for el in ankle.iter() if _local(el.tag) == "path" and el.get("fill") == BREACH]
    assert len(shaded) == 1
    x0, width = map(float, re.match(r"M([-\d.]+) [-\d.]+h([-\d.]+)", shaded[0].get("d")).groups())
    # the scripted dorsiflexion lasts from about 30.5 s to 38.5 s of an 80-s session
    t = lambda x: (x - LEFT_PX) / (WIDTH_PX - LEFT_PX - RIGHT_PX) * (80 - 0.01)  # noqa: E731
    assert 30.0 < t(x0) < 31.5
    assert 37.5 < t(x0 + width) < 39.5
    titles = [el.text for el in ankle.iter() if _local(el.tag) == "title"]
    assert any("point your toes away" in (text or "") for text in titles)


def test_runs_and_pixel_merging():
    t = np.arange(10.0)
    mask = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1, 1], dtype=bool)
    starts, ends = mask_runs(t, mask)
    assert starts.tolist() == [0.0, 4.0, 8.0]
    assert ends.tolist() == [2.0, 5.0, 9.0]
    a, b = merge_spans_px(np.array([0.0, 10.2, 10.0, 40.0]), np.array([10.0, 10.3, 12.0, 40.1]))
    assert a.tolist() == [0.0, 40.0]
    assert b.tolist() == [12.0, 41.0]  # widened to one pixel
    many = np.sort(np.random.default_rng(1).uniform(0, 500, 20_000))
    a, b = merge_spans_px(many, many + 0.05)
    assert a.size <= 500
    assert np.all(a[1:] > b[:-1])


def test_nothing_measured_is_not_presented_as_a_pass():
    df = _session()[["t_s", "right_hip_flexion_deg"]]
    env = check_envelope(df, load_builtin_profile("standing_hamstring"), side="right")
    assert env.verdict == "inside"
    assert env.to_dict()["gating_rules_measured"] == 0
    assert all(r.status == "not_measured" for r in env.rules)
    page = build_report_html(df, env, ReportContext(source_name="hip-only.csv"))
    assert "no gating rule could be measured" in page


def test_a_stand_taken_after_a_seated_opening_is_said_in_the_summary_and_the_json():
    env = check_envelope(_session(), load_builtin_profile("standing_hamstring"), side="right")
    assert "calibration_stand" not in env.to_dict()
    assert "calibration:" not in summary_text(env, source_name="s.csv")
    late = LateStand(opening_s=0.0, stand_s=(8.25, 9.5), protocol_s=3.0, text="stood 1.2 s")
    seated = dataclasses.replace(env, calibration_stand=late)
    assert seated.to_dict()["calibration_stand"] == {
        "taken": "after_opening_in_another_pose",
        "opening_start_s": 0.0,
        "start_s": 8.25,
        "end_s": 9.5,
        "duration_s": 1.25,
        "protocol_s": 3.0,
        "text": "stood 1.2 s",
    }
    lines = summary_text(seated, source_name="s.csv").splitlines()
    assert lines[2] == "  calibration: stood 1.2 s"  # under the verdict
    rest = {k: v for k, v in seated.to_dict().items() if k != "calibration_stand"}
    assert rest == env.to_dict()  # additive: nothing else changes
