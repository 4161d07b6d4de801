"""The live page's server and data feed without a browser: a short virtual session served by
:class:`cli.live_web.WebScreen`, read by a real websocket client (aiohttp), and the feed's pure
pieces (mark labels, shown rule states, the session tally and its verdict)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest

from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import Hold
from analysis.errors import ConfigError
from cli.cmd_live import _Screen
from cli.live_feed import (
    SessionTally,
    display_state,
    joint_of,
    mark_label,
    next_command,
    worst,
)
from cli.live_web import WebScreen, bind_socket
from sensors.virtual.scenario import record_virtual_session

PROFILE = load_builtin_profile("standing_hamstring")


def test_mark_labels_read_as_the_design_says():
    assert mark_label("heel", "tingling") == "tingling in the heel"
    assert mark_label("behind the knee", "pain") == "pain behind the knee"
    assert mark_label("low back", None) == "symptom in the low back"
    assert mark_label(None, "numbness") == "numbness"
    assert mark_label(None, None) == "symptom"
    # words that are not offered are dropped, never stored
    assert mark_label("<b>toe</b>", "itch") == "symptom"


def test_a_rule_is_near_the_edge_within_its_hysteresis():
    ankle = PROFILE.rule("ankle_dorsiflexion")  # ≤ 0°, hysteresis 3°
    knee = PROFILE.rule("knee_flexion")  # ≥ 10°, hysteresis 3°
    assert display_state("ok", -10.0, ankle) == "inside"
    assert display_state("ok", -2.0, ankle) == "near"
    assert display_state("ok", 4.0, ankle) == "near"  # past the edge, dwell still running
    assert display_state("ok", 20.0, knee) == "inside"
    assert display_state("ok", 11.0, knee) == "near"
    assert display_state("outside", 12.0, ankle) == "outside"
    assert display_state("not_measured", None, ankle) == "not_measured"
    assert display_state("uncertain", 1.0, ankle) == "uncertain"
    assert display_state("something new", 1.0, ankle) == "uncertain"
    assert worst(["inside", "outside", "near"]) == "outside"
    assert worst(["inside", "uncertain", "near"]) == "uncertain"
    assert [joint_of(r) for r in ("ankle_dorsiflexion", "lumbar_flexion", "neck_flexion")] == [
        "ankle",
        "trunk",
        "head",
    ]


def _state(*, engaged, hold_s, cues=(), outside=False):
    rules = tuple(SimpleNamespace(rule=r, cue=c, advisory=r.startswith("hip_")) for r, c in cues)
    return SimpleNamespace(
        engaged=engaged,
        outside=outside,
        hold_s=hold_s,
        hold_target_s=30.0,
        rules=rules,
        new_cues=tuple(c for _, c in cues),
    )


def test_the_tally_words_the_verdict():
    tally = SessionTally()
    assert "no stretch" in tally.verdict()
    tally.update(_state(engaged=True, hold_s=12.0))
    tally.update(_state(engaged=True, hold_s=0.0, cues=[("ankle_dorsiflexion", "toes away")]))
    tally.update(_state(engaged=True, hold_s=0.0, cues=[("hip_adduction", "knee in line")]))
    tally.update(_state(engaged=True, hold_s=36.0))
    assert not tally.stretch_ended
    tally.update(_state(engaged=False, hold_s=0.0))
    assert tally.stretch_ended
    assert tally.best_hold_s == 36.0
    verdict = tally.verdict()
    assert verdict.startswith("outside the envelope: ankle dorsiflexion once")
    assert "hip adduction" not in verdict  # advisory rules do not set the verdict
    assert "met the 30-s target" in verdict
    advisory_only = SessionTally()
    advisory_only.update(_state(engaged=True, hold_s=20.0, cues=[("hip_adduction", "x")]))
    assert advisory_only.verdict().startswith("inside the envelope throughout (advisory: hip")
    assert "short of the 30-s target" in advisory_only.verdict()


def test_the_next_command_quotes_the_path():
    assert next_command(Path("s1.csv")) == "stretchguard analyse s1.csv --out s1_report"
    assert next_command(Path("my data/s 1.csv")) == (
        "stretchguard analyse 'my data/s 1.csv' --out 'my data/s 1_report'"
    )


def test_a_taken_port_is_one_clear_error():
    sock = bind_socket("127.0.0.1", 0)
    try:
        with pytest.raises(ConfigError, match="cannot serve on"):
            bind_socket("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()
    with pytest.raises(ConfigError, match="--port"):
        bind_socket("127.0.0.1", 70000)


async def _client(web: WebScreen, out: dict) -> None:
    """Fetch the page, try the refusals, then read snapshots and send a mark."""
    base = f"http://127.0.0.1:{web.port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(200):  # the server starts once the session attaches
            try:
                async with http.get(f"{base}/?token=wrong") as r:
                    out["wrong_token"] = r.status
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        async with http.get(f"{base}/?token={web.token}") as r:
            out["page"] = (r.status, r.headers.get("Content-Security-Policy", ""), await r.text())
        async with http.get(f"{base}/live.js") as r:
            out["js"] = (r.status, r.headers.get("Content-Type"))
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(f"{base}/ws?token={web.token}", origin="http://evil.example")
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(f"{base}/ws")
        async with http.ws_connect(
            f"{base}/ws?token={web.token}", origin=f"http://127.0.0.1:{web.port}"
        ) as ws:
            snaps = []
            marked = False
            async for msg in ws:
                snap = json.loads(msg.data)
                snaps.append(snap)
                if not marked and snap["phase"] != "connecting":
                    await ws.send_str(json.dumps({"type": "mark", "where": "calf", "what": "pain"}))
                    await ws.send_str("not json")
                    marked = True
            out["snaps"] = snaps


async def test_the_page_is_served_and_fed_during_a_session(tmp_path: Path):
    out_csv = tmp_path / "w.csv"
    inner = _Screen(out_csv, display=False, exercise="standing_hamstring", side="right")
    web = WebScreen(inner, out_csv, token="t0ken")
    seen: dict = {}
    client = asyncio.ensure_future(_client(web, seen))
    try:
        await web.serve_during(
            record_virtual_session(
                out_csv,
                "standing_correct",
                duration_s=6.0,
                speed=3.0,
                observe=web.attach,
                stop=web.stop,
            )
        )
        await asyncio.wait_for(client, 10.0)
    finally:
        web.close()
    assert seen["wrong_token"] == 403
    status, csp, html = seen["page"]
    assert status == 200
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert '<script src="/live.js"' in html
    assert "http" not in html.replace("http-equiv", "")
    assert seen["js"] == (200, "text/javascript; charset=utf-8")
    snaps = seen["snaps"]
    assert len(snaps) >= 10
    assert [s["seq"] for s in snaps] == sorted(s["seq"] for s in snaps)
    last = snaps[-1]
    assert last["schema"] == "stretchguard-live/1"
    assert last["phase"] == "ended"
    assert last["end"]["next_command"].startswith("stretchguard analyse ")
    assert {s["placement"] for s in last["sensors"]} == {
        "pelvis",
        "right_thigh",
        "right_shank",
        "right_foot",
    }
    assert all(s["state"] for s in last["sensors"])
    assert [r["rule"] for r in last["rules"]] == [r.name for r in PROFILE.rules]
    assert last["steps"][0]["state"] == "done"
    assert any(m["label"] == "pain in the calf" for m in last["marks"])
    side = json.loads(out_csv.with_suffix(".json").read_text())
    assert "pain in the calf" in [m["label"] for m in side["markers"]]


async def test_loopback_serves_only_its_own_names(tmp_path: Path):
    """Without a token the page answers only to 127.0.0.1/localhost: a site whose name is
    re-pointed at 127.0.0.1 (DNS rebinding) gets 403 for the page, its script and the feed."""
    inner = SimpleNamespace(stop=asyncio.Event(), close=lambda: None, angles=None)
    web = WebScreen(inner, tmp_path / "x.csv")
    assert web.token is None
    assert web.url == f"http://127.0.0.1:{web.port}/"
    server = asyncio.ensure_future(web._serve())
    base = f"http://127.0.0.1:{web.port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{base}/") as r:
                        assert r.status == 200
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            async with http.get(f"http://localhost:{web.port}/live.css") as r:
                assert r.status == 200
            for path in ("/", "/live.js", "/ws"):
                evil = {"Host": f"evil.example:{web.port}"}
                async with http.get(f"{base}{path}", headers=evil) as r:
                    assert r.status == 403, path
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        if web._runner is not None:
            await web._runner.cleanup()
        web.close()


def test_another_host_needs_the_printed_token(tmp_path: Path):
    inner = SimpleNamespace(stop=asyncio.Event(), close=lambda: None, angles=None)
    web = WebScreen(inner, tmp_path / "x.csv", host="0.0.0.0")
    try:
        assert web.token is not None
        assert len(web.token) >= 20
        assert web.url.endswith(f":{web.port}/?token={web.token}")
    finally:
        web.close()


def _with_hold(hold, *, open_, engaged=False, hold_s=0.0):
    base = vars(_state(engaged=engaged, hold_s=hold_s))
    return SimpleNamespace(**base, hold=hold, hold_open=open_)


def test_the_tally_counts_a_hold_once_it_ended_not_while_open():
    # a second of stillness at the newest rows after the leg was lowered read as a hold for
    # one step (MonitorState.hold_open), then the engagement ended and it was gone
    ghost = Hold(start_s=50.96, end_s=52.0, rating="short")
    tally = SessionTally()
    tally.update(_with_hold(ghost, open_=True))
    assert tally.best_hold is None
    assert tally.open_hold is ghost
    tally.update(_with_hold(None, open_=False))
    assert tally.best_hold is None
    assert tally.open_hold is None
    # a hold counts once it ended
    real = Hold(start_s=8.0, end_s=50.0, rating="target")
    tally.update(_with_hold(real, open_=True, engaged=True, hold_s=42.0))
    assert tally.best_hold is None
    tally.update(_with_hold(real, open_=False))
    assert tally.best_hold is real
