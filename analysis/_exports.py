"""Public names of a package, imported from their module on first use (PEP 562).

A room's ``__init__`` names its API without importing it, so importing one module of a room
(``analysis.angles.rotations`` from a sensor decoder, say) does not pull in the whole room.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``name`` lives in ``where[name]``.

    ``where`` maps each public name to its module, relative to ``package``. A name is imported
    once and then kept in the package's namespace; any other name is an AttributeError (so
    ``from package import submodule`` still finds the submodule).
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's required name)
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807 (the module hook's required name)
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
