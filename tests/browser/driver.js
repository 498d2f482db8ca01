// A remote control for headless Chromium, for the page's tests and bench/page.py.
//
// Reads one JSON command per line on stdin, answers one JSON line on stdout, so the Python side
// can stop and restart the channel between commands while the page stays open. It uses the
// system's Chromium (Debian's `chromium`; $WEBTV_CHROMIUM overrides) through playwright-core:
// no browser is downloaded.
//
//   {"cmd": "open", "url": "...", "viewport": {"width": 390, "height": 844}}
//                                                  a fresh context and page; answers the status
//   {"cmd": "goto", "url": "..."}                  same page; answers the status and final URL
//   {"cmd": "wait", "js": "...", "timeout": 30000} until the expression is truthy
//   {"cmd": "eval", "js": "..."}                   the expression's value
//   {"cmd": "sample", "js": "...", "seconds": 12, "every": 250}   values over time
//   {"cmd": "click", "selector": "..."} / {"cmd": "fill", "selector": "...", "text": "..."}
//   {"cmd": "screenshot", "path": "...", "fullPage": true}
//   {"cmd": "offline", "on": true}                 cut the page's network (a stall) or restore it
//   {"cmd": "logs"}                                the page's console lines so far
//   {"cmd": "quit"}
"use strict";

const readline = require("node:readline");
const { chromium } = require("playwright-core");

const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--autoplay-policy=no-user-gesture-required", "--mute-audio",
];

let browser = null, context = null, page = null;
const logs = [];

async function fresh(viewport) {
  if (context) await context.close();
  context = await browser.newContext({ viewport: viewport || { width: 1100, height: 1000 } });
  page = await context.newPage();
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
}

// A string is evaluated as an expression by the DevTools protocol, which the page's
// Content-Security-Policy (no eval) does not block.
async function expression(js) { return page.evaluate(js); }

const commands = {
  async open({ url, viewport }) {
    await fresh(viewport);
    return commands.goto({ url });
  },
  async goto({ url }) {
    const started = Date.now();
    const response = await page.goto(url, { waitUntil: "load" });
    return { status: response ? response.status() : null, url: page.url(), ms: Date.now() - started };
  },
  async wait({ js, timeout = 30000 }) {
    const started = Date.now();
    while (!(await expression(js))) {
      if (Date.now() - started > timeout) throw new Error(`timed out after ${timeout} ms: ${js}`);
      await page.waitForTimeout(50);
    }
    return { ms: Date.now() - started };
  },
  async eval({ js }) { return { value: await expression(js) }; },
  async sample({ js, seconds = 10, every = 250 }) {
    const values = [], end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      values.push(await expression(js));
      await page.waitForTimeout(every);
    }
    return { values };
  },
  async click({ selector }) { await page.click(selector); return {}; },
  async fill({ selector, text }) { await page.fill(selector, text); return {}; },
  async screenshot({ path, fullPage = true }) { await page.screenshot({ path, fullPage }); return { path }; },
  async offline({ on }) { await context.setOffline(!!on); return {}; },
  async logs() { return { lines: logs.splice(0) }; },
};

async function main() {
  browser = await chromium.launch({
    executablePath: process.env.WEBTV_CHROMIUM || "/usr/bin/chromium", headless: true, args: ARGS,
  });
  console.log(JSON.stringify({ ok: true, version: browser.version() }));
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const command = JSON.parse(line);
    if (command.cmd === "quit") break;
    try {
      const handler = commands[command.cmd];
      if (!handler) throw new Error(`unknown command ${command.cmd}`);
      console.log(JSON.stringify({ ok: true, ...(await handler(command)) }));
    } catch (err) {
      console.log(JSON.stringify({ ok: false, error: String(err && err.message || err) }));
    }
  }
  await browser.close();
}

main().catch((err) => {
  console.log(JSON.stringify({ ok: false, error: String(err && err.message || err) }));
  process.exit(1);
});
