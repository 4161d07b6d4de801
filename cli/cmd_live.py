"""``stretchguard live``: record a session from BLE sensors (or virtual ones), guided.

The recording part of the live view: sensors are found and connected one by one, stream
together, and every sample is written to the canonical recording as it arrives (flushed
every second). The screen shows the guided protocol's prompts (stand still — bend your
knees and swing your legs — start the exercise; their timing becomes the sidecar's
calibration windows) and each sensor's state, sample rate and problems; ``m`` or space marks a
symptom, ``q`` stops. Ctrl-C, SIGTERM and SIGHUP also stop cleanly: the sidecar is always
written (and kept up to date while recording, so even SIGKILL leaves one a second or two old).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from analysis.envelope.profiles import load_builtin_profile, profile_for_exercise
from analysis.errors import ConfigError, OutputExistsError
from analysis.recording.inputs import MAX_RATE_HZ
from analysis.recording.schema import PLACEMENTS
from analysis.simulation import SCENARIOS, list_scenarios, natural_duration_s
from cli.common import quiet_bumble
from cli.live_angles import LiveAngles
from cli.live_feed import next_command
from cli.live_marks import LiveMarks
from cli.live_tests import LiveTests
from cli.live_view import KeyReader, LiveView
from cli.live_web import add_web_arguments
from cli.speech import CueVoice, Speaker
from cli.text import printable
from sensors.ble import SYSTEM, bumble_backend
from sensors.families.base import Family
from sensors.formats.canonical import sidecar_path
from sensors.session.config import (
    SessionConfig,
    config_from_flags,
    load_session_config,
)
from sensors.session.live import LiveSession
from sensors.session.protocol import GuidedProtocol, default_steps
from sensors.session.recording import RecordingResult, record_session
from sensors.virtual.rig import MIXED_FAMILIES
from sensors.virtual.scenario import (
    record_virtual_session,
    scenario_sources,
    serve_virtual_sensors,
)

log = logging.getLogger(__name__)

DEFAULT_PROFILE = "standing_hamstring"
"""Profile of the live envelope when neither --exercise nor the session names one."""

DESCRIPTION = """\
Connect to the configured sensors (one at a time), stream them together and record every
sample to a canonical recording FILE.csv with its sidecar FILE.json, as the data arrive.
Nothing is ever overwritten. A dropped sensor is reconnected automatically; the gap is noted
in the sidecar together with each sensor's packet statistics (corrupt/truncated packets).

Sensors: --config SESSION.toml (see docs/ble.md), or --sensor NAME_OR_ADDRESS=placement
(repeatable; names and addresses as `stretchguard scan` shows them), or --virtual SCENARIO
(virtual sensors of four families streaming a simulated scenario through a real BLE stack
in software: thigh MetaWear, shank Movesense, foot Movella DOT, pelvis Polar).

The screen guides the calibration protocol: stand still (--stand-s), then slow knee bends,
leg swings and two slow bows forward from the hips, back straight (the pelvis must tip
forward) (--move-s), then the exercise; the completed windows are written as calibration
windows. When the movements were not enough (the pelvis barely tipped), the screen says why
and asks for them once more (at most twice; every attempt is noted in the sidecar); what
still cannot be established shows as uncertain, with what to do next time.
Keys: m or space marks a symptom; a digit (where: 1 heel … 7 low back) and a letter (what:
s stretch, p pain, t tingling, b burning, n numbness, e electric, w weakness, o a pop) label
it — the key map is on the screen; a / l start a "nerve or muscle?" test (toes up and away /
look down and up), answered with + more, - less, = same; f and x mark P1 and P2 of a
straight-leg raise; q stops. Cues and hold milestones are spoken (espeak-ng, say or the
Windows voice; a bell without one) unless --quiet.
Placements: """ + ", ".join(PLACEMENTS)
EPILOG = """\
examples:
  stretchguard live --virtual standing_dorsiflexion --out demo.csv --duration-s 60
  stretchguard live --sensor MetaWear=right_thigh --sensor "Movella DOT=right_foot" --out s1.csv
  stretchguard live --config session.toml --out s2.csv
two processes (virtual sensors served over local TCP HCI):
  stretchguard live --virtual standing_correct --serve tcp-server:_:9001
  stretchguard live --hci tcp-client:127.0.0.1:9001 --sensor MetaWear=right_thigh --out s3.csv
"""


MAX_PROMPT_S = 600.0
"""Longest calibration prompt (``--stand-s``, ``--move-s``): 10 min."""

MAX_SPEED = 100.0
"""Fastest virtual world (``--speed``): at 1e9 the sensors' first batch held about 1e9 samples
each and the process neither ended nor answered SIGTERM."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``live``."""
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--virtual", metavar="SCENARIO", help="virtual sensors, simulated scenario")
    src.add_argument("--config", metavar="SESSION.toml", help="session file: sensors → placements")
    src.add_argument(
        "--sensor",
        action="append",
        metavar="NAME_OR_ADDRESS=PLACEMENT",
        help="a sensor and where it is worn (repeatable)",
    )
    parser.add_argument(
        "--out", metavar="FILE.csv", help="the recording to write (never overwritten)"
    )
    parser.add_argument(
        "--duration-s",
        type=float,
        help="stop after this many seconds from the first prompt; nothing later is recorded "
        "(default: until q or Ctrl-C; virtual: the scenario's length)",
    )
    parser.add_argument("--rate-hz", type=float, help="sample rate (each sensor's nearest)")
    parser.add_argument("--exercise", help="exercise name for the sidecar")
    parser.add_argument("--side", choices=("left", "right"), help="stretched side for the sidecar")
    parser.add_argument("--scan-timeout-s", type=float, help="how long to look for the sensors")
    parser.add_argument("--connect-timeout-s", type=float, help="bound of one connection attempt")
    parser.add_argument(
        "--stand-s", type=float, default=5.0, help="stand-still prompt (5 s; at most 600)"
    )
    parser.add_argument(
        "--move-s",
        type=float,
        default=20.0,
        help="knee bends, leg swings, bows (20 s; at most 600)",
    )
    parser.add_argument("--hci", metavar="TRANSPORT", help="bumble HCI transport as the adapter")
    parser.add_argument("--no-display", action="store_true", help="no live screen (logs only)")
    add_web_arguments(parser)
    parser.add_argument(
        "--quiet", action="store_true", help="no spoken cues or bell (the screen still shows them)"
    )
    virt = parser.add_argument_group("virtual sensors")
    virt.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help=f"run the virtual world N× faster (default 1, at most {MAX_SPEED:g})",
    )
    virt.add_argument("--seed", type=int, default=0, help="seed of the simulation and clocks")
    virt.add_argument(
        "--families",
        metavar="PLACEMENT=FAMILY,...",
        help="which family sits where (default "
        + ",".join(f"{p}={f.value}" for p, f in MIXED_FAMILIES.items())
        + ")",
    )
    virt.add_argument(
        "--serve",
        metavar="TRANSPORT",
        help="only serve the virtual sensors to another process through this HCI transport",
    )


def _families(text: str | None) -> dict[str, Family]:
    if not text:
        return dict(MIXED_FAMILIES)
    out: dict[str, Family] = {}
    for item in text.split(","):
        placement, sep, family = item.strip().partition("=")
        if not sep or placement not in PLACEMENTS:
            raise ConfigError(
                f"--families {item!r}: expected PLACEMENT=FAMILY with a placement of "
                f"{', '.join(PLACEMENTS)}"
            )
        try:
            out[placement] = Family(family)
        except ValueError:
            raise ConfigError(
                f"--families {item!r}: unknown family {family!r}; expected one of "
                f"{', '.join(f.value for f in Family)}"
            ) from None
    return out


def _session_config(args: argparse.Namespace) -> SessionConfig:
    config = load_session_config(args.config) if args.config else config_from_flags(args.sensor)
    changes = {
        "rate_hz": args.rate_hz,
        "exercise": args.exercise,
        "side": args.side,
        "scan_timeout_s": args.scan_timeout_s,
        "connect_timeout_s": args.connect_timeout_s,
    }
    return config.with_options(**{k: v for k, v in changes.items() if v is not None})


def _refuse_existing(out: Path) -> None:
    for p in (out, sidecar_path(out)):
        if p.exists():
            raise OutputExistsError(p)


class _Screen:
    """Live display + keys around one recording (or plain logging without a terminal)."""

    def __init__(
        self,
        out: Path,
        *,
        display: bool,
        exercise: str | None,
        side: str | None,
        quiet: bool = False,
    ) -> None:
        self.out = out
        self.display = display and sys.stderr.isatty()
        # spoken cues only with the live screen (never from scripts, pipes or tests)
        self.voice = CueVoice(Speaker(quiet=quiet or not self.display))
        self.exercise = exercise
        self.side = side
        self.angles: LiveAngles | None = None
        self.stop = asyncio.Event()
        self.extra: dict[str, object] = {}
        """Sidecar extras decided while recording (the signal that stopped it)."""
        self.slowed_s = 0.0
        """Real seconds a virtual world faster than real time waited for this process."""
        self.view: LiveView | None = None
        self._live: Live | None = None
        self._keys: KeyReader | None = None

    def attach(self, session: LiveSession, protocol: GuidedProtocol) -> Callable[[], None]:
        self.view = LiveView(session, protocol, out_name=self.out.name)
        view = self.view
        exercise = self.exercise or session.config.exercise
        profile = (
            profile_for_exercise(exercise) if exercise else load_builtin_profile(DEFAULT_PROFILE)
        )
        placements = tuple(a.placement for a in session.config.sensors)

        def configured_rate() -> float | None:
            rates = [s.rate_hz for s in session.status() if s.rate_hz]
            return max(rates) if rates else None

        self.angles = LiveAngles(
            placements,
            rate_hz=configured_rate,
            profile=profile,
            side=self.side or session.config.side or "right",
            protocol=protocol,
            on_cue=self._cue_to(view),
            markers=session.markers,
        )
        session.add_sink(self.angles)
        view.panels.insert(1, self.angles.panel)  # the envelope and cues above the sensor table
        angles = self.angles

        marks = LiveMarks(session.markers, session.now_s)
        view.panels.insert(2, marks.panel)
        guide = LiveTests(
            session.markers,
            session.now_s,
            side=angles.side,
            engaged=lambda: angles.state is not None and angles.state.engaged,
        )
        view.panels.insert(3, guide.panel)

        def on_key(key: str) -> None:
            if guide.handles(key):
                view.note(guide.press(key))
            elif marks.handles(key):
                view.note(marks.press(key) or "")
            elif key in ("m", "M", " "):
                marker = session.add_marker("symptom")
                view.note(f"symptom marked at {marker.t_s:.1f} s")
            elif key in ("q", "Q"):
                self.stop.set()
                view.note("stopping ...")

        if self.display:
            self._live = Live(
                view.render(), console=Console(file=sys.stderr), auto_refresh=False, transient=False
            )
            self._live.start()
            self._keys = KeyReader(on_key).__enter__()

        def tick() -> None:
            angles.tick(session.now_s())
            if (late := angles.lag.sidecar()) is not None:
                self.extra["live_lag"] = late  # when the screen was behind the sensors
            if (redecided := angles.sidecar()) is not None:
                self.extra["calibration_redecided"] = redecided  # axes/signs re-taken later
            if angles.state is not None:
                guide.tick(angles.state.t_s, angles.latest)
            st = angles.state
            if st is not None:
                self.voice.hold(st.hold_s if st.engaged else 0.0, st.hold_target_s)
            if self._live is not None:
                self._live.update(view.render(), refresh=True)

        return tick

    def _cue_to(self, view: LiveView) -> Callable[[str], None]:
        def on_cue(cue: str) -> None:
            view.note(f"cue: {cue}")
            self.voice.cue(cue)

        return on_cue

    def close(self) -> None:
        self.voice.speaker.close()
        if self.angles is not None:
            self.angles.close()
        if self._keys is not None:
            self._keys.__exit__(None, None, None)
            self._keys = None
        if self._live is not None:
            self._live.stop()
            self._live = None


def _stop_on_signals(screen: _Screen) -> None:
    """SIGTERM and SIGHUP end the recording like ``q``: sensors stopped, sidecar final."""
    loop = asyncio.get_running_loop()

    def stop(name: str) -> None:
        screen.extra["stopped_by"] = name
        screen.stop.set()
        log.warning("%s: stopping the recording", name)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop, sig.name)


STACK_RACE_KEY = "ble_stack_late_answers"
"""Sidecar extra: answers the BLE stack dropped because their request had been given up."""


def _from_bumble(exc: BaseException) -> bool:
    """True when ``exc`` was raised inside the ``bumble`` package."""
    tb = exc.__traceback__
    while tb is not None:
        if "bumble" in Path(tb.tb_frame.f_code.co_filename).parts:
            return True
        tb = tb.tb_next
    return False


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def _stack_races_said(screen: _Screen) -> None:
    """One line, not a traceback, when bumble trips on an answer to a request given up.

    bumble sets an answer on its request's future without asking whether the request was
    cancelled meanwhile (a GATT read or an HCI command given up, as a timeout does): an
    answer arriving just then raised ``asyncio.InvalidStateError`` from the stack's packet
    callback, printed as a 50-line traceback (``--speed 50`` on a loaded computer). Only
    that answer is lost — its request had been given up — so it is counted in the sidecar
    (:data:`STACK_RACE_KEY`) and said once; any other error goes to the loop's handler.
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, asyncio.InvalidStateError) and _from_bumble(exc):
            said = STACK_RACE_KEY in screen.extra
            screen.extra[STACK_RACE_KEY] = _count(screen.extra.get(STACK_RACE_KEY)) + 1
            if not said:
                log.warning(
                    "the BLE stack dropped an answer that came after its request was given "
                    "up (bumble: InvalidStateError); recording goes on"
                )
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


async def _live_real(args: argparse.Namespace, out: Path, screen: _Screen) -> RecordingResult:
    _stop_on_signals(screen)
    _stack_races_said(screen)
    config = _session_config(args)
    backend = await bumble_backend(args.hci) if args.hci else SYSTEM
    try:
        session = LiveSession(config, backend=backend)
        protocol = GuidedProtocol(default_steps(stand_s=args.stand_s, move_s=args.move_s))
        tick = screen.attach(session, protocol)
        return await record_session(
            session,
            out,
            duration_s=args.duration_s,
            protocol=protocol,
            stop=screen.stop,
            on_tick=tick,
            extra=screen.extra,
        )
    finally:
        await backend.close()


async def _live_virtual(args: argparse.Namespace, out: Path, screen: _Screen) -> RecordingResult:
    _stop_on_signals(screen)
    _stack_races_said(screen)
    families = _families(args.families)
    rates = dict.fromkeys(families, args.rate_hz) if args.rate_hz else None
    sources = scenario_sources(args.virtual, families, seed=args.seed, rates_hz=rates)
    duration = args.duration_s if args.duration_s is not None else natural_duration_s(args.virtual)
    result = await record_virtual_session(
        out,
        args.virtual,
        families=families,
        duration_s=duration,
        speed=args.speed,
        seed=args.seed,
        rates_hz=rates,
        sources=sources,
        observe=screen.attach,
        stop=screen.stop,
        extra=screen.extra,
        # real time, as with real sensors (a busy host falls behind them); a world run faster
        # waits for this process instead: unpaced, a loaded host fell ever further behind
        # (--speed 50: 3.8 GB after 20 min, nothing recorded)
        paced=args.speed > 1.0,
    )
    screen.slowed_s = result.slowed_s
    return result.recording


SLOWED_SAY_S = 1.0
"""A virtual world held back this long (real s) or more is said at the end."""


def slowed_words(slowed_s: float, speed: float) -> str | None:
    """The end-of-session line for a virtual world that waited for this process.

    ``slowed_s``: real seconds it waited; ``speed``: ``--speed``. None under
    :data:`SLOWED_SAY_S`.
    """
    if not slowed_s >= SLOWED_SAY_S:
        return None
    return (
        f"  note: this computer was busy, so the virtual world waited {slowed_s:.0f} s for it "
        f"(slower than --speed {speed:g})"
    )


ARRIVED_SAY_SHARE = 0.9
"""A sensor whose samples fall under this share of those due over the recording is said."""


def _arrived_words(samples: int, rate_hz: float | None, duration_s: float) -> str:
    """After a sensor's summary line: how few of its samples due arrived ("" when most did).

    A virtual world run faster than this computer can carry (``--speed 50`` on a busy
    machine) ends with each sensor's samples stopping at a different time, the rest still
    on their way: the recording's spans then differ per sensor.
    """
    if not rate_hz or not duration_s > 0:
        return ""
    due = rate_hz * duration_s
    share = samples / due
    if share >= ARRIVED_SAY_SHARE:
        return ""
    return f"  only {100 * share:.0f} % of the {due:.0f} samples due arrived"


def _summary(result: RecordingResult) -> str:
    meta = result.meta
    how = result.ended_by
    if meta.extra.get("stopped_by"):
        how += f" by {meta.extra['stopped_by']}"
    lines = [
        f"recorded {result.duration_s:.1f} s ({how}): {result.csv_path} "
        f"+ {result.sidecar_path.name}, {result.rows} samples"
    ]
    packets = meta.extra.get("packets", {})
    for placement, info in meta.sensors.items():
        c = packets.get(placement, {})
        bad = c.get("corrupt", 0) + c.get("truncated", 0) + c.get("unknown", 0)
        line = (
            f"  {placement:<12} {info.family or '?':<12} {c.get('samples', 0):>8} samples"
            f"  {bad} bad packets  {c.get('reconnects', 0)} reconnects"
        )
        # what arrived after the end (while the sensors were stopped) is not in the recording
        kept = c.get("samples", 0) - result.after_end.get(placement, 0)
        lines.append(line + _arrived_words(kept, info.rate_hz, result.duration_s))
    for g in meta.gaps:
        lines.append(f"  gap {g.sensor}: [{g.start_s:.2f}, {g.end_s:.2f}) s ({g.reason})")
    if after := sum(result.after_end.values()):
        lines.append(
            f"  {after} samples that arrived after the end (while the sensors were being "
            "stopped) were not recorded"
        )
    for m in meta.markers:
        lines.append(f"  mark at {m.t_s:.1f} s: {m.label}")
    cal = meta.calibration
    if cal is None or cal.static_s is None:
        lines.append("  note: the stand-still window was not completed (no calibration windows)")
    return "\n".join(printable(line, multiline=False) for line in lines)


def _check_numbers(args: argparse.Namespace) -> None:
    """Refuse an absurd ``--speed``, ``--rate-hz``, ``--duration-s``, ``--stand-s`` or ``--move-s``.

    (``--rate-hz``: the same bound as every recording, ``inputs.MAX_RATE_HZ``.)
    """
    if args.speed is not None and not 0 < args.speed <= MAX_SPEED:
        raise ConfigError(f"--speed must be in (0, {MAX_SPEED:g}], got {args.speed}")
    if args.rate_hz is not None and not 0 < args.rate_hz <= MAX_RATE_HZ:
        # 0 was taken as "the default"; 1e9 made each virtual sensor stream at 1e9 Hz
        # (11 GB within minutes, on past SIGTERM)
        raise ConfigError(f"--rate-hz must be in (0, {MAX_RATE_HZ:g}] Hz, got {args.rate_hz}")
    if args.duration_s is not None and not args.duration_s > 0:
        raise ConfigError(f"--duration-s must be positive, got {args.duration_s}")
    for option, value in (("--stand-s", args.stand_s), ("--move-s", args.move_s)):
        if not 0 < value <= MAX_PROMPT_S:  # nan, -5 or 1e12: the guide never moved on
            raise ConfigError(f"{option} must be in (0, {MAX_PROMPT_S:g}] s, got {value}")


def run(args: argparse.Namespace) -> int:
    """Record a live session (or serve virtual sensors with --serve)."""
    quiet_bumble(args)
    _check_numbers(args)
    if args.virtual and args.virtual not in list_scenarios():
        raise ConfigError(
            f"unknown scenario {args.virtual!r}; expected one of {', '.join(list_scenarios())}"
        )
    if not args.virtual and (args.speed != 1.0 or args.families or args.serve):
        raise ConfigError("--speed, --families and --serve are for --virtual sessions")
    if args.virtual and args.hci:
        raise ConfigError("--hci is for real (or served) sensors, not --virtual")
    if args.serve:
        families = _families(args.families)
        sources = scenario_sources(args.virtual, families, seed=args.seed)
        print(f"serving {len(families)} virtual sensors on {args.serve} (Ctrl-C to end)")
        asyncio.run(
            serve_virtual_sensors(
                args.serve,
                sources,
                families,
                speed=args.speed,
                seed=args.seed,
                duration_s=args.duration_s,
            )
        )
        return 0
    if not args.out:
        raise ConfigError("--out FILE.csv is required (the recording to write)")
    out = Path(args.out)
    if out.name.endswith(".gz"):
        raise ConfigError("the live recording is written as plain .csv (gzip it afterwards)")
    _refuse_existing(out)
    exercise = args.exercise
    side = args.side
    if args.virtual:
        info = SCENARIOS[args.virtual]
        exercise, side = exercise or info.exercise, side or info.side
    screen = _Screen(
        out,
        display=not args.no_display,
        exercise=exercise,
        side=side,
        quiet=bool(getattr(args, "quiet", False)),
    )
    main = _live_virtual if args.virtual else _live_real
    web = _web_screen(args, out, screen)
    screen = web or screen
    try:
        work = main(args, out, screen)
        result = asyncio.run(web.serve_during(work) if web else work)
    except KeyboardInterrupt:
        screen.close()
        if out.exists() and sidecar_path(out).exists():
            print(f"interrupted: the recording so far is saved in {out}", file=sys.stderr)
        raise
    finally:
        screen.close()
    print(_summary(result))
    slowed = slowed_words(getattr(screen, "slowed_s", 0.0), args.speed)
    if slowed is not None:
        print(slowed)
    _print_verdict(screen, out)
    return 0


def _web_screen(args: argparse.Namespace, out: Path, screen: _Screen) -> Any:
    """With --web: the page around the terminal screen (its address printed first)."""
    from cli.live_web import LOCALHOST, WebScreen

    if not getattr(args, "web", False):
        if args.port or args.host != LOCALHOST:
            raise ConfigError("--port and --host are for --web")
        return None

    web = WebScreen(screen, out, host=args.host, port=args.port)
    print(f"open {web.url}", flush=True)
    return web


LIVE_LIMITS_NOTE = (
    "the live view does not check each sensor's accelerometer against its still positions and "
    "its gyroscope's turns between them; the report does, and may call angles uncertain that "
    "the live view trusted"
)
"""Said after the live verdict: what only the report checks (docs/architecture.md, "Offline
and live"; the accelerometer-prior doubts of ``analysis.angles.tilt_precision``)."""


def _print_verdict(screen: Any, out: Path) -> None:
    """The live view's verdict, what only the report checks, and the command that makes it."""
    angles = getattr(screen, "angles", None)
    if angles is not None:
        print(f"live verdict: {angles.tally.verdict()}")
        for line in getattr(angles.tally, "doubt_lines", list)():
            print(f"live: {line}")
        print(f"note: {LIVE_LIMITS_NOTE}")
    print(f"next: {next_command(out)}")
