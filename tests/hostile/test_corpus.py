"""The seeded hostile-input corpus (``bench/hostile_inputs.py``), run by the readers and the CLI.

Every case must end in a clean one-line project error, a warned acceptance or an unchanged
result: no other exception, no hang (each case runs under a time limit), no silent change of
angles or samples against the clean file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.bench_scripts import load_bench_script

H = load_bench_script("hostile_inputs")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, object, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    cases = H.build_corpus(folder)
    return cases, H.Reference(folder), folder


@pytest.fixture(scope="module")
def outcomes(corpus: tuple[list, object, Path]) -> dict[str, object]:
    cases, ref, _ = corpus
    return {c.name: H.run_case(c, ref) for c in cases}


def test_no_traceback_hang_or_silent_misread(outcomes: dict[str, object]) -> None:
    bad = {n: (o.result, o.detail) for n, o in outcomes.items() if o.result not in H.RESULTS[:3]}
    assert bad == {}
    counts = Counter(o.result for o in outcomes.values())
    assert counts["error"] > 60  # the corpus exercises both sides
    assert counts["same"] >= 5


@pytest.mark.parametrize(
    ("name", "result", "words"),
    [
        ("csv_fifo", "error", "named pipe"),
        ("sidecar_fifo", "error", "named pipe"),
        ("sidecar_symlink_dev_zero", "error", "device"),
        ("sidecar_folder", "error", "folder"),
        ("bad_utf8_numeric_cell", "error", "not UTF-8"),
        ("header_200k_chars_column", "error", "field larger"),
        ("acc_1e39", "error", "outside the sensor range"),
        ("acc_3p5e38", "error", "outside the sensor range"),
        ("gyr_1e308", "error", "outside the sensor range"),
        ("t_1e9_one_row", "error", "outside the session"),
        ("t_jump_plus_1e6", "error", "outside the session"),
        ("t_shift_minus_50", "error", "outside the session"),
        ("t_jump_plus_1000", "warned", "kept as a gap"),
        ("sidecar_nested_100k", "error", "nests deeper"),
        ("sidecar_rate_fast", "error", "sensors.pelvis.rate_hz"),
        ("sidecar_markers_5", "error", "'markers'"),
        ("sidecar_gaps_5", "error", "'gaps'"),
        ("sidecar_static_0_1e308", "error", "calibration.static_s[1]"),
        ("sidecar_gap_backward", "error", "gaps[0].end_s"),
        ("sidecar_gap_unknown_sensor", "error", "gaps[0].sensor"),
        ("sidecar_marker_past_end", "warned", "marker"),
        ("torn_last_line", "warned", "incomplete last row"),
        ("cr_only_line_ends", "same", ""),
        ("dot_output_rate_0hz", "warned", "not a plausible rate"),
        ("dot_quat_w_renamed", "error", "Quat_W missing"),
        ("dot_cr_only", "same", ""),
        ("mb_field_200k", "error", "not a finite number"),
        ("profile_cue_width_99999999", "error", "format spec"),
        ("profile_fifo", "error", "named pipe"),
    ],
)
def test_case_outcome(outcomes: dict[str, object], name: str, result: str, words: str) -> None:
    o = outcomes[name]
    assert (o.result, words in o.detail) == (result, True), o.detail


CLI_CASES = [
    "csv_fifo",
    "sidecar_symlink_dev_zero",
    "cr_only_line_ends",
    "bad_utf8_numeric_cell",
    "field_200k_chars_numeric",
    "acc_1e39",
    "t_jump_plus_1e6",
    "sidecar_nested_100k",
    "sidecar_rate_fast",
    "torn_last_line",
]
"""One or two cases per class through ``info`` and ``analyse`` (the CLI costs ~1 s a run)."""

VENDOR_CLI_CASES = ["dot_output_rate_0hz", "dot_quat_w_renamed", "mb_field_200k", "vendor_fifo"]


@pytest.mark.slow
def test_cli_never_prints_a_traceback_or_hangs(
    corpus: tuple[list, object, Path], tmp_path: Path
) -> None:
    cases = {c.name: c for c in corpus[0]}
    runs = [(n, cmd) for n in CLI_CASES for cmd in ("info", "analyse")]
    runs += [(n, cmd) for n in VENDOR_CLI_CASES for cmd in ("info", "import")]
    results = {(n, cmd): H.run_cli(cases[n], cmd, tmp_path) for n, cmd in runs}
    assert {k: r for k, r in results.items() if r in ("traceback", "hang")} == {}
    assert results[("csv_fifo", "info")] == "error"
    assert results[("acc_1e39", "analyse")] == "error"
    assert results[("dot_quat_w_renamed", "import")] == "error"
