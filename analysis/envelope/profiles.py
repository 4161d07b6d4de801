"""Exercise profiles: the nerve-friendly envelope of one exercise, as validated data.

A profile is a TOML document (the built-in ones live in ``analysis/envelope/profiles/*.toml``) that
names the rules of the envelope (angles from ``analysis.recording.schema.RULE_NAMES``), their
thresholds in degrees, when the user counts as *engaged* in the stretch, the hold target and,
for dynamic exercises, the slider or repetition criteria. :func:`parse_profile` turns the text
into a frozen :class:`Profile` and raises :class:`~analysis.errors.ConfigError` naming the
source and the key for anything malformed: bad TOML (with its line), unknown keys or angle
names, wrong types and impossible thresholds.

Angles are the joint angles of ``docs/conventions.md`` (degrees, relative to the quiet
stand): leg angles are taken on the exercised side, so a rule ``knee_flexion`` reads
``{side}_knee_flexion_deg``. This module reads only package data (the built-in profiles);
user files are read by the CLI and passed in as text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Final, Literal

from analysis.errors import ConfigError
from analysis.recording import inputs
from analysis.recording.config_files import Table, parse_toml, read_text, toml_key_lines
from analysis.recording.schema import (
    AXIAL_ANGLES,
    FALLBACK_COLUMNS,
    RULE_NAMES,
    SIDES,
    angle_column,
    thigh_inclination_column,
)

PROFILE_FORMAT: Final = "stretchguard-profile/1"
"""Value of the optional top-level ``format`` key of a profile."""

ProfileKind = Literal["hold", "slider", "eccentric", "test"]
PROFILE_KINDS: Final[tuple[str, ...]] = ("hold", "slider", "eccentric", "test")
"""``test``: an informal test read from marks (the straight-leg raise: P1/P2, ``clinical``);
its rules keep the test conditions standard."""

ANGLE_NAMES: Final = (
    "hip_flexion",
    "hip_adduction",
    "hip_internal_rotation",
    "knee_flexion",
    "ankle_dorsiflexion",
    "thigh_inclination",
    "pelvis_anterior_tilt",
    "lumbar_flexion",
    "neck_flexion",
)
"""Angle names a profile may use (DESIGN §3 names without side and unit)."""

PLANE_OF_ANGLE: Final[Mapping[str, str]] = {
    "hip_flexion": "sagittal",
    "knee_flexion": "sagittal",
    "ankle_dorsiflexion": "sagittal",
    "thigh_inclination": "sagittal",
    "pelvis_anterior_tilt": "sagittal",
    "lumbar_flexion": "sagittal",
    "neck_flexion": "sagittal",
    "hip_adduction": "frontal",
    "hip_internal_rotation": "transverse",
}

MIN_HYSTERESIS_DEG: Final[Mapping[str, float]] = {
    "sagittal": 3.0,
    "frontal": 5.0,
    "transverse": 5.0,
}
"""DESIGN §5 gates: at least the typical IMU error of the plane (anchors.md §1)."""

CUE_FIELDS: Final = frozenset({"peak", "limit", "excess"})
"""Placeholders a cue template may use: ``{peak}`` the worst angle of the episode, ``{limit}``
the envelope edge and ``{excess}`` how far past the edge the peak went (all degrees, ≥ 0 for
``excess``); standard format specs apply (``{excess:.0f}``)."""


def _minus(text: str) -> str:
    """Typographic minus for negative numbers in user-facing text (``-8°`` → ``−8°``)."""
    return re.sub(r"(?<![\w.])-(?=\d)", "\u2212", text)


def angle_column_for(angle: str, side: str) -> str:
    """The ``angles.csv`` column of a profile angle name on ``side``.

    Leg angles and thigh inclination are sided (``right_knee_flexion_deg``); pelvis tilt,
    lumbar and neck flexion are axial (``lumbar_flexion_deg``).
    """
    if angle not in ANGLE_NAMES:
        raise ValueError(f"unknown angle {angle!r}; expected one of {', '.join(ANGLE_NAMES)}")
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if angle == "thigh_inclination":
        return thigh_inclination_column(side)
    axial = f"{angle}_deg"
    if axial in AXIAL_ANGLES:
        return axial
    joint, motion = angle.split("_", 1)
    return angle_column(side, joint, motion)


def measured_column_for(angle: str, side: str, available: Mapping[str, Any]) -> str:
    """The column that judges ``angle``: its own, or a stand-in when its own is not measured.

    ``neck_flexion`` reads ``neck_flexion_deg`` (head relative to the trunk) and, when no
    trunk sensor is worn, ``head_flexion_rel_pelvis_deg`` (schema.FALLBACK_COLUMNS). Without
    either the angle's own column is returned (and is then not measured).
    """
    own = angle_column_for(angle, side)
    if own in available:
        return own
    return next((c for c in FALLBACK_COLUMNS.get(own, ()) if c in available), own)


# --- the profile as data ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RuleSpec:
    """One gate of the envelope on one angle.

    Exactly one of ``max_deg`` (outside when the angle rises above it) and ``min_deg``
    (outside when it falls below it) is set. The state returns inside only once the angle is
    ``hysteresis_deg`` back on the inside of the edge, and any change of state must persist
    ``dwell_s`` seconds to count. ``warn_deg`` lies beyond the edge: an episode whose peak
    passes it is a *clear* breach, one that stays between edge and ``warn_deg`` is
    *borderline* (within the measurement error of the edge). Advisory rules are reported but
    neither set the verdict nor interrupt a hold.
    """

    name: str
    max_deg: float | None = None
    min_deg: float | None = None
    warn_deg: float | None = None
    hysteresis_deg: float
    dwell_s: float
    advisory: bool = False
    cue: str
    basis: str = ""

    @property
    def limit_deg(self) -> float:
        """The envelope edge (``max_deg`` or ``min_deg``)."""
        value = self.max_deg if self.max_deg is not None else self.min_deg
        assert value is not None
        return value

    @property
    def upper(self) -> bool:
        """True when the rule is an upper limit (outside = above ``max_deg``)."""
        return self.max_deg is not None

    @property
    def plane(self) -> str:
        """Anatomical plane of the rule's angle: sagittal, frontal or transverse."""
        return PLANE_OF_ANGLE[self.name]

    def describe(self) -> str:
        """The allowed range in words, e.g. ``"≤ 0°"`` or ``"≥ −3°"``."""
        op = "≤" if self.upper else "≥"
        return _minus(f"{op} {self.limit_deg:g}°")

    def format_cue(self, peak_deg: float) -> str:
        """The cue for an episode whose worst angle was ``peak_deg``."""
        excess = (peak_deg - self.limit_deg) if self.upper else (self.limit_deg - peak_deg)
        text = self.cue.format(peak=peak_deg, limit=self.limit_deg, excess=max(excess, 0.0))
        return _minus(text.replace("-0°", "0°"))


@dataclass(frozen=True, kw_only=True)
class EngagedCriterion:
    """A condition on one angle: ``angle`` ≥ ``min_deg`` or ``angle`` ≤ ``max_deg``.

    Exactly one bound is set. Once met, the condition holds until the angle is
    ``hysteresis_deg`` back on the other side of the bound.
    """

    angle: str
    min_deg: float | None = None
    max_deg: float | None = None
    hysteresis_deg: float
    through_tuck: bool = False
    """Hip flexion only: a pelvis tipped back (``pelvis_anterior_tilt`` < 0) is added back,
    so the angle judged is the larger of the hip's flexion and the thigh's elevation
    (hip flexion − pelvis tilt). Tucking the pelvis under takes hip flexion away one for one
    while the leg stays where it is; it is a fault of the stretch, not the end of it."""

    @property
    def bound_deg(self) -> float:
        """The bound (``min_deg`` or ``max_deg``)."""
        value = self.min_deg if self.min_deg is not None else self.max_deg
        assert value is not None
        return value

    def describe(self) -> str:
        """E.g. ``"hip flexion ≥ 45°"``."""
        op = "≥" if self.min_deg is not None else "≤"
        return f"{self.angle.replace('_', ' ')} {op} {self.bound_deg:g}°"


@dataclass(frozen=True, kw_only=True)
class EngagedSpec:
    """When the stretch is judged.

    The first of ``criteria`` whose angle is measured decides (e.g. hip flexion, else thigh
    inclination); every condition of ``require`` whose angle is measured must hold as well
    (e.g. "lying down" for the supine stretch). Engagement must persist ``dwell_s`` to count
    (calibration leg swings and getting into position are not judged); dips shorter than
    ``dwell_s`` do not end it.
    """

    criteria: tuple[EngagedCriterion, ...]
    require: tuple[EngagedCriterion, ...] = ()
    dwell_s: float


@dataclass(frozen=True, kw_only=True)
class HoldSpec:
    """Continuous engaged time inside the envelope; the target and the "short" limit.

    ``max_rate_deg_s`` makes a hold a *held* position: a stretch of time where the
    engagement angle moves faster than ``release_rate_deg_s`` (default half of
    ``max_rate_deg_s``; rate smoothed over ``rate_window_s``) and somewhere faster than
    ``max_rate_deg_s`` is transition, not hold (``checker.moving``).
    """

    target_s: float
    short_s: float
    max_rate_deg_s: float | None = None
    rate_window_s: float = 0.5
    release_rate_deg_s: float | None = None

    @property
    def still_rate_deg_s(self) -> float | None:
        """The rate (°/s) below which a movement is over (None without a rate limit).

        ``release_rate_deg_s`` when set, else half of ``max_rate_deg_s``.
        """
        if self.max_rate_deg_s is None:
            return None
        if self.release_rate_deg_s is not None:
            return self.release_rate_deg_s
        return self.max_rate_deg_s / 2.0


@dataclass(frozen=True, kw_only=True)
class SliderSpec:
    """A nerve slider: oscillation of ``angle`` (peak-to-peak amplitude and rate)."""

    angle: str
    min_amplitude_deg: float
    max_amplitude_deg: float | None = None
    min_rate_hz: float
    max_rate_hz: float
    min_cycles: int = 1
    detect_deg: float
    """Smallest reversal counted as a half-cycle (above the sensor noise)."""


@dataclass(frozen=True, kw_only=True)
class RepetitionSpec:
    """Eccentric repetitions of ``angle``: its range, count and the lengthening tempo.

    The lengthening phase is where ``angle`` moves in ``lengthening`` direction
    (``"decreasing"`` for knee flexion: the knee straightens under hamstring control); its
    duration is timed from 10 % to 90 % of the excursion.
    """

    angle: str
    lengthening: Literal["increasing", "decreasing"]
    min_range_deg: float
    min_lengthening_s: float
    max_lengthening_s: float | None = None
    target_count: int


@dataclass(frozen=True, kw_only=True)
class Profile:
    """A validated exercise profile (see ``docs/envelope.md``)."""

    name: str
    title: str
    kind: ProfileKind
    description: str = ""
    exercises: tuple[str, ...] = ()
    """Other names of this exercise (e.g. a sidecar's ``exercise`` value) that select it."""
    rules: tuple[RuleSpec, ...]
    engaged: EngagedSpec
    hold: HoldSpec
    slider: SliderSpec | None = None
    repetitions: RepetitionSpec | None = None
    source: str = "<profile>"
    warnings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The merged TOML table the profile was built from (for the record in envelope.json)."""

    def rule(self, name: str) -> RuleSpec | None:
        """The rule called ``name``, or None when the profile does not judge it."""
        return next((r for r in self.rules if r.name == name), None)


# --- parsing -------------------------------------------------------------------------------------

_TOP_KEYS = {
    "format",
    "name",
    "title",
    "kind",
    "description",
    "exercises",
    "extends",
    "gates",
    "engaged",
    "hold",
    "rules",
    "slider",
    "repetitions",
}
_RULE_KEYS = {
    "max_deg",
    "min_deg",
    "warn_deg",
    "hysteresis_deg",
    "dwell_s",
    "advisory",
    "cue",
    "basis",
    "enabled",
}


class _Reader(Table):
    """A profile table that also knows the angle names.

    See :class:`~analysis.recording.config_files.Table`.
    """

    def angle(self, name: str) -> str:
        value = self.string(name)
        if value not in ANGLE_NAMES:
            raise self.fail(
                name, f"unknown angle {value!r}; expected one of {', '.join(ANGLE_NAMES)}"
            )
        return value


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge of TOML tables: ``over`` wins; tables merge, everything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def builtin_profile_names() -> tuple[str, ...]:
    """Names of the profiles shipped in ``analysis/envelope/profiles/`` (sorted)."""
    folder = files("analysis.envelope").joinpath("profiles")
    return tuple(
        sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))
    )


def _builtin_text(name: str) -> str:
    if name not in builtin_profile_names():
        raise ConfigError(
            f"unknown exercise profile {name!r}; built-in profiles: "
            f"{', '.join(builtin_profile_names())}"
        )
    return (
        files("analysis.envelope").joinpath("profiles", f"{name}.toml").read_text(encoding="utf-8")
    )


def load_builtin_profile(name: str) -> Profile:
    """The built-in profile ``name`` (see :func:`builtin_profile_names`)."""
    return parse_profile(_builtin_text(name), source=f"<built-in profile {name}>")


def profile_for_exercise(exercise: str) -> Profile:
    """The built-in profile whose name or ``exercises`` list matches ``exercise``.

    Matching ignores case and treats spaces and hyphens as underscores, so a sidecar's
    ``"standing hamstring"`` selects ``standing_hamstring``.
    """
    want = _norm_name(exercise)
    for name in builtin_profile_names():
        prof = load_builtin_profile(name)
        if want in {_norm_name(name), *(_norm_name(e) for e in prof.exercises)}:
            return prof
    raise ConfigError(
        f"no exercise profile for exercise {exercise!r}; built-in profiles: "
        f"{', '.join(builtin_profile_names())} (or pass --profile FILE)"
    )


def _norm_name(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def parse_profile(text: str, *, source: str, base: Profile | None = None) -> Profile:
    """Validate a profile document and build the :class:`Profile`.

    ``text`` is TOML. A document with ``name`` (and no ``extends``) stands alone. With
    ``extends = "NAME"`` (a built-in profile), or without ``name`` when ``base`` is given (the
    session's exercise profile), its tables are merged over that profile's: a user file can
    change one threshold (``[rules.knee_flexion] min_deg = 15``), add a rule, or switch one
    off (``enabled = false``). ``source`` names the document in error messages. Raises
    ConfigError naming ``source`` and the key for every problem.
    """
    data = parse_toml(text, source)
    top = _Reader(data, source=source, lines=toml_key_lines(text))
    extends = data.get("extends")
    if extends is not None:
        if not isinstance(extends, str):
            raise top.wrong("extends", "a profile name", extends)
        if extends not in builtin_profile_names():
            raise top.fail(
                "extends",
                f"unknown profile {extends!r}; built-in profiles: "
                f"{', '.join(builtin_profile_names())}",
            )
        parent = parse_toml(_builtin_text(extends), f"<built-in profile {extends}>")
        data = _merge(parent, {k: v for k, v in data.items() if k != "extends"})
    elif base is not None and "name" not in data:
        data = _merge(dict(base.raw), data)
    return _build(_Reader(data, source=source, lines=top.lines), source)


def _build(top: _Reader, source: str) -> Profile:
    data = top.data
    top.check_keys(_TOP_KEYS)
    fmt = data.get("format", PROFILE_FORMAT)
    if fmt != PROFILE_FORMAT:
        raise top.wrong("format", repr(PROFILE_FORMAT), fmt)
    name = top.string("name")
    if not name.strip():
        raise top.fail("name", "must not be empty")
    kind = top.string("kind", default="hold")
    if kind not in PROFILE_KINDS:
        raise top.wrong("kind", f"one of {', '.join(PROFILE_KINDS)}", kind)
    exercises = top.strings("exercises")
    warnings: list[str] = []

    gates = top.sub("gates")
    gates.check_keys({"dwell_s"})
    dwell_s = gates.req_number("dwell_s", default=1.0, lo=0.0, hi=60.0)

    rules = _rules(top.sub("rules"), dwell_s=dwell_s, warnings=warnings)
    if not rules:
        raise top.fail("rules", "no enabled rule; a profile needs at least one")
    engaged = _engaged(top.sub("engaged", required=True))
    hold = _hold(top.sub("hold"))
    slider = _slider(top.sub("slider")) if "slider" in data else None
    reps = _repetitions(top.sub("repetitions")) if "repetitions" in data else None
    if kind == "slider" and slider is None:
        raise top.fail("slider", "missing; a profile of kind 'slider' needs a [slider] table")
    if kind == "eccentric" and reps is None:
        raise top.fail(
            "repetitions", "missing; a profile of kind 'eccentric' needs a [repetitions] table"
        )
    return Profile(
        name=name,
        title=top.string("title", default=name),
        kind=kind,  # type: ignore[arg-type]
        description=top.string("description", default=""),
        exercises=tuple(exercises),
        rules=rules,
        engaged=engaged,
        hold=hold,
        slider=slider,
        repetitions=reps,
        source=source,
        warnings=tuple(warnings),
        raw=dict(data),
    )


def _rules(table: _Reader, *, dwell_s: float, warnings: list[str]) -> tuple[RuleSpec, ...]:
    out = []
    for rule_name in table.data:
        if rule_name not in RULE_NAMES:
            raise table.fail(rule_name, f"unknown rule; expected one of {', '.join(RULE_NAMES)}")
    # keep the canonical order of RULE_NAMES so reports read the same for every profile
    for rule_name in (n for n in RULE_NAMES if n in table.data):
        r = table.sub(rule_name)
        r.check_keys(_RULE_KEYS)
        if not r.boolean("enabled", default=True):
            continue
        max_deg = r.number("max_deg", required=False, lo=-180.0, hi=180.0)
        min_deg = r.number("min_deg", required=False, lo=-180.0, hi=180.0)
        if (max_deg is None) == (min_deg is None):
            raise r.fail(
                "max_deg" if max_deg is not None else "min_deg",
                "set exactly one of max_deg (outside above it) or min_deg (outside below it)",
            )
        limit = max_deg if max_deg is not None else min_deg
        assert limit is not None
        warn = r.number("warn_deg", required=False, lo=-180.0, hi=180.0)
        if warn is not None:
            if max_deg is not None and warn < max_deg:
                raise r.fail("warn_deg", f"must not be below max_deg ({max_deg:g}°); got {warn:g}°")
            if min_deg is not None and warn > min_deg:
                raise r.fail("warn_deg", f"must not be above min_deg ({min_deg:g}°); got {warn:g}°")
        plane = PLANE_OF_ANGLE[rule_name]
        hyst = r.req_number("hysteresis_deg", default=MIN_HYSTERESIS_DEG[plane], lo=0.0, hi=45.0)
        if hyst < MIN_HYSTERESIS_DEG[plane]:
            warnings.append(
                f"rule {rule_name}: hysteresis {hyst:g}° is below the {plane} IMU error "
                f"({MIN_HYSTERESIS_DEG[plane]:g}°); noise may make verdicts flicker"
            )
        cue = r.string("cue")
        _check_cue(r, cue)
        out.append(
            RuleSpec(
                name=rule_name,
                max_deg=max_deg,
                min_deg=min_deg,
                warn_deg=warn,
                hysteresis_deg=hyst,
                dwell_s=r.req_number("dwell_s", default=dwell_s, lo=0.0, hi=60.0),
                advisory=r.boolean("advisory", default=False),
                cue=cue,
                basis=r.string("basis", default=""),
            )
        )
    return tuple(out)


CUE_MAX_CHARS = 500
"""Longest cue template accepted (a cue is one sentence)."""

CUE_MAX_WIDTH = 32
"""Largest width or precision accepted in a cue placeholder's format spec (``{peak:.1f}``)."""


def _check_cue(r: _Reader, cue: str) -> None:
    if len(cue) > CUE_MAX_CHARS:
        raise r.fail("cue", f"is {len(cue)} characters long; expected at most {CUE_MAX_CHARS}")
    try:
        parts = [(f, spec) for _, f, spec, _ in string.Formatter().parse(cue) if f is not None]
    except ValueError as exc:
        raise r.fail("cue", f"not a valid template ({exc})") from None
    bad = [f for f, _ in parts if f not in CUE_FIELDS]
    if bad:
        raise r.fail(
            "cue",
            f"unknown placeholder {{{bad[0]}}}; allowed: "
            + ", ".join(f"{{{f}}}" for f in sorted(CUE_FIELDS)),
        )
    for f, spec in parts:
        numbers = [int(n) for n in re.findall(r"\d+", spec or "")]
        if "{" in (spec or "") or any(n > CUE_MAX_WIDTH for n in numbers):
            raise r.fail(
                "cue",
                f"format spec {{{f}:{spec}}} is not allowed; expected a plain spec with width and "
                f"precision at most {CUE_MAX_WIDTH} (e.g. {{{f}:.0f}})",
            )
    try:
        cue.format(peak=1.0, limit=0.0, excess=1.0)
    except (ValueError, IndexError, KeyError) as exc:
        raise r.fail("cue", f"not a valid template ({exc})") from None


def read_profile_text(path: str | Path) -> str:
    """The text of a user's profile file, checked against the input policy.

    Only a regular file of at most ``analysis.recording.inputs.PROFILE_MAX_BYTES`` bytes of UTF-8 is
    read (a FIFO or device is refused before it is opened); anything else raises ConfigError
    in one line naming the file.
    """
    return read_text(path, what="profile", cap_bytes=inputs.PROFILE_MAX_BYTES)


def _engaged(table: _Reader) -> EngagedSpec:
    table.check_keys({"dwell_s", "when", "require"})
    raw = table.data.get("when")
    if not isinstance(raw, list) or not raw:
        raise table.wrong("when", "a non-empty array of tables ([[engaged.when]])", raw)
    require = table.data.get("require", [])
    if not isinstance(require, list):
        raise table.wrong("require", "an array of tables ([[engaged.require]])", require)
    return EngagedSpec(
        criteria=_criteria(table, "when", raw),
        require=_criteria(table, "require", require),
        dwell_s=table.req_number("dwell_s", default=2.0, lo=0.0, hi=120.0),
    )


def _criteria(table: _Reader, key: str, raw: list[Any]) -> tuple[EngagedCriterion, ...]:
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise table.wrong(f"{key}[{i}]", "a table", item)
        c = _Reader(item, source=table.source, lines=table.lines, prefix=table.key(f"{key}[{i}]"))
        c.check_keys({"angle", "min_deg", "max_deg", "hysteresis_deg", "through_tuck"})
        angle = c.angle("angle")
        through_tuck = c.boolean("through_tuck", default=False)
        if through_tuck and angle != "hip_flexion":
            raise c.fail("through_tuck", f"applies to hip_flexion only, not {angle}")
        lo = c.number("min_deg", required=False, lo=-180.0, hi=180.0)
        hi = c.number("max_deg", required=False, lo=-180.0, hi=180.0)
        if (lo is None) == (hi is None):
            raise c.fail(
                "min_deg" if lo is not None else "max_deg",
                "set exactly one of min_deg (angle at least) or max_deg (angle at most)",
            )
        out.append(
            EngagedCriterion(
                angle=angle,
                min_deg=lo,
                max_deg=hi,
                hysteresis_deg=c.req_number(
                    "hysteresis_deg",
                    default=MIN_HYSTERESIS_DEG[PLANE_OF_ANGLE[angle]],
                    lo=0.0,
                    hi=45.0,
                ),
                through_tuck=through_tuck,
            )
        )
    return tuple(out)


def _hold(table: _Reader) -> HoldSpec:
    table.check_keys(
        {"target_s", "short_s", "max_rate_deg_s", "rate_window_s", "release_rate_deg_s"}
    )
    target = table.req_number("target_s", default=30.0, lo=0.0, lo_open=True, hi=3600.0)
    short = table.req_number("short_s", default=min(15.0, target), lo=0.0, hi=3600.0)
    if short > target:
        raise table.fail("short_s", f"must not exceed target_s ({target:g} s); got {short:g} s")
    max_rate = table.number("max_rate_deg_s", required=False, lo=0.0, lo_open=True)
    release = table.number("release_rate_deg_s", required=False, lo=0.0, lo_open=True)
    if release is not None and (max_rate is None or release >= max_rate):
        raise table.fail(
            "release_rate_deg_s",
            f"must be below max_rate_deg_s ({max_rate if max_rate is not None else 'unset'}); "
            f"got {release:g}",
        )
    return HoldSpec(
        target_s=target,
        short_s=short,
        max_rate_deg_s=max_rate,
        rate_window_s=table.req_number("rate_window_s", default=0.5, lo=0.0, lo_open=True, hi=10),
        release_rate_deg_s=release,
    )


def _slider(table: _Reader) -> SliderSpec:
    table.check_keys(
        {
            "angle",
            "min_amplitude_deg",
            "max_amplitude_deg",
            "min_rate_hz",
            "max_rate_hz",
            "min_cycles",
            "detect_deg",
        }
    )
    lo_amp = table.req_number("min_amplitude_deg", lo=0.0, lo_open=True, hi=180.0)
    hi_amp = table.number("max_amplitude_deg", required=False, lo=0.0, lo_open=True, hi=360.0)
    if hi_amp is not None and hi_amp <= lo_amp:
        raise table.fail(
            "max_amplitude_deg", f"must exceed min_amplitude_deg ({lo_amp:g}°); got {hi_amp:g}°"
        )
    lo_rate = table.req_number("min_rate_hz", lo=0.0, lo_open=True, hi=20.0)
    hi_rate = table.req_number("max_rate_hz", lo=0.0, lo_open=True, hi=20.0)
    if hi_rate <= lo_rate:
        raise table.fail(
            "max_rate_hz", f"must exceed min_rate_hz ({lo_rate:g} Hz); got {hi_rate:g} Hz"
        )
    detect = table.req_number("detect_deg", default=min(5.0, lo_amp / 2), lo=0.0, lo_open=True)
    if detect > lo_amp:
        raise table.fail(
            "detect_deg", f"must not exceed min_amplitude_deg ({lo_amp:g}°); got {detect:g}°"
        )
    return SliderSpec(
        angle=table.angle("angle"),
        min_amplitude_deg=lo_amp,
        max_amplitude_deg=hi_amp,
        min_rate_hz=lo_rate,
        max_rate_hz=hi_rate,
        min_cycles=table.integer("min_cycles", default=1, lo=1),
        detect_deg=detect,
    )


def _repetitions(table: _Reader) -> RepetitionSpec:
    table.check_keys(
        {
            "angle",
            "lengthening",
            "min_range_deg",
            "min_lengthening_s",
            "max_lengthening_s",
            "target_count",
        }
    )
    direction = table.string("lengthening", default="decreasing")
    if direction not in ("increasing", "decreasing"):
        raise table.wrong("lengthening", "'increasing' or 'decreasing'", direction)
    lo_s = table.req_number("min_lengthening_s", lo=0.0, hi=120.0)
    hi_s = table.number("max_lengthening_s", required=False, lo=0.0, lo_open=True, hi=600.0)
    if hi_s is not None and hi_s <= lo_s:
        raise table.fail(
            "max_lengthening_s",
            f"must exceed min_lengthening_s ({lo_s:g} s); got {hi_s:g} s",
        )
    return RepetitionSpec(
        angle=table.angle("angle"),
        lengthening=direction,  # type: ignore[arg-type]
        min_range_deg=table.req_number("min_range_deg", lo=0.0, lo_open=True, hi=180.0),
        min_lengthening_s=lo_s,
        max_lengthening_s=hi_s,
        target_count=table.integer("target_count", default=1, lo=1),
    )
