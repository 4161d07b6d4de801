"""Session configuration: TOML files and ``--sensor`` flags, and the guided protocol's windows."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import ConfigError
from sensors.families.base import Family
from sensors.session.config import (
    SessionConfig,
    config_from_flags,
    load_session_config,
    parse_sensor_flag,
)
from sensors.session.protocol import GuidedProtocol, default_steps, steps_from_windows

GOOD = """\
exercise = "standing_hamstring"
side = "right"
rate_hz = 100
scan_timeout_s = 7.5

[sensors]
right_thigh = "MetaWear"
right_shank = "d4:22:cd:00:11:22"
right_foot = { name = "Movesense 174630000192", rate_hz = 104 }
pelvis = { address = "A0:9E:1A:00:00:01", family = "polar_pmd" }
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "session.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_toml_file_maps_placements_to_sensors(tmp_path):
    cfg = load_session_config(_write(tmp_path, GOOD))
    by = {s.placement: s for s in cfg.sensors}
    assert cfg.exercise == "standing_hamstring"
    assert cfg.side == "right"
    assert cfg.rate_hz == 100.0
    assert cfg.scan_timeout_s == 7.5
    assert by["right_thigh"].name == "MetaWear"
    assert by["right_thigh"].address is None
    assert by["right_shank"].address == "D4:22:CD:00:11:22"
    assert by["right_foot"].rate_hz == 104.0
    assert cfg.rate_for(by["right_foot"]) == 104.0
    assert cfg.rate_for(by["right_thigh"]) == 100.0
    assert by["pelvis"].family is Family.POLAR_PMD
    assert by["right_shank"].matches("d4:22:cd:00:11:22", None)
    assert by["right_thigh"].matches("AA:AA:AA:AA:AA:AA", "MetaWear")
    assert not by["right_thigh"].matches("AA:AA:AA:AA:AA:AA", "MetaWear 2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sensors]\nleft_knee = 'MetaWear'\n", "unknown placement 'left_knee'"),
        ("rate = 3\n[sensors]\npelvis = 'X'\n", ":1: key 'rate': unknown key"),
        ("exercise = 'x'\n", "key 'sensors': expected a [sensors] table"),
        ("[sensors]\npelvis = { name = 'A', address = 'AA:BB:CC:DD:EE:FF' }\n", "exactly one"),
        (
            "[sensors]\npelvis = { address = 'nope' }\n",
            "expected an address AA:BB:CC:DD:EE:FF, found string 'nope'",
        ),
        ("[sensors]\npelvis = { name = 'A', family = 'fitbit' }\n", "unknown family 'fitbit'"),
        ("[sensors]\npelvis = { name = 'A', rate_hz = -5 }\n", "sensors.pelvis.rate_hz"),
        ("[sensors]\npelvis = 'A'\nright_foot = 'A'\n", "mapped to both"),
        ("side = 'middle'\n[sensors]\npelvis = 'A'\n", "key 'side'"),
        ("[sensors\npelvis = 'A'\n", "invalid TOML"),
    ],
)
def test_toml_mistakes_name_the_file_and_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=".*".join(map(_escape, [str(path), message]))):
        load_session_config(path)


def _escape(s: str) -> str:
    import re

    return re.escape(s)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_session_config(tmp_path / "none.toml")


def test_sensor_flags():
    a = parse_sensor_flag("MetaWear=right_thigh")
    assert (a.name, a.address, a.placement) == ("MetaWear", None, "right_thigh")
    b = parse_sensor_flag("d4:22:cd:00:11:22=right_shank")
    assert (b.address, b.name) == ("D4:22:CD:00:11:22", None)
    c = parse_sensor_flag("Polar Sense 1A2B3C4D=pelvis")  # spaces in names are fine
    assert c.name == "Polar Sense 1A2B3C4D"
    cfg = config_from_flags(["MetaWear=right_thigh", "Movella DOT=right_foot"], rate_hz=60.0)
    assert [s.placement for s in cfg.sensors] == ["right_thigh", "right_foot"]
    for bad in ("MetaWear", "=pelvis", "MetaWear="):
        with pytest.raises(ConfigError, match="NAME_OR_ADDRESS=placement"):
            parse_sensor_flag(bad)
    with pytest.raises(ConfigError, match="unknown placement"):
        parse_sensor_flag("MetaWear=thigh")
    with pytest.raises(ConfigError, match="mapped twice"):
        config_from_flags(["A=pelvis", "B=pelvis"])
    with pytest.raises(ConfigError, match="no sensors"):
        SessionConfig(sensors=())


def test_guided_protocol_prompts_and_completed_windows():
    proto = GuidedProtocol(default_steps(stand_s=5.0, move_s=15.0))
    assert proto.current(0.0) == (None, None)  # not started
    proto.start(2.0)
    step, left = proto.current(3.0)
    assert step.key == "static"
    assert left == pytest.approx(4.0)
    step, left = proto.current(10.0)
    assert step.key == "functional"
    assert left == pytest.approx(12.0)
    step, left = proto.current(100.0)
    assert step.key == "exercise"
    assert left is None
    assert proto.calibration(6.0) is None  # stand not completed yet
    assert proto.calibration(8.0).static_s == (2.0, 7.0)
    assert proto.calibration(8.0).functional_s is None
    cal = proto.calibration(30.0)
    assert cal.static_s == (2.0, 7.0)
    assert cal.functional_s == (7.0, 22.0)


def test_protocol_from_a_scripts_windows():
    proto = GuidedProtocol(steps_from_windows((0.5, 4.0), (4.0, 34.1)))
    proto.start(10.0)
    step, left = proto.current(10.2)
    assert step is None
    assert left == pytest.approx(0.3)
    cal = proto.calibration(60.0)
    assert cal.static_s == (10.5, 14.0)
    assert cal.functional_s == pytest.approx((14.0, 44.1))
