"""The calibration step the method needs is asked for in the same words everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from analysis.angles.calibration import BOW_WORDS, PELVIS_REDO
from cli.cmd_analyse import DESCRIPTION as ANALYSE_HELP
from cli.cmd_live import DESCRIPTION as LIVE_HELP
from cli.main import DESCRIPTION as MAIN_HELP
from sensors.session.protocol import MOVE_PROMPT, default_steps

ROOT = Path(__file__).resolve().parents[1]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_bow_is_asked_for_in_readme_help_docs_and_the_live_guide():
    places = {
        "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
        "docs/ble.md": (ROOT / "docs" / "ble.md").read_text(encoding="utf-8"),
        "docs/conventions.md": (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8"),
        "stretchguard --help": MAIN_HELP,
        "stretchguard analyse --help": ANALYSE_HELP,
        "stretchguard live --help": LIVE_HELP,
        "live guide": MOVE_PROMPT,
        "redo advice": PELVIS_REDO,
    }
    missing = [name for name, text in places.items() if BOW_WORDS not in _flat(text)]
    assert not missing, f"the bow is not asked for in: {missing}"
    assert any(s.prompt == MOVE_PROMPT for s in default_steps())
