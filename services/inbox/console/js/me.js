// The signed-in agent's own menu in the top bar: their name, and the "Away" switch (an agent away is given
// no request in turn by the rules' round-robin). Also how a colleague's presence reads where agents are
// listed to assign a request: away, online (their console open), or neither.

import { put } from "./api.js";
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { state, toast } from "./store.js";

export function install() {
  const button = $("#me");
  const panel = $("#me-panel");
  const close = (focus = false) => {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (focus) button.focus();
  };
  button.addEventListener("click", () => {
    const opening = panel.hidden;
    panel.hidden = !opening;
    button.setAttribute("aria-expanded", opening ? "true" : "false");
    if (opening) $("#away-switch").focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.stopPropagation(); close(true); }
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !event.target.closest(".me-menu")) close();
  });
  $("#away-switch").addEventListener("change", (event) => setAway(event.target));
}

/** The menu as the agent is now (after sign-in, or a change). */
export function showEntry() {
  const away = Boolean(state.me && state.me.away);
  $("#away-switch").checked = away;
  $("#me").dataset.away = away ? "true" : "false";
  const mark = $("#me-away");
  if (mark) mark.hidden = !away;
}

async function setAway(box) {
  try {
    const agent = await put("/api/v1/agents/me/away", { away: box.checked });
    state.me = { ...state.me, away: Boolean(agent.away) };
    toast(t(state.me.away ? "me.away_on" : "me.away_off"));
  } catch (problem) {
    toast(t("toast.error", { detail: problem.message }), { error: true });
  }
  showEntry();
}

/** "away" / "online" / "offline" for an agent of an assignment list, from what the list or the directory says. */
export function presenceOf(agent) {
  const known = (state.agents || []).find((candidate) => candidate.id === agent.id) || {};
  const away = agent.away ?? known.away;
  const online = agent.online ?? known.online;
  if (away) return "away";
  if (online === undefined) return null;
  return online ? "online" : "offline";
}

export function presenceBadge(agent) {
  const presence = presenceOf(agent);
  if (!presence) return null;
  return h("span.presence", { dataset: { presence } }, t(`presence.${presence}`));
}
