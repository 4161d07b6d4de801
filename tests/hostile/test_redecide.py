"""Hostile cases for the live re-decision thread (``analysis.angles.live_redecide``).

The live session re-takes its calibration in the background. A Ctrl-C (or the end of the
session) while a re-decision runs must not keep the process alive until it is done: the
re-decision of a long session replays it all (seconds of CPU; 7 s of wall time measured for a
10-min session on a loaded machine).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = textwrap.dedent(
    """
    import time
    import numpy as np
    from analysis.angles import live_redecide as lr
    from analysis.recording.streams import CalibrationWindows
    from analysis.simulation.population import generate_person, generate_session
    from tests.analysis.builders import feed_live

    def slow(self, parts, at):  # a re-decision that takes long (a long session replayed)
        time.sleep(120.0)

    lr.RedecidingPipeline._redecided = slow
    ses = generate_session(generate_person(158), 0, None, "default")
    streams = ses.recording().streams
    windows = CalibrationWindows(static_s=ses.static_s, functional_s=ses.functional_s)
    live = lr.RedecidingPipeline(streams, rate_hz=100.0)
    cal_at = windows.functional_s[1] + 0.5
    pos = dict.fromkeys(streams, 0)
    for now in np.union1d(np.arange(0.0, 90.0, 1.0), [cal_at]):
        feed_live(live, streams, pos, now)
        live.step()
        if not live.calibrated and now >= cal_at:
            live.calibrate(windows)
        if live._pending is not None:
            break
    assert live._pending is not None
    try:
        raise KeyboardInterrupt  # Ctrl-C: the live command closes the pipeline and ends
    except KeyboardInterrupt:
        live.close()
        print("closed", flush=True)
    """
)


def test_ctrl_c_while_a_redecision_runs_ends_the_process_at_once() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _SCRIPT],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stderr is not None
            line = proc.stdout.readline()  # the session is generated and fed first
            assert line.strip() == "closed", proc.stderr.read()
            closed = time.monotonic()
            _out, err = proc.communicate(timeout=20.0)
            assert time.monotonic() - closed < 10.0
            assert proc.returncode == 0, err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
