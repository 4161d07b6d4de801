"""bumble's late answer to a request given up: one line and a count, not a traceback.

bumble's GATT client and host set an answer on their request's future without asking
whether it was cancelled meanwhile; at ``--speed 50`` that raised ``InvalidStateError`` from
the stack's packet callback, printed as a 50-line traceback by asyncio's handler.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from cli.cmd_live import STACK_RACE_KEY, _Screen, _stack_races_said


def _raise_in(filename: str, fut: asyncio.Future[int]) -> BaseException:
    """The error of ``fut.set_result`` called from code compiled as ``filename``."""
    namespace: dict[str, object] = {}
    exec(compile("def answer(fut):\n    fut.set_result(1)\n", filename, "exec"), namespace)
    try:
        namespace["answer"](fut)  # type: ignore[operator]
    except asyncio.InvalidStateError as exc:
        return exc
    raise AssertionError("no InvalidStateError")


async def test_a_late_answer_inside_bumble_is_one_line_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    loop = asyncio.get_running_loop()
    passed_on: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: passed_on.append(context))
    screen = _Screen(tmp_path / "x.csv", display=False, exercise=None, side=None, quiet=True)
    try:
        _stack_races_said(screen)
        handler = loop.get_exception_handler()
        assert handler is not None
        for _ in range(3):
            fut = loop.create_future()
            fut.cancel()
            exc = _raise_in("/venv/site-packages/bumble/gatt_client.py", fut)
            with caplog.at_level(logging.WARNING):
                handler(loop, {"message": "Exception in callback", "exception": exc})
        assert screen.extra[STACK_RACE_KEY] == 3
        said = [r.getMessage() for r in caplog.records if "BLE stack" in r.getMessage()]
        assert len(said) == 1  # said once
        assert "\n" not in said[0]
        assert passed_on == []
        # the same error from anywhere else is not hidden
        fut = loop.create_future()
        fut.cancel()
        other = _raise_in("/src/stretchguard_app/ours.py", fut)
        handler(loop, {"message": "Exception in callback", "exception": other})
        assert [c["exception"] for c in passed_on] == [other]
        assert screen.extra[STACK_RACE_KEY] == 3
    finally:
        loop.set_exception_handler(None)
        screen.close()
