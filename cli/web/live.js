// stretchguard live page: draws the snapshots pushed on /ws (schema stretchguard-live/1).
// No framework, no network beyond this server. window.__sg keeps a trace of received states
// (seq, session time, page receive/render times) for the browser tests and the benchmark.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const STATE_TEXT = {
  inside: "inside",
  near: "near the edge",
  outside: "OUTSIDE",
  uncertain: "uncertain",
  sensor_out: "sensor out",
  not_measured: "not measured",
  not_engaged: "not in the stretch",
};
const LEN = { trunk: 150, pelvis: 34, thigh: 112, shank: 106, foot: 48, heel: 12, neck: 14 };
const $ = (id) => document.getElementById(id);
const sg = { trace: [], last: null, ended: false, what: null, where: null };
window.__sg = sg;
let ws = null;
let retry = 0;

function el(tag, attrs, parent, ns) {
  const e = ns ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  if (parent) parent.appendChild(e);
  return e;
}
const sv = (tag, attrs, parent) => el(tag, attrs, parent, true);
const rad = (deg) => (deg * Math.PI) / 180;
// angles from the vertical, positive forward (+x); "down" segments grow +y, "up" ones -y
const down = (p, deg, len) => [p[0] + len * Math.sin(rad(deg)), p[1] + len * Math.cos(rad(deg))];
const up = (p, deg, len) => [p[0] + len * Math.sin(rad(deg)), p[1] - len * Math.cos(rad(deg))];
const fmtS = (s) => {
  if (s == null) return "—";
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
};

function get(a, name) {
  const v = a[name];
  return typeof v === "number" && isFinite(v) ? v : null;
}

function legPose(a, side, tilt) {
  const incl = get(a, `${side}_thigh_inclination_deg`);
  const hip = get(a, `${side}_hip_flexion_deg`);
  const knee = get(a, `${side}_knee_flexion_deg`);
  const ankle = get(a, `${side}_ankle_dorsiflexion_deg`);
  const worn = [incl, hip, knee, ankle].some((v) => v !== null);
  const thigh = incl !== null ? incl : hip !== null ? tilt + hip : 0;
  const shank = thigh - (knee ?? 0);
  return { worn, thigh, shank, foot: shank + 90 + (ankle ?? 0) };
}

function drawLeg(g, origin, pose, cls, joints, labels) {
  const knee = down(origin, pose.thigh, LEN.thigh);
  const ankle = down(knee, pose.shank, LEN.shank);
  const toe = [ankle[0] + LEN.foot * Math.sin(rad(pose.foot)), ankle[1] + LEN.foot * Math.cos(rad(pose.foot))];
  const heel = [ankle[0] - LEN.heel * Math.sin(rad(pose.foot)), ankle[1] - LEN.heel * Math.cos(rad(pose.foot))];
  const line = (p, q) => sv("line", { x1: p[0], y1: p[1], x2: q[0], y2: q[1], class: `seg ${cls}` }, g);
  line(origin, knee);
  line(knee, ankle);
  line(heel, toe);
  if (joints) {
    joint(g, knee, "knee", joints, labels);
    joint(g, ankle, "ankle", joints, labels);
  }
  return { knee, ankle };
}

function joint(g, p, name, joints, labels) {
  const state = joints[name];
  if (!state) return;
  sv("circle", { cx: p[0], cy: p[1], r: 13, class: `joint st-${state}`, "data-joint": name, "data-state": state }, g);
  if (labels) labels.push({ name, state, p });
}

// joint labels in a column on the right, top to bottom, each with a leader to its joint
function drawLabels(g, labels) {
  labels.sort((a, b) => a.p[1] - b.p[1]);
  const x = 270;
  const y0 = Math.max(-200, Math.min(...labels.map((l) => l.p[1])) - 10);
  labels.forEach((l, i) => {
    const y = y0 + i * 40;
    sv("line", { x1: l.p[0] + 14, y1: l.p[1], x2: x - 8, y2: y - 6, class: "leader" }, g);
    sv("circle", { cx: x + 4, cy: y - 7, r: 8, class: `st-${l.state}` }, g);
    sv("text", { x: x + 18, y, class: `jlabel st-text-${l.state}`, text: `${l.name}: ${STATE_TEXT[l.state] || l.state}` }, g);
  });
}

function drawFigure(s) {
  const svg = $("figure");
  const old = svg.querySelector("g.fig");
  if (old) old.remove();
  const g = sv("g", { class: "fig" }, svg);
  const labels = [];
  const a = s.angles || {};
  const side = s.side || "right";
  const other = side === "right" ? "left" : "right";
  const joints = s.calibrated ? s.joints || {} : {};
  const tilt = get(a, "pelvis_anterior_tilt_deg") ?? 0;
  const hip = [0, 0];
  sv("line", { x1: -170, y1: 232, x2: 280, y2: 232, class: "ground" }, g);
  // pelvis (always: it carries the hip), trunk and head when their angles exist
  const top = up(hip, tilt, LEN.pelvis);
  sv("line", { x1: hip[0], y1: hip[1], x2: top[0], y2: top[1], class: "seg pelvis" }, g);
  const lumbar = get(a, "lumbar_flexion_deg");
  let neckBase = null;
  if (lumbar === null) {
    // no trunk sensor: a dashed grey upright trunk and head, for orientation only
    const shoulder = up(top, 0, LEN.trunk);
    sv("line", { x1: top[0], y1: top[1], x2: shoulder[0], y2: shoulder[1], class: "seg unworn" }, g);
    const head = up(shoulder, 0, LEN.neck + 24);
    sv("circle", { cx: head[0], cy: head[1], r: 24, class: "head unworn" }, g);
  } else {
    const shoulder = up(top, tilt + lumbar, LEN.trunk);
    sv("line", { x1: top[0], y1: top[1], x2: shoulder[0], y2: shoulder[1], class: "seg trunk" }, g);
    joint(g, up(top, tilt + lumbar, LEN.trunk / 2), "trunk", joints, labels);
    neckBase = shoulder;
    const neck = get(a, "neck_flexion_deg");
    if (neck !== null) {
      const head = up(shoulder, tilt + lumbar + neck, LEN.neck + 24);
      sv("circle", { cx: head[0], cy: head[1], r: 24, class: "head" }, g);
      joint(g, shoulder, "head", joints, labels);
    }
  }
  const otherPose = legPose(a, other, tilt);
  drawLeg(g, hip, otherPose.worn ? otherPose : { thigh: 0, shank: 0, foot: 90 }, otherPose.worn ? "far" : "unworn", null, null);
  const pose = legPose(a, side, tilt);
  drawLeg(g, hip, pose, "near", joints, labels);
  joint(g, hip, "hip", joints, labels);
  joint(g, top, "pelvis", joints, labels);
  drawLabels(g, labels);
  if (!s.calibrated) {
    sv("text", { x: 200, y: -215, class: "fig-note", text: "angles after calibration" }, g);
  } else if (!pose.worn) {
    sv("text", { x: 270, y: -185, class: "fig-note", text: `no ${side} leg sensor` }, g);
  }
  if (neckBase === null && s.calibrated) {
    sv("text", { x: 270, y: -215, class: "fig-note", text: "dashed grey: no sensor there" }, g);
  }
}

function drawLegend() {
  const ul = $("legend");
  for (const [k, v] of Object.entries(STATE_TEXT)) {
    const li = el("li", {}, ul);
    el("span", { class: `swatch st-${k}` }, li);
    el("span", { text: v }, li);
  }
}

function drawSteps(s) {
  const ol = $("steps");
  ol.textContent = "";
  const calib = (s.steps || []).filter((x) => x.key !== "exercise");
  $("steps-box").hidden = s.phase === "exercise" || s.phase === "ended";
  for (const st of s.steps || []) {
    const li = el("li", { class: `step step-${st.state}` }, ol);
    const head = el("div", { class: "step-head" }, li);
    el("span", { class: "step-mark", text: st.state === "done" ? "✓" : st.state === "now" ? "▶" : "·" }, head);
    el("span", { text: st.prompt }, head);
    if (st.again) el("span", { class: "again", text: "again" }, head);
    if (st.state === "now" && st.duration_s) {
      const bar = el("progress", { max: st.duration_s, value: Math.max(0, st.duration_s - (st.left_s ?? 0)) }, li);
      bar.textContent = `${Math.round(st.left_s ?? 0)} s left`;
      el("span", { class: "left", text: `${Math.ceil(st.left_s ?? 0)} s` }, li);
    }
  }
  return calib;
}

function drawHold(s) {
  const h = s.hold || {};
  const target = h.target_s || 30;
  const held = h.s || 0;
  const C = 2 * Math.PI * 58;
  const ring = $("ring-fg");
  ring.setAttribute("stroke-dasharray", `${C}`);
  ring.setAttribute("stroke-dashoffset", `${C * (1 - Math.min(held / target, 1))}`);
  ring.setAttribute("class", held >= target ? "ring-fg done" : "ring-fg");
  $("ring-s").textContent = `${Math.floor(held)} s`;
  $("ring-t").textContent = `of ${target} s`;
  let note = "";
  if (s.phase === "ended") note = `longest hold ${Math.round(h.best_s || 0)} s`;
  else if (s.stretch_ended) note = `stretch ended — hold ${Math.round(h.best_s || 0)} s`;
  else if (!s.engaged) note = s.calibrated ? "not in the stretch yet" : "";
  else if (s.outside) note = "hold stopped — it restarts once back inside";
  else if (held >= target) note = "target reached — well held";
  else if (held > 0) note = h.in_progress ? "holding — in progress" : "holding";
  else note = "settle and hold still — the timer starts";
  const timing = s.phase === "ended" || s.stretch_ended ? h.best_timing : h.timing;
  if (timing && (s.phase === "ended" || s.stretch_ended || held > 0)) note += ` — ${timing}`;
  $("hold-note").textContent = note;
}

function drawRules(s) {
  const tb = $("rules").querySelector("tbody");
  tb.textContent = "";
  for (const r of s.rules || []) {
    const tr = el("tr", { class: `rule st-row-${r.state}`, "data-rule": r.rule }, tb);
    el("td", { text: r.label + (r.advisory ? " (advisory)" : "") }, tr);
    el("td", { class: "num", text: r.angle_deg == null ? "—" : `${r.angle_deg > 0 ? "+" : ""}${Math.round(r.angle_deg)}°` }, tr);
    el("td", { text: `${r.upper ? "≤" : "≥"} ${r.limit_deg}°` }, tr);
    const td = el("td", {}, tr);
    el("span", { class: `swatch st-${r.state}` }, td);
    // a rule a sensor out leaves without data says which sensor and since when
    const word = r.state === "sensor_out" && r.why ? r.why : STATE_TEXT[r.state] || r.state;
    el("span", { class: "state-word", text: word }, td);
  }
  const nc = s.not_checked || [];
  $("not-checked").hidden = nc.length === 0;
  $("not-checked").textContent = nc.length ? `not checked: ${nc.join("; ")}` : "";
}

function outageText(o) {
  // the terminal screen's words (cli.live_angles.outage_words), on the page's clock
  const who = o.placement.replace("_", " ");
  let text = o.frozen
    ? `${who} sensor frozen since ${fmtS(o.since_t_s)} (the same sample repeated)`
    : `${who} sensor out since ${fmtS(o.since_t_s)}`;
  if (o.lost) text += " (too long to resume: restart the session to calibrate again)";
  return text;
}

function drawOutages(s) {
  const ul = $("outages");
  const list = s.end ? [] : s.outages || [];
  const texts = list.map(outageText);
  if (ul.dataset.shown !== texts.join("\n")) {
    ul.dataset.shown = texts.join("\n");
    ul.textContent = "";
    for (const o of list) el("li", { class: o.frozen ? "frozen" : "out", "data-placement": o.placement, text: outageText(o) }, ul);
  }
  ul.hidden = list.length === 0;
}

function drawSensors(s) {
  const list = s.sensors || [];
  const ended = s.phase === "ended";
  const frozen = new Set((s.outages || []).filter((o) => o.frozen).map((o) => o.placement));
  const ok = (x) => (x.state === "streaming" && !frozen.has(x.placement)) || (ended && x.state === "stopped");
  const fine = list.every((x) => ok(x) && !x.lost && !x.bad_packets && !x.reconnects && !x.gaps);
  const batt = (x) => (x.battery_pct == null ? "" : ` ${x.battery_pct}%`);
  $("sensor-line").textContent = list.length === 0 ? "looking for the sensors…" : fine
    ? `all ${list.length} ${ended ? "stopped, no trouble" : "streaming"} — ` + list.map((x) => `${x.placement.replace("_", " ")} ${Math.round(x.rate_hz || 0)} Hz${batt(x)}`).join(" · ")
    : `${list.filter((x) => x.state === "streaming").length} of ${list.length} streaming`;
  const table = $("sensor-table");
  table.hidden = fine;
  const tb = table.querySelector("tbody");
  tb.textContent = "";
  if (fine) return;
  for (const x of list) {
    const stuck = frozen.has(x.placement) && !ended; // streams, but one sample over and over
    const tr = el("tr", { class: x.state === "streaming" && !stuck ? "" : "warn", "data-placement": x.placement }, tb);
    el("td", { text: x.placement }, tr);
    el("td", { text: stuck ? `${x.state}, frozen` : x.state }, tr);
    el("td", { class: "num", text: `${Math.round(x.rate_hz || 0)}${x.configured_hz ? " / " + x.configured_hz : ""} Hz` }, tr);
    el("td", { class: "num", text: `${x.lost} / ${x.bad_packets}` }, tr);
    el("td", { class: "num", text: `${x.reconnects}` }, tr);
    el("td", { class: "num", text: x.battery_pct == null ? "—" : `${x.battery_pct}%` }, tr);
  }
}

function drawMarks(s) {
  const ol = $("mark-list");
  const marks = s.marks || [];
  if (ol.childElementCount === marks.length) return;
  ol.textContent = "";
  for (const m of marks) el("li", { text: `${fmtS(m.t_s)} ${m.label}` }, ol);
}

function drawChoices(s) {
  for (const [id, key, items] of [["what", "what", s.mark_what], ["where", "where", s.mark_where]]) {
    const box = $(id);
    if (box.childElementCount || !items) continue;
    items.forEach((item, i) => {
      const label = id === "what" ? `${i + 1} ${item}` : item;
      const b = el("button", { type: "button", class: "chip", "data-value": item, "aria-pressed": "false", text: label }, box);
      b.addEventListener("click", () => choose(key, item));
    });
  }
}

function choose(key, value) {
  sg[key] = sg[key] === value ? null : value;
  for (const b of $(key).querySelectorAll("button")) {
    b.setAttribute("aria-pressed", String(b.dataset.value === sg[key]));
  }
}

function drawCue(s) {
  const cue = $("cue");
  const text = s.end ? "" : s.cue || "";
  if (cue.textContent !== text) cue.textContent = text;
  cue.hidden = !text;
  document.body.classList.toggle("alarm", !!text);
}

function drawBehind(s) {
  // the terminal screen's line when the angles lag the sensors (a busy computer)
  const box = $("behind");
  const text = s.end ? "" : s.behind || "";
  if (box.textContent !== text) box.textContent = text;
  box.hidden = !text;
}

function drawStandIn(s) {
  // the terminal screen's line while the thigh's tilt stands in for the pelvis (cli.live_angles.stand_in_words)
  const box = $("stand-in");
  const text = s.end ? "" : s.stand_in || "";
  if (box.textContent !== text) box.textContent = text;
  box.hidden = !text;
}

function drawList(id, texts) {
  // a list of sentences, redrawn only when they change
  const ul = $(id);
  if (ul.dataset.shown !== texts.join("\n")) {
    ul.dataset.shown = texts.join("\n");
    ul.textContent = "";
    for (const t of texts) el("li", { text: t }, ul);
  }
  ul.hidden = texts.length === 0;
}

function drawDoubts(s) {
  // what the report will say of rules and readings it doubts, on the session so far
  // (the terminal screen's lines: cli.live_feed.SessionTally.doubt_lines)
  drawList("doubts", s.end ? [] : s.doubts || []);
}

function drawStatus(s) {
  let text;
  if (s.phase === "connecting") text = "connecting to the sensors…";
  else if (s.problem) text = s.problem;
  else if (s.phase === "calibration") {
    const now = (s.steps || []).find((x) => x.state === "now");
    text = now ? now.prompt : "calibrating…";
  } else if (s.phase === "ended") text = "";
  else if (s.outside) text = "OUTSIDE the envelope";
  else if (s.engaged) text = "inside the nerve-friendly envelope";
  else if (s.stretch_ended) text = `stretch ended — hold ${Math.round((s.hold || {}).best_s || 0)} s`;
  else text = "get into the stretch";
  $("status").textContent = text;
  $("status").className = `status phase-${s.phase}${s.outside ? " out" : ""}`;
}

function drawEnd(s) {
  if (!s.end) return;
  sg.ended = true;
  $("end").hidden = false;
  $("verdict").textContent = s.end.verdict;
  drawList("end-doubts", s.end.doubts || []);
  $("next").textContent = s.end.next_command;
  $("end-summary").textContent = s.end.summary || "";
  $("stop").hidden = true;
  $("marks").hidden = true;
  if (!sg.scrolled) { sg.scrolled = true; window.scrollTo(0, 0); }
  $("link").textContent = "session over";
}

function render(s) {
  const recv = performance.now();
  sg.last = s;
  $("title").textContent = s.title || "stretchguard live";
  $("clock").textContent = fmtS(s.t_s);
  $("rec").textContent = `recording ${s.recording}`;
  drawBehind(s);
  drawOutages(s);
  drawStandIn(s);
  drawCue(s);
  drawStatus(s);
  drawFigure(s);
  drawSteps(s);
  drawHold(s);
  drawRules(s);
  drawDoubts(s);
  drawSensors(s);
  drawChoices(s);
  drawMarks(s);
  drawEnd(s);
  const j = s.joints || {};
  const ankle = (s.rules || []).find((r) => r.joint === "ankle");
  sg.trace.push({
    seq: s.seq, t_s: s.t_s, recv_ms: recv, render_ms: performance.now() - recv,
    cue: s.cue, cue_shown: !$("cue").hidden && $("cue").textContent === (s.cue || ""),
    ankle_state: j.ankle || null, ankle_deg: ankle ? ankle.angle_deg : null,
    ankle_fill: ankleFill(),
    engaged: s.engaged, phase: s.phase, server_mono_s: s.server_mono_s,
    lag_s: s.lag_s, behind_shown: !$("behind").hidden,
    outages: (s.outages || []).map((o) => ({ placement: o.placement, frozen: !!o.frozen })),
    outages_shown: $("outages").hidden ? [] : [...$("outages").children].map((li) => li.textContent),
    stand_in: s.stand_in || null, stand_in_shown: $("stand-in").hidden ? null : $("stand-in").textContent,
    doubts: s.doubts || [], doubts_shown: $("doubts").hidden ? [] : [...$("doubts").children].map((li) => li.textContent),
  });
  if (sg.trace.length > 5000) sg.trace.splice(0, 1000);
}

function ankleFill() {
  const c = document.querySelector("circle[data-joint=ankle]");
  return c ? getComputedStyle(c).fill : null;
}

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(obj));
    return true;
  }
  return false;
}

function mark() {
  if (sg.ended) return;
  const ok = send({ type: "mark", what: sg.what, where: sg.where });
  const parts = [sg.what, sg.where && `in the ${sg.where}`].filter(Boolean).join(" ");
  $("mark-done").textContent = ok ? `marked: ${parts || "symptom"}` : "not connected — mark not sent";
  choose("what", null);
  choose("where", null);
}

function connect() {
  ws = new WebSocket(`ws://${location.host}/ws${location.search}`);
  ws.onopen = () => { retry = 0; $("link").textContent = "live"; $("link").className = "link ok"; };
  ws.onmessage = (ev) => render(JSON.parse(ev.data));
  ws.onclose = () => {
    if (sg.ended) return;
    $("link").textContent = "connection lost — retrying";
    $("link").className = "link bad";
    retry = Math.min(retry + 1, 5);
    setTimeout(connect, 500 * retry);
  };
}

function init() {
  drawLegend();
  $("mark").addEventListener("click", mark);
  $("stop").addEventListener("click", () => {
    if (window.confirm("Stop and save the recording?")) send({ type: "stop" });
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target && ev.target.tagName === "BUTTON" && (ev.key === " " || ev.key === "Enter")) return;
    if (ev.key === "m" || ev.key === "M" || ev.key === " ") { ev.preventDefault(); mark(); }
    const n = Number(ev.key);
    const what = (sg.last && sg.last.mark_what) || [];
    if (n >= 1 && n <= what.length) choose("what", what[n - 1]);
  });
  connect();
}

document.addEventListener("DOMContentLoaded", init);
