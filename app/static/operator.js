// The operator's page: what the director is doing, and a chat with it. The session cookie set
// at sign-in goes with every request; a 401 sends the operator back to sign in.
"use strict";

const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function row(...cells) {
  const tr = el("tr");
  for (const c of cells) { const td = el("td"); td.append(c); tr.append(td); }
  return tr;
}
const num = (v) => (typeof v === "number" && !Number.isInteger(v) ? +v.toPrecision(3) : v);
const short = (s, n) => (s && s.length > n ? s.slice(0, n) + "…" : s || "");
const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hourCycle: "h23" }) : "");

async function api(path, options = {}) {
  const r = await fetch(path, { cache: "no-store", credentials: "same-origin", ...options });
  if (r.status === 401 || r.status === 403) { location.href = "/operator"; throw new Error("signed out"); }
  return r;
}

function details(summaryText, body, cls) {
  const d = el("details", cls), s = el("summary", "", summaryText);
  d.append(s, el("div", "mono", body)); return d;
}

function renderOverview(o) {
  const s = o.status || {};
  $("title").textContent = `Operator · ${s.show || "AI WebTV"}`;
  const air = s.on_air;
  $("onair").textContent = !air ? "off air" : air.kind === "slate" ? "On air: slate"
    : `On air: ${air.kind === "replay" ? "rerun" : "premiere"} of take ${air.take_id} · ${air.action || ""}`;
  $("buffer").textContent = o.buffer.seconds;
  const ch = s.channel || {};
  const mode = !ch.running ? "the autopilot is not running"
    : `of ${ch.buffer_target_s} s target · ${ch.mode}` +
      (ch.mode === "degraded" ? ` since ${clock(ch.since)}: ${short(ch.reason || "", 160)}` : "");
  $("mode").textContent = mode;
  $("mode").className = ch.running && ch.mode === "degraded" ? "bad" : "muted";
  const sp = s.spend || {}; const bu = sp.budget || {};
  $("spend").textContent = `Spend today (UTC): $${(sp.spent_usd || 0).toFixed(2)}` +
    (sp.per_aired_minute_usd ? ` · $${sp.per_aired_minute_usd.toFixed(2)} per aired minute` : "") +
    ` · forecast $${(sp.forecast_usd || 0).toFixed(2)}` +
    (bu.day_usd != null ? ` · budget $${bu.day_usd.toFixed(2)} a day` : "") +
    (bu.hour_usd != null ? `, $${bu.hour_usd.toFixed(2)} an hour` : "") +
    (bu.spent ? " · spent: the library airs" : "");
  $("spend").className = bu.spent ? "bad" : "muted";
  $("making").replaceChildren(...(ch.running ? ch.making || [] : []).map((m) =>
    el("li", "muted", `Making ${m.kind} with ${m.model}: step ${m.step} of ${m.steps}, ` +
      `${Math.round(m.seconds)} s` + (m.note ? ` (${m.note})` : ""))));
  $("failing").replaceChildren(...(s.failing || []).map((f) =>
    el("li", "bad", `${f.model} (${f.capability}) failed its last ${f.failed_in_a_row} ` +
      `takes: ${short(f.last_error, 200)}`)));
  $("outputs").replaceChildren(...(ch.running ? ch.outputs || [] : []).map((out) =>
    el("li", out.state === "up" ? "muted" : "bad", out.state === "up"
      ? `${out.name} ${out.where || ""}: up` + (out.restarts ? ` (${out.restarts} restarts)` : "")
      : `${out.name} ${out.where || ""}: reconnecting, retry in ${out.retry_in_s} s ` +
        `(${out.restarts} restarts): ${short(out.last_error || "", 120)}`)));
  const pr = s.programme || {};
  $("programme").textContent = (pr.segment
    ? `Segment ${pr.segment.position}: ${pr.segment.title} (${pr.segment.written} of ` +
      `${pr.segment.shots} shots written)` : "No segment planned yet") +
    (pr.queued_themes && pr.queued_themes.length ? ` · queued: ${pr.queued_themes.join("; ")}` : "");
  $("upcoming").replaceChildren(...o.buffer.upcoming.map((u) =>
    el("li", "", `take ${u.take_id} · ${u.action} (${u.duration_s} s)`)));
  $("endpoints").replaceChildren(...(o.endpoints.length ? o.endpoints.map((e) => row(
    el("span", "mono", e.endpoint), e.capability || "", `${e.ok} / ${e.attempts}`,
    el("span", e.last_outcome === "ok" ? "ok" : "bad",
      e.last_outcome + (e.last_error && e.last_outcome !== "ok" ? `: ${short(e.last_error, 120)}` : ""))))
    : [row(el("span", "muted", "Local backends only: no remote calls yet."), "", "", "")]));
  const t = s.takes || {};
  $("counts").textContent = Object.entries(t).map(([k, v]) => `${v} ${k}`).join(" · ");
  $("calls").replaceChildren(...o.tool_calls.map((c) => row(
    clock(c.at), el("span", c.ok ? "ok" : "bad", c.name), el("span", "mono", short(c.arguments, 160)),
    details(short(c.result, 90), c.result, c.ok ? "" : "bad"), Math.round(c.duration_ms || 0))));
  $("rejected").replaceChildren(...(o.rejected.length ? o.rejected.map((r) => {
    const box = el("div", "rejected");
    const pic = el("div");
    if (r.sheet) { const img = el("img"); img.src = r.sheet; img.alt = `take ${r.take_id}`; pic.append(img); }
    const text = el("div");
    text.append(el("div", "", `take ${r.take_id} (shot ${r.shot_id}) · ${r.action} · ${clock(r.at)}`));
    const ul = el("ul");
    for (const c of r.failed_checks) {
      ul.append(el("li", "bad", `${c.name}: ${num(c.value)} (threshold ${num(c.threshold)}) · ${c.detail || ""}`));
    }
    if (!r.failed_checks.length && r.reason) ul.append(el("li", "bad", r.reason));
    text.append(ul, details("prompt", r.prompt));
    box.append(pic, text); return box;
  }) : [el("p", "muted", "No rejected takes.")]));
  $("reviews").replaceChildren(...(o.reviews.length ? o.reviews.map((r) => row(
    clock(r.at), `take ${r.take_id}`,
    el("span", r.verdict === "keep" ? "ok" : r.verdict === "unreviewed" ? "muted" : "bad", r.verdict),
    short(r.reason, 160), r.action ? `${r.shot_action} → ${r.action}` : r.shot_action))
    : [row(el("span", "muted", o.sees_images ? "No take reviewed yet."
      : "The director's model does not see images: takes are not reviewed by sight."))]));
  $("suggestions").replaceChildren(...(o.suggestions || []).map((s) => {
    const remove = el("button", "star", "remove"), mute = el("button", "star", "mute");
    remove.type = mute.type = "button";
    remove.title = "take it off the list"; mute.title = `refuse ${s.name}'s suggestions and votes`;
    remove.onclick = () => act(`/api/operator/suggestions/${s.id}/remove`, {});
    mute.onclick = () => act("/api/operator/mute", { suggestion: s.id });
    const both = el("span"); both.append(remove, " ", mute);
    return row(String(s.id), s.text, `${s.name} (${s.source})`, String(s.votes), both);
  }));
  $("aired").replaceChildren(...o.aired.map((a) => {
    const star = el("button", "star", a.favourite ? "★" : "☆");
    star.type = "button"; star.title = a.favourite ? "unmark favourite" : "keep as a favourite";
    star.onclick = () => favourite(a.take_id, !a.favourite);
    return row(star, `take ${a.take_id}`, a.action, clock(a.aired_at));
  }));
}

async function refresh() {
  try { renderOverview(await (await api("/api/operator/overview")).json()); }
  catch (err) { console.warn("overview:", err); }
}

async function act(path, body) {
  await api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                    body: JSON.stringify(body) });
  refresh();
}

async function favourite(takeId, on) {
  await api("/api/operator/favourite", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ take_id: takeId, favourite: on }),
  });
  refresh();
}

// -- chat ---------------------------------------------------------------------------------
function say(cls, text) {
  const log = $("chatlog"), p = el("p", cls, text);
  log.append(p); log.scrollTop = log.scrollHeight; return p;
}

function show(event) {
  if (event.event === "call") say("call", `→ ${event.name}(${event.arguments})`);
  else if (event.event === "result") {
    say("result " + (event.ok ? "ok" : "bad"),
      `← ${event.ok ? "ok" : "ERROR"} ${event.name} (${Math.round(event.duration_ms)} ms): ${short(event.content, 400)}`);
  } else if (event.event === "answer") say("answer", `director: ${event.text}`);
  else if (event.event === "error") say("bad", event.text);
}

$("chat").addEventListener("submit", async (e) => {
  e.preventDefault();
  const message = $("message").value.trim();
  if (!message) return;
  $("message").value = ""; $("send").disabled = true;
  say("you", `you: ${message}`);
  const working = say("muted", "the director is working…");
  try {
    const r = await api("/api/operator/chat", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message }),
    });
    if (!r.ok) { say("bad", (await r.json()).error || `failed: ${r.status}`); return; }
    const reader = r.body.getReader(), decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split("\n"); buffered = lines.pop();
      for (const line of lines) if (line.trim()) show(JSON.parse(line));
    }
  } catch (err) { say("bad", `failed: ${err.message}`); }
  finally { working.remove(); $("send").disabled = false; $("message").focus(); refresh(); }
});

refresh();
setInterval(refresh, 3000);
