"""The nerve-friendly envelope: exercise profiles and the rules checked against the angles.

Profiles (``profiles`` and the built-in TOML files in ``profiles/``), the offline checker and
its results (``checker``), the live monitor (``monitor``), what a sensor set cannot check
(``unchecked``), symptom marks and red flags (``symptoms``) and the clinical tests: the
straight-leg raise and nerve-or-muscle differentiation (``clinical``).

It reads angle columns by name (:mod:`analysis.recording.schema`) and never imports
:mod:`analysis.angles`; the report reads only its results.
"""

from __future__ import annotations

from analysis._exports import lazy_exports

_WHERE = {
    "check_envelope": "checker",
    "DifferentiationTest": "clinical",
    "SlrResult": "clinical",
    "differentiation_tests": "clinical",
    "EnvelopeMonitor": "monitor",
    "MonitorState": "monitor",
    "Profile": "profiles",
    "builtin_profile_names": "profiles",
    "load_builtin_profile": "profiles",
    "parse_profile": "profiles",
    "profile_for_exercise": "profiles",
    "read_profile_text": "profiles",
    "EnvelopeResult": "results",
    "Episode": "results",
    "Hold": "results",
    "MarkResult": "results",
    "RuleResult": "results",
    "NotChecked": "unchecked",
    "not_checked": "unchecked",
}

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

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
