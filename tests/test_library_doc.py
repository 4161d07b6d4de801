"""docs/library.md's example runs as written (in an empty folder) and says what it claims."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import stretchguard

DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_library_page_example_runs(tmp_path, monkeypatch):
    blocks = _blocks()
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for code in blocks:
            exec(compile(code, str(DOC), "exec"), namespace)
    text = out.getvalue()
    assert "outside" in text  # the demo leaves the envelope (ankle pulled up)
    assert "ankle_dorsiflexion violated" in text
    assert namespace["stricter"].verdict == "outside"
    assert sorted(p.name for p in (tmp_path / "out" / "demo").iterdir()) == [
        "angles.csv",
        "envelope.json",
        "report.html",
    ]
    assert [r["status"] for r in namespace["rows"]] == ["analysed"] * 3
    assert len(namespace["records"]) == 3
    assert (tmp_path / "history.html").is_file()


def test_every_public_name_is_documented_and_importable():
    page = DOC.read_text(encoding="utf-8")
    for name in stretchguard.__all__:
        assert getattr(stretchguard, name) is not None
        obj = getattr(stretchguard, name)
        assert obj.__doc__, f"{name} has no docstring"
        if callable(obj) and not isinstance(obj, type):
            assert f"{name}(" in page, f"{name} is not on docs/library.md"
    with pytest.raises(AttributeError):
        _ = stretchguard.no_such_name
