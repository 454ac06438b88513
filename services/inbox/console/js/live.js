// Live updates: the Server-Sent Events stream of the agent's hotels, read with fetch (so every event
// name is seen, and the cookie goes with it), reconnecting after a pause when it drops. A `resync` event
// (events were lost on the way) goes to the handler like any other: it reloads what the console shows.

import { $ } from "./dom.js";
import { t } from "./i18n.js";

let handler = () => {};
let stopped = false;
let controller = null;

function setState(name) {
  const element = $("#live-state");
  element.dataset.state = name;
  element.textContent = t(`live.${name}`);
}

export function start(onEvent) {
  handler = onEvent;
  stopped = false;
  connect();
}

export function stop() {
  stopped = true;
  if (controller) controller.abort();
}

export function relabel() {
  setState($("#live-state").dataset.state || "connecting");
}

async function connect() {
  let delay = 3000;
  while (!stopped) {
    setState("connecting");
    controller = new AbortController();
    try {
      const response = await fetch("/api/v1/events", { credentials: "same-origin", signal: controller.signal,
        headers: { Accept: "text/event-stream" } });
      if (response.status === 401) { handler("signed_out", {}); return; }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      setState("connected");
      handler("connected", {});
      if (await read(response.body.getReader()) === "ended") { handler("signed_out", {}); return; }
    } catch {
      /* dropped: try again */
    }
    if (stopped) return;
    setState("offline");
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 30000);
  }
}

async function read(reader) {
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (!data.length) continue;
      // The server ended the session (signed out, or the agent's rights changed): sign in again.
      if (name === "session.ended") return "ended";
      try {
        handler(name, JSON.parse(data.join("\n")));
      } catch { /* one bad event does not stop the stream */ }
    }
  }
}
