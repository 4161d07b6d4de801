"""Format detection from content, not from the file name."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats.canonical import write_recording
from sensors.formats.detect import FORMATS, detect_format
from tests.vendor_writers import write_metabase, write_movella_dot, write_phyphox, write_witmotion


@pytest.mark.shared
def test_real_exports(shared_dir: Path):
    samples = shared_dir / "vendor-samples"
    for p in (samples / "mbientlab").glob("*.csv"):
        assert detect_format(p) == "metabase"
    for p in (samples / "movella").glob("*.csv"):
        assert detect_format(p) == "movella_dot"


def test_written_files_under_misleading_names(tmp_path, make_session):
    session = make_session(50.0)
    st = session.stream("right_thigh")
    q = session.q_E_S["right_thigh"]
    folder = tmp_path / "m"
    folder.mkdir()
    mb = write_metabase(folder, "Gyroscope", 1.6e9 + st.t_s, st.gyr_rad_s, rate_hz=50.0)
    files = {
        "metabase": mb.rename(tmp_path / "export.txt"),
        "movella_dot": write_movella_dot(
            tmp_path / "a.dat", t_s=st.t_s, quat=q, free_acc_m_s2=st.acc_m_s2
        ),
        "witmotion": write_witmotion(
            tmp_path / "b.csv", t_s=st.t_s, acc_m_s2=st.acc_m_s2, gyr_rad_s=st.gyr_rad_s
        ),
        "phyphox": write_phyphox(
            tmp_path / "c.csv", t_s=st.t_s, values=st.gyr_rad_s, kind="gyr", delimiter="\t"
        ),
        "canonical": write_recording(tmp_path / "MetaWear_x_Accelerometer.csv", session.samples),
    }
    for fmt, path in files.items():
        assert detect_format(path) == fmt, path
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(files["movella_dot"].read_bytes()))
    assert detect_format(gz) == "movella_dot"


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        ("time,ax,ay,az\n0,1,2,3\n", "'time,ax,ay,az'"),
        ("epoch (ms),time,elapsed (s),x-axis (g)\n", "'epoch (ms),time,elapsed (s),x-axis (g)'"),
        ("sep=,\nFirmwareVersion:,2.0\n\nfoo,bar\n", "'sep=,'"),
    ],
)
def test_unknown_formats_are_named_with_the_supported_list(tmp_path, content, shown):
    p = tmp_path / "x.csv"
    p.write_text(content)
    with pytest.raises(RecordingFormatError) as err:
        detect_format(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}:1: unknown file format (first line: {shown})")
    for what in FORMATS.values():
        assert what in msg
    assert "\n" not in msg  # the CLI prints errors on one line


def test_empty_binary_and_missing(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("\n\n")
    with pytest.raises(RecordingFormatError, match="file is empty"):
        detect_format(empty)
    binary = tmp_path / "b.csv"
    binary.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(RecordingFormatError, match="<binary data>"):
        detect_format(binary)
    with pytest.raises(RecordingFormatError, match="file not found"):
        detect_format(tmp_path / "nope.csv")
