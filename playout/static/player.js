// The channel's player. Safari and iOS play HLS natively; elsewhere a small loader appends the
// fMP4 HLS segments to a MediaSource. The segments carry the channel clock as media time, so
// video.currentTime says exactly which air-log entry is on screen.
"use strict";

const video = document.getElementById("video");
const PLAYLIST = "/hls/live.m3u8";
let state = { session: null, onAir: [], codecs: "avc1.64001f,mp4a.40.2", native: false };
let loaderSession = 0;  // bumped to stop a loader when the playout restarts

document.getElementById("unmute").onclick = (e) => {
  video.muted = false; video.play().catch(() => {}); e.target.remove();
};

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function parsePlaylist(text) {
  const lines = text.split("\n").map((l) => l.trim());
  let seq = 0, init = null; const segments = [];
  for (const line of lines) {
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) seq = parseInt(line.split(":")[1], 10);
    else if (line.startsWith("#EXT-X-MAP:")) init = /URI="([^"]+)"/.exec(line)[1];
    else if (line && !line.startsWith("#")) segments.push({ uri: line, seq: seq + segments.length });
  }
  return { init, segments };
}

async function fetchBytes(url) {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(url + ": " + r.status);
  return r.arrayBuffer();
}

function append(sb, bytes) {
  return new Promise((resolve, reject) => {
    sb.addEventListener("updateend", resolve, { once: true });
    sb.addEventListener("error", reject, { once: true });
    sb.appendBuffer(bytes);
  });
}

async function mseLoader(me) {
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await new Promise((r) => ms.addEventListener("sourceopen", r, { once: true }));
  const sb = ms.addSourceBuffer(`video/mp4; codecs="${state.codecs}"`);
  let next = null, initDone = false;
  while (me === loaderSession) {
    try {
      const { init, segments } = parsePlaylist(await (await fetch(PLAYLIST, { cache: "no-store" })).text());
      if (segments.length) {
        const last = segments[segments.length - 1].seq;
        if (next === null || next < segments[0].seq || next > last + 1) next = Math.max(segments[0].seq, last - 2);
        if (!initDone && init) { await append(sb, await fetchBytes("/hls/" + init)); initDone = true; }
        for (const seg of segments) {
          if (seg.seq < next || me !== loaderSession) continue;
          await append(sb, await fetchBytes("/hls/" + seg.uri));
          next = seg.seq + 1;
        }
        keepPlaying(sb);
      }
    } catch (err) { console.warn("loader:", err); }
    await sleep(1000);
  }
}

function keepPlaying(sb) {
  const b = video.buffered;
  if (!b.length) return;
  const start = b.start(0), end = b.end(b.length - 1), t = video.currentTime;
  if (t < start || t > end || end - t > 12) video.currentTime = Math.max(start, end - 6);
  if (video.paused) video.play().catch(() => {});
  if (!sb.updating && t - start > 60) sb.remove(start, t - 30);  // bounded memory
}

function startPlayer() {
  loaderSession += 1;
  if (window.MediaSource && MediaSource.isTypeSupported(`video/mp4; codecs="${state.codecs}"`)) {
    mseLoader(loaderSession);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    state.native = true; video.src = PLAYLIST; video.play().catch(() => {});
  }
}

function onScreen() {
  const entries = state.onAir;
  if (!entries.length) return null;
  let probe = video.currentTime;
  let key = "stream";
  if (state.native) {  // native HLS: map through the playlist's program date-time
    const d = video.getStartDate && video.getStartDate();
    if (!d || isNaN(d.getTime())) return entries[0];
    probe = (d.getTime() / 1000) + video.currentTime; key = "wall";
  }
  for (const e of entries) {
    const a = key === "stream" ? e.stream_start : Date.parse(e.started_at) / 1000;
    const z = key === "stream" ? (e.stream_end ?? Infinity) : (e.ended_at ? Date.parse(e.ended_at) / 1000 : Infinity);
    if (probe >= a && probe < z) return e;
  }
  return null;
}

function render() {
  const e = onScreen();
  const action = document.getElementById("action"), prompt = document.getElementById("prompt");
  if (!e) return;
  action.dataset.airId = e.id;
  if (e.kind === "slate") { action.textContent = "Slate — the next take is on its way"; prompt.textContent = ""; }
  else {
    action.textContent = (e.kind === "replay" ? "Replay: " : "") + (e.action || "");
    prompt.textContent = e.prompt || "";
  }
}

async function poll() {
  while (true) {
    try {
      const now = await (await fetch("/api/now", { cache: "no-store" })).json();
      document.getElementById("title").textContent = now.title;
      document.title = now.title;
      document.getElementById("logline").textContent = now.logline;
      state.codecs = now.codecs; state.onAir = now.on_air;
      if (now.session && now.session !== state.session) {  // a (re)started playout
        state.session = now.session; startPlayer();
      }
      const list = document.getElementById("next");
      list.replaceChildren(...now.next.map((n) => {
        const li = document.createElement("li"); li.textContent = n.action; return li;
      }));
    } catch (err) { console.warn("now:", err); }
    await sleep(1000);
  }
}

setInterval(render, 250);
poll();
