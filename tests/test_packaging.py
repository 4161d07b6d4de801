"""The distribution ships every package of the tree and the embedded fixtures."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("analysis", "sensors", "cli", "stretchguard")
        for p in (ROOT / top).rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == {"stretchguard_fixtures"}


def test_installed_fixtures_hold_the_demo_session():
    files = importlib.resources.files("stretchguard_fixtures")
    assert files.joinpath("demo_standing_stretch.csv.gz").is_file()


def test_profiles_ship_as_package_data():
    profiles = importlib.resources.files("analysis.envelope").joinpath("profiles")
    assert any(p.name.endswith(".toml") for p in profiles.iterdir())
