"""The nerve-friendly envelope: exercise profiles and the rules checked against the angles.

Profiles (``profiles`` and the built-in TOML files in ``profiles/``), the offline checker and
its results (``checker``), the live monitor (``monitor``), what a sensor set cannot check
(``unchecked``), symptom marks and red flags (``symptoms``) and the clinical tests: the
straight-leg raise and nerve-or-muscle differentiation (``clinical``).

It reads angle columns by name (:mod:`analysis.recording.schema`) and never imports
:mod:`analysis.angles`; the report reads only its results.
"""

from __future__ import annotations

from analysis.envelope.checker import check_envelope
from analysis.envelope.clinical import DifferentiationTest, SlrResult, differentiation_tests
from analysis.envelope.monitor import EnvelopeMonitor, MonitorState
from analysis.envelope.profiles import (
    Profile,
    builtin_profile_names,
    load_builtin_profile,
    parse_profile,
    profile_for_exercise,
    read_profile_text,
)
from analysis.envelope.results import (
    EnvelopeResult,
    Episode,
    Hold,
    MarkResult,
    RuleResult,
)
from analysis.envelope.unchecked import NotChecked, not_checked

__all__ = [
    "DifferentiationTest",
    "EnvelopeMonitor",
    "EnvelopeResult",
    "Episode",
    "Hold",
    "MarkResult",
    "MonitorState",
    "NotChecked",
    "Profile",
    "RuleResult",
    "SlrResult",
    "builtin_profile_names",
    "check_envelope",
    "differentiation_tests",
    "load_builtin_profile",
    "not_checked",
    "parse_profile",
    "profile_for_exercise",
    "read_profile_text",
]
