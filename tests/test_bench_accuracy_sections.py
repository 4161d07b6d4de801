"""bench/accuracy.py keeps the hand-written sections of the page it regenerates."""

from __future__ import annotations

from tests.bench_scripts import load_bench_script

accuracy = load_bench_script("accuracy", module_name="bench_accuracy_sections")

PAGE = """# Accuracy

## Measured
| a | b |

## Other sets (hand-written, 2026-12-05)

Measured by hand with `cmd`.

### Detail
text

## Real recordings
measured again
"""


def test_only_the_hand_written_section_and_its_subsections_are_kept() -> None:
    kept = accuracy.hand_written_sections(PAGE)
    assert kept.startswith("\n## Other sets (hand-written, 2026-12-05)\n")
    assert "### Detail\ntext\n" in kept
    assert "Measured\n" not in kept
    assert "measured again" not in kept


def test_a_page_without_hand_written_sections_adds_nothing() -> None:
    assert accuracy.hand_written_sections("# Accuracy\n\n## Measured\n| a |\n") == ""
