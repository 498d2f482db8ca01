// The channel's player and what it shows beside the picture.
//
// Three ways to play the fMP4 HLS stream, best first: Safari's own HLS where there is no
// MediaSource (iPhone); hls.js (served by us from node_modules); else a small loader of our own
// that appends the segments to a MediaSource. Whatever plays, the page works out the channel
// clock of the frame on screen ("stream time": the air log's stream_start/stream_end) and shows
// that airing's shot and prompt, so the words change when the picture does, not when the
// transmitter moved on seconds earlier.
//
// Captions (the shot on screen, as a WebVTT track of the stream) show when the viewer turns
// them on with CC: hls.js and Safari read them from the master playlist; our own loader reads
// the caption playlist itself and adds the cues to a text track.
"use strict";

const video = document.getElementById("video");
const MAX_BACKOFF_MS = 10000;
// Exposed for the curious and for the browser tests (tests/browser/).
const state = window.webtv = {
  channel: new URLSearchParams(location.search).get("channel") || "main", channels: [],
  session: null, onAir: [], next: [], premiere: null, codecs: "avc1.64001f,mp4a.40.2",
  mode: null, offset: null, hls: null, generation: 0, restarts: 0, director: null,
  firstFrameMs: null, firstWordsMs: null, shown: null, clock: null,
  captions: localStorage.getItem("webtv.captions") === "on", captionsFound: false,
};

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function say(text) { $("state").textContent = text; $("state").hidden = !text; }
// The director's channel streams under /hls/, a library channel of the network under /ch/NAME/.
const base = () => (state.channel === "main" ? "/hls/" : `/ch/${state.channel}/`);
const playlist = () => base() + "live.m3u8";  // the picture alone (our own loader)
const master = () => base() + "master.m3u8";  // the picture and its captions

// -- playing ------------------------------------------------------------------------------
function startPlayer() {
  stopPlayer();
  const me = ++state.generation;
  state.offset = null;
  const native = video.canPlayType("application/vnd.apple.mpegurl");
  const mseType = `video/mp4; codecs="${state.codecs}"`;
  const asked = new URLSearchParams(location.search).get("player");  // ?player=mse to compare
  if (asked === "native" && native) startNative(me);
  else if (asked === "mse" && window.MediaSource) mseLoader(me, mseType);
  else if (native && !window.MediaSource) startNative(me);
  else if (window.Hls && window.Hls.isSupported()) startHlsJs(me);
  else if (window.MediaSource && MediaSource.isTypeSupported(mseType)) mseLoader(me, mseType);
  else if (native) startNative(me);
  else say("This browser cannot play the stream.");
}

function stopPlayer() {
  if (state.hls) { state.hls.destroy(); state.hls = null; }
  state.captionsFound = false; $("cc").hidden = true;
  state.generation += 1;  // stops our own loader and any pending retry
}

function startHlsJs(me) {
  const Hls = window.Hls;
  state.mode = "hls.js";
  const hls = state.hls = new Hls({
    liveSyncDurationCount: 3, liveMaxLatencyDurationCount: 8,
    maxBufferLength: 12, backBufferLength: 30,
  });
  let backoff = 1000, mediaErrors = 0;
  // hls.js plays fMP4 on a timeline of its own: media time minus initPTS. Adding it back gives
  // the segments' own time, which is the channel clock.
  hls.on(Hls.Events.INIT_PTS_FOUND, (_, d) => { state.offset = d.initPTS / d.timescale; });
  hls.on(Hls.Events.FRAG_BUFFERED, () => {
    backoff = 1000;
    // hls.js picks its own track while it starts (none: ours is not DEFAULT); the viewer's
    // choice is put back once it plays
    if (state.captions && state.captionsFound && hls.subtitleTrack === -1) showCaptions();
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); showCaptions(); });
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_, d) => {
    state.captionsFound = d.subtitleTracks.length > 0; showCaptions();
  });
  hls.on(Hls.Events.ERROR, (_, d) => {
    if (!d.fatal || me !== state.generation) return;
    console.warn("hls.js:", d.type, d.details);
    if (d.type === Hls.ErrorTypes.MEDIA_ERROR && mediaErrors++ < 3) {
      hls.recoverMediaError();
    } else if (d.type === Hls.ErrorTypes.NETWORK_ERROR) {
      say("Reconnecting…");
      setTimeout(() => {
        if (me !== state.generation) return;
        if (hls.levels && hls.levels.length) hls.startLoad(); else hls.loadSource(master());
      }, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    } else {
      setTimeout(() => { if (me === state.generation) restart(); }, backoff);
    }
  });
  hls.loadSource(master());
  hls.attachMedia(video);
}

function startNative(me) {
  state.mode = "native";
  let backoff = 1000;
  video.onerror = () => {
    if (me !== state.generation) return;
    say("Reconnecting…");
    setTimeout(() => {
      if (me === state.generation) { video.src = master(); video.play().catch(() => {}); }
    }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };
  video.textTracks.onaddtrack = () => { state.captionsFound = true; showCaptions(); };
  video.src = master();
  video.play().catch(() => {});
}

// Our own loader: the segments carry the channel clock as media time and are appended as they
// are, so video.currentTime is the stream time.
function parsePlaylist(text) {
  let seq = 0, init = null; const segments = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
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

async function mseLoader(me, mseType) {
  state.mode = "mse"; state.offset = 0;
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await new Promise((r) => ms.addEventListener("sourceopen", r, { once: true }));
  const sb = ms.addSourceBuffer(mseType);
  let next = null, initDone = false;
  while (me === state.generation) {
    try {
      const { init, segments } = parsePlaylist(await (await fetch(playlist(), { cache: "no-store" })).text());
      if (segments.length) {
        const last = segments[segments.length - 1].seq;
        if (next === null || next < segments[0].seq || next > last + 1) next = Math.max(segments[0].seq, last - 2);
        if (!initDone && init) { await append(sb, await fetchBytes(base() + init)); initDone = true; }
        for (const seg of segments) {
          if (seg.seq < next || me !== state.generation) continue;
          await append(sb, await fetchBytes(base() + seg.uri));
          next = seg.seq + 1;
        }
        keepPlaying(sb);
      }
      await loadCaptions(me);
    } catch (err) { console.warn("loader:", err); }
    await sleep(1000);
  }
}

// Our loader's captions: the cues of the caption playlist's segments, whose times are the
// channel clock, which is this loader's media time.
const ownCues = new Set();
let ownTrack = null;
async function loadCaptions(me) {
  const r = await fetch(base() + "captions.m3u8", { cache: "no-store" });
  if (!r.ok || me !== state.generation) return;
  if (!ownTrack) { ownTrack = video.addTextTrack("captions", "On screen", "en"); }
  if (!state.captionsFound) { state.captionsFound = true; showCaptions(); }
  if (!state.captions) return;
  for (const cue of [...(ownTrack.cues || [])]) {  // bounded memory over hours of air
    if (cue.endTime < video.currentTime - 60) ownTrack.removeCue(cue);
  }
  const names = (await r.text()).split("\n").map((l) => l.trim()).filter((l) => l.endsWith(".vtt"));
  for (const name of names.slice(-3)) {
    const text = await (await fetch(base() + name, { cache: "no-store" })).text();
    const blocks = text.split(/\n\n+/);
    for (const block of blocks) {
      const m = /(\d+):(\d\d):(\d\d\.\d+) --> (\d+):(\d\d):(\d\d\.\d+)[^\n]*\n([^]*)/.exec(block);
      if (!m) continue;
      const start = +m[1] * 3600 + +m[2] * 60 + +m[3], end = +m[4] * 3600 + +m[5] * 60 + +m[6];
      const key = `${start}|${end}|${m[7]}`;
      if (ownCues.has(key)) continue;
      ownCues.add(key);
      const words = m[7].trim().replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
      const cue = new VTTCue(start, end, words);
      cue.line = -3;
      ownTrack.addCue(cue);
    }
  }
}

// -- captions ---------------------------------------------------------------------------
function showCaptions() {
  $("cc").hidden = !state.captionsFound;
  $("cc").setAttribute("aria-pressed", String(state.captions));
  if (state.hls) {
    state.hls.subtitleDisplay = state.captions;
    state.hls.subtitleTrack = state.captions && state.captionsFound ? 0 : -1;
  }
  for (const track of video.textTracks) {
    if (track.kind === "subtitles" || track.kind === "captions") {
      track.mode = state.captions ? "showing" : "hidden";
    }
  }
}
$("cc").onclick = () => {
  state.captions = !state.captions;
  localStorage.setItem("webtv.captions", state.captions ? "on" : "off");
  showCaptions();
};
// the cue on screen now, for the curious and the browser tests
state.cueOnScreen = () => {
  for (const track of video.textTracks) {
    if (track.mode === "showing" && track.activeCues && track.activeCues.length) {
      return track.activeCues[0].text;
    }
  }
  return null;
};

function keepPlaying(sb) {
  const b = video.buffered;
  if (!b.length) return;
  const start = b.start(0), end = b.end(b.length - 1), t = video.currentTime;
  if (t < start || t > end || end - t > 12) video.currentTime = Math.max(start, end - 6);
  if (video.paused) video.play().catch(() => {});
  if (!sb.updating && t - start > 60) sb.remove(start, t - 30);  // bounded memory
}

function restart() { state.restarts += 1; startPlayer(); }

// A picture that stops moving while it should play (a stall nobody recovered from, a playout
// that came back under the same session) gets a fresh player.
let lastTime = -1, stuckSince = null;
setInterval(() => {
  if (video.paused && (state.firstFrameMs !== null || video.readyState >= 3)) {
    stuckSince = null; return;  // paused by a person, or a browser that wants a tap first
  }
  if (video.currentTime !== lastTime) { lastTime = video.currentTime; stuckSince = null; return; }
  stuckSince = stuckSince || Date.now();
  if (Date.now() - stuckSince > 15000) { stuckSince = null; say("Reconnecting…"); restart(); }
}, 1000);

function firstFrame() {
  if (state.firstFrameMs === null) state.firstFrameMs = performance.now();
  say("");
}
// after a switch of channel: the first frame of the new one clears "Tuning…" and is timed
video.addEventListener("timeupdate", () => {
  if (state.tunedAt !== undefined && state.tuneMs === null && video.currentTime > 0 && state.session) {
    state.tuneMs = performance.now() - state.tunedAt; say("");
  }
});
if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback(firstFrame);
video.addEventListener("playing", () => { if (video.currentTime > 0 || state.firstFrameMs !== null) firstFrame(); });
video.addEventListener("timeupdate", () => { if (video.currentTime > 0 && state.firstFrameMs === null) firstFrame(); });
video.addEventListener("waiting", () => { if (state.firstFrameMs !== null) say("Buffering…"); });
video.addEventListener("volumechange", () => { $("unmute").hidden = !video.muted; });
$("unmute").onclick = () => { video.muted = false; video.play().catch(() => {}); };

// -- what is on screen --------------------------------------------------------------------
// Safari's player speaks the playlist's program date-time (FFmpeg's wall clock); the server
// pairs one segment's date-time with its media time, which is the channel clock.
function wallToStream(wall) {
  if (state.clock) return state.clock.media_time + (wall - state.clock.pdt);
  const e = state.onAir.find((x) => x.started_at);  // near enough: the transmitter's clock
  return e ? wall - (Date.parse(e.started_at) / 1000 - e.stream_start) : null;
}

function streamTime() {
  if (state.mode === "native") {
    const d = video.getStartDate && video.getStartDate();
    if (!d || isNaN(d.getTime())) return null;
    return wallToStream(d.getTime() / 1000 + video.currentTime);
  }
  if (state.mode === "hls.js" && state.offset === null) {  // no initPTS yet: the PDT will do
    const d = state.hls && state.hls.playingDate;
    return d ? wallToStream(d.getTime() / 1000) : null;
  }
  return state.offset === null ? null : video.currentTime + state.offset;
}
state.streamTime = streamTime;

function onScreen(t) {
  if (t === null || video.readyState < 2) return null;
  return state.onAir.find((e) => t >= e.stream_start && t < (e.stream_end ?? Infinity)) || null;
}

function render() {
  const e = onScreen(streamTime());
  if (!e || (state.shown && state.shown.id === e.id && state.shown.ended === e.stream_end)) return;
  state.shown = { id: e.id, ended: e.stream_end };
  if (state.firstWordsMs === null) state.firstWordsMs = performance.now();
  const action = $("action");
  action.dataset.airId = e.id;
  action.dataset.takeId = e.take_id ?? "";
  $("kind").textContent = e.kind === "replay" ? "· rerun" : e.kind === "slate" ? "· slate" : "· premiere";
  $("credit").textContent = e.suggested_by ? `Suggested by ${e.suggested_by}` : "";
  $("credit").hidden = !e.suggested_by;
  if (e.kind === "slate") {
    action.textContent = "Slate: new scenes are on their way";
    $("prompt").textContent = "";
  } else {
    action.textContent = e.action || "";
    $("prompt").textContent = e.prompt || "";
  }
  renderNext(e);
  renderStrip();
}

// Up next for this viewer: what already went out after the picture on screen (the stream runs
// a few seconds behind the transmitter), then the schedule.
function renderNext(current) {
  const later = current ? state.onAir.filter((e) => e.id > current.id && e.kind !== "slate")
    .sort((a, b) => a.id - b.id).map((e) => ({ action: e.action, kind: e.kind })) : [];
  const items = [...later, ...state.next.map((n) => ({ action: n.action, kind: "take" }))];
  $("next").replaceChildren(...items.slice(0, 5).map((n) =>
    el("li", "", (n.kind === "replay" ? "Rerun: " : "Premiere: ") + (n.action || ""))));
  if (!items.length) $("next").replaceChildren(el("li", "muted", state.director
    ? `The director is ${state.director}.` : "The director is making the next takes."));
  renderPremiere();
}

// The guide's programme now and next: the same blocks as the XMLTV and `webtv status`.
function renderGuide(guide) {
  const box = $("guide");
  box.hidden = !guide || !guide.length;
  if (box.hidden) return;
  const at = (t) => new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const name = (g) => g.title + (g.sub_title ? ` — ${g.sub_title}` : "");
  const [on, next] = guide;
  box.textContent = `In the guide: ${name(on)} until ${at(on.stop)}` +
    (next ? `; then ${name(next)}` : "");
}

// The next premiere and when, as the channel estimates it from the pace it measures.
function renderPremiere() {
  const p = state.premiere, box = $("premiere");
  box.hidden = !p;
  if (!p) return;
  const scene = `${p.continues ? "The rest of the scene" : "A new scene"} (${p.shots} shot${p.shots === 1 ? "" : "s"})`;
  let when = "in the making";
  if (p.ready) when = "next";
  else if (p.eta) {
    const minutes = Math.round((Date.parse(p.eta) - Date.now()) / 60000);
    const at = new Date(p.eta).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    when = minutes >= 1 ? `at about ${at} (in ${minutes} min)` : "in a moment";
  }
  box.textContent = `Next premiere: ${scene}, ${when}: ${p.action}`;
  box.dataset.scene = p.scene;
}

async function poll() {
  for (;;) {
    try {
      const asked = state.channel;
      const now = await (await fetch(`/api/now?channel=${encodeURIComponent(asked)}`,
                                     { cache: "no-store" })).json();
      if (asked !== state.channel || now.error) { await sleep(200); continue; }  // switched
      $("title").textContent = now.title; document.title = now.title;
      $("logline").textContent = now.logline;
      $("notice").textContent = now.notice || ""; $("notice").hidden = !now.notice;
      state.codecs = now.codecs; state.onAir = now.on_air; state.next = now.next;
      state.premiere = now.premiere; renderPremiere(); renderGuide(now.guide); state.director = now.director;
      state.clock = now.clock;
      if (now.session && now.session !== state.session) {  // a (re)started playout
        const first = state.session === null;
        state.session = now.session;
        if (first) startPlayer(); else restart();
        state.shown = null;
      }
      if (state.shown === null) renderNext(null);
    } catch (err) { console.warn("now:", err); }
    await sleep(1000);
  }
}

// -- the network: its channels, switched without a reload --------------------------------
function renderChannels() {
  const nav = $("channels");
  nav.hidden = state.channels.length < 2;
  nav.replaceChildren(...state.channels.map((c) => {
    const b = el("button", "channel", c.name === "main" ? "Live" : c.name);
    b.type = "button"; b.dataset.channel = c.name;
    b.title = c.policy === "tag" ? `takes tagged ${c.tag}` : c.policy;
    b.setAttribute("aria-pressed", String(c.name === state.channel));
    b.onclick = () => switchTo(c.name);
    return b;
  }));
}

function switchTo(name) {
  if (name === state.channel) return;
  state.channel = name;
  const url = new URL(location.href);
  if (name === "main") url.searchParams.delete("channel"); else url.searchParams.set("channel", name);
  history.replaceState(null, "", url);
  state.session = null; state.onAir = []; state.next = []; state.premiere = null; state.shown = null; state.clock = null;
  state.tunedAt = performance.now(); state.tuneMs = null;
  stopPlayer();
  video.removeAttribute("src"); video.load();  // the old channel's picture goes at once
  say("Tuning…");
  renderChannels();
}

async function channels() {
  for (;;) {
    try {
      state.channels = await (await fetch("/api/channels", { cache: "no-store" })).json();
      if (!state.channels.some((c) => c.name === state.channel)) switchTo("main");
      renderChannels();
    } catch (err) { console.warn("channels:", err); }
    await sleep(10000);
  }
}

// -- recently on air ----------------------------------------------------------------------
// Takes this viewer has seen: one that went out but is still seconds away on this screen is
// "up next", not "recently on air".
let recent = [];
function renderStrip() {
  const e = state.shown && state.onAir.find((x) => x.id === state.shown.id);
  const t = streamTime();
  const seenUntil = e && t !== null ? Date.parse(e.started_at) / 1000 + (t - e.stream_start) : Infinity;
  const seen = recent.filter((x) => x.media && Date.parse(x.aired_at) / 1000 <= seenUntil + 0.5);
  const shown = [...$("strip").querySelectorAll("button")].map((b) => b.dataset.key).join();
  if (shown === seen.map((x) => `${x.take_id}${x.favourite ? "*" : ""}`).join()) return;
  $("strip").replaceChildren(...seen.map((x) => {
    const b = el("button", "take"); b.type = "button"; b.dataset.takeId = x.take_id;
    b.dataset.key = `${x.take_id}${x.favourite ? "*" : ""}`;
    if (x.sheet) { const img = el("img"); img.src = x.sheet; img.alt = ""; img.loading = "lazy"; b.append(img); }
    b.append(el("span", "", (x.favourite ? "★ " : "") + (x.action || `Take ${x.take_id}`)));
    b.onclick = () => playTake(x);
    const li = el("li"); li.append(b); return li;
  }));
}

async function strip() {
  for (;;) {
    try {
      recent = await (await fetch("/api/recent", { cache: "no-store" })).json();
      renderStrip();
    } catch (err) { console.warn("recent:", err); }
    await sleep(5000);
  }
}

function playTake(t) {
  const v = $("replay-video");
  $("replay-action").textContent = t.action || "";
  $("replay-prompt").textContent = t.prompt || "";
  v.src = t.media;
  $("replay").showModal();
  v.play().catch(() => {});
}
$("replay").addEventListener("close", () => {
  const v = $("replay-video"); v.pause(); v.removeAttribute("src"); v.load();
});

setInterval(render, 200);
poll();
strip();
channels();
