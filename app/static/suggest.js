// Viewers' suggestions: a box to suggest the next scene (no sign-in), the open suggestions
// with their votes (one vote per viewer per suggestion: the server keeps a signed cookie),
// and the suggestions lately taken and aired, with who suggested them.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("suggest"), list = $("suggestions"), said = $("suggest-said");
  const mine = new Set(JSON.parse(sessionStorage.getItem("webtv.voted") || "[]"));

  function row(s, open) {
    const li = document.createElement("li");
    li.dataset.id = s.id;
    const text = document.createElement("span");
    text.className = "suggestion";
    text.textContent = `${s.text} `;
    const by = document.createElement("span");
    by.className = "muted";
    by.textContent = open ? `— ${s.name}` : `— ${s.name} · ${s.status === "aired" ? "aired" : "in the making"}`;
    li.append(text, by);
    if (open) {
      const vote = document.createElement("button");
      vote.type = "button"; vote.className = "vote";
      vote.textContent = `▲ ${s.votes}`;
      vote.disabled = mine.has(s.id);
      vote.title = vote.disabled ? "You voted for this" : "Vote for this scene";
      vote.onclick = () => castVote(s.id, vote);
      li.prepend(vote);
    }
    return li;
  }

  async function refresh() {
    try {
      const got = await (await fetch("/api/suggestions", { cache: "no-store" })).json();
      list.replaceChildren(...got.open.map((s) => row(s, true)));
      $("suggested").replaceChildren(...got.recent.map((s) => row(s, false)));
      $("suggest-text").maxLength = got.max_chars;
    } catch (err) { console.warn("suggestions:", err); }
  }

  async function post(url, body) {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                 body: JSON.stringify(body), credentials: "same-origin" });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(answer.error || `HTTP ${r.status}`);
    return answer;
  }

  async function castVote(id, button) {
    button.disabled = true;
    try {
      const got = await post(`/api/suggestions/${id}/vote`, {});
      button.textContent = `▲ ${got.votes}`;
    } catch (err) { said.textContent = err.message; }
    mine.add(id); sessionStorage.setItem("webtv.voted", JSON.stringify([...mine]));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("suggest-text").value.trim();
    if (!text) return;
    form.querySelector("button").disabled = true;
    try {
      const made = await post("/api/suggestions", { text, name: $("suggest-name").value.trim() });
      said.textContent = `Thanks! Suggestion ${made.id} is listed: the director takes the most voted.`;
      $("suggest-text").value = "";
      refresh();
    } catch (err) { said.textContent = err.message; }
    form.querySelector("button").disabled = false;
  });

  refresh();
  setInterval(refresh, 5000);
})();
