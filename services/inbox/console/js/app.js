// The console's entry point: sign-in, loading the directory, wiring the parts, live updates, keyboard.

import { get, patch, post, whenSignedOut } from "./api.js";
import * as conversation from "./conversation.js";
import { $, clear, h } from "./dom.js";
import * as autoreplies from "./autoreplies.js";
import * as reports from "./reports.js";
import * as policies from "./policies.js";
import * as rules from "./rules.js";
import * as agentMenu from "./me.js";
import * as hotels from "./hotels.js";
import { pickLanguage, setLanguage, t, translatePage } from "./i18n.js";
import * as inbox from "./inbox.js";
import * as live from "./live.js";
import * as profile from "./profile.js";
import { announceArrivals, on, state } from "./store.js";
import { conversationSubject } from "./texts.js";

async function boot() {
  setLanguage(pickLanguage(null));
  translatePage();
  installLogin();
  whenSignedOut(showLogin);
  inbox.prefetch();
  try {
    const me = await get("/api/v1/agents/me", { quiet: true });
    await start(me);
  } catch {
    showLogin();
  }
}

function showLogin() {
  live.stop();
  $("#app").hidden = true;
  $("#login").hidden = false;
  $("#login-form input[name=email]").focus();
  document.body.dataset.ready = "login";
}

function installLogin() {
  const form = $("#login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const error = $("#login-error");
    error.hidden = true;
    try {
      await post("/api/v1/auth/login", { email: data.get("email"), password: data.get("password") }, { quiet: true });
      form.reset();
      await start(await get("/api/v1/agents/me"));
    } catch (problem) {
      // The API answers in English; the sign-in form says it in the agent's language.
      if (problem.status === 401) error.textContent = t("login.failed");
      else if (problem.status === 429) error.textContent = t("login.wait", { seconds: problem.retryAfter || 1 });
      else error.textContent = problem.message;
      error.hidden = false;
    }
  });
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => switchLanguage(button.dataset.lang));
  }
}

function switchLanguage(lang) {
  localStorage.setItem("hub-console-language", lang);
  setLanguage(lang);
  translatePage();
  $("#lang-select").value = lang;
  if (state.me) {
    // The agent's setting too, so the console opens in this language on any computer.
    if (state.me.language !== lang) {
      patch(`/api/v1/agents/${encodeURIComponent(state.me.id)}`, { language: lang }).catch(() => {});
      state.me.language = lang;
    }
    inbox.renderTabs();
    inbox.renderFilters();
    inbox.renderList();
    conversation.rerender();
    profile.forget();
    if (state.detail) profile.render(state.detail.conversation);
    live.relabel();
  }
}

let started = false;
let liveSince = 0;

async function start(me) {
  state.me = me;
  setLanguage(pickLanguage(me.language));
  translatePage();
  $("#lang-select").value = document.documentElement.lang;
  $("#login").hidden = true;
  $("#app").hidden = false;
  clear($("#me"), h("span.initials", { title: me.name }, me.initials), " ", me.name);
  hotels.showEntry();  // managers and admins; another agent may sign in on this page
  autoreplies.showEntry();  // managers and admins
  reports.showEntry();  // everyone: their hotels' scores
  policies.showEntry();  // managers and admins
  rules.showEntry();  // managers and admins
  agentMenu.showEntry();  // the away switch as the agent left it
  // The list first (what the agent came for); the directory fills names, filters and time zones.
  const list = inbox.loadList();
  inbox.renderTabs();
  const directory = loadDirectory();
  if (!started) {
    started = true;
    wire();
  }
  await list;
  document.body.dataset.ready = "true";
  performance.mark("console-interactive");
  // Counts read every request of the hotels (FerretDB groups them itself): after the list, not against it.
  inbox.loadCounts();
  liveSince = Date.now();
  live.start(onLiveEvent);
  inbox.loadLabels();
  await directory;
  inbox.renderFilters();
  inbox.renderList();
  const deepLink = /^\/conversations\/([A-Za-z0-9_-]+)$/.exec(location.pathname);
  if (deepLink) conversation.open(deepLink[1]);
}

async function loadDirectory() {
  const [locations, groups, agents, templates, settings] = await Promise.all([
    get("/api/v1/locations"),
    get("/api/v1/location-groups").catch(() => []),
    get("/api/v1/agents").catch(() => []),
    get("/api/v1/templates").catch(() => []),
    get("/api/v1/settings").catch(() => ({ contact_reasons: [] })),
  ]);
  state.locations = new Map(locations.map((location) => [location.id, location]));
  state.groups = groups;
  state.agents = agents;
  state.templates = templates;
  state.settings = settings;
}

function wire() {
  inbox.installFilters();
  hotels.install();
  autoreplies.install();
  reports.install();
  policies.install();
  rules.install();
  agentMenu.install();
  on("open", (id) => conversation.open(id));
  on("opened", (current) => profile.render(current));
  on("listed", announceListed);
  $("#lang-select").addEventListener("change", (event) => switchLanguage(event.target.value));
  $("#help-button").addEventListener("click", () => $("#help").showModal());
  $("#logout").addEventListener("click", async () => {
    try { await post("/api/v1/auth/logout"); } catch { /* signed out anyway */ }
    state.me = null;
    state.openId = null;
    showLogin();
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) inbox.refreshSoon();
    conversation.watchUnread();  // the read clock runs only while the request is on screen
  });
}

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function onKey(event) {
  if (!state.me || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector("dialog[open]") || typing(event.target)) return;
  // Enter on a focused button or link presses it (a toast's close button, a tab), never opens a request.
  if (event.key === "Enter" && event.target instanceof Element && event.target.closest("button, a, summary")) return;
  const keys = {
    j: () => inbox.move(1),
    k: () => inbox.move(-1),
    Enter: () => inbox.openSelected(),
    r: () => conversation.focusComposer(),
    e: () => conversation.closeRequest(),
    "?": () => $("#help").showModal(),
  };
  const action = keys[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
}

function visible(locationId) {
  const { location, group } = state.filters;
  if (location && locationId !== location) return false;
  if (group) {
    const found = state.groups.find((g) => g.id === group);
    if (found && !(found.location_ids || []).includes(locationId)) return false;
  }
  return true;
}

// New requests wait for the list they may join: announced only when the list (this agent's tab, bucket,
// filters and search, as the server applies them) shows them, so what is filtered out keeps quiet.
const arrived = new Map();  // conversation id -> {subject, at}
const GUEST_CARD_EVENTS = ["conversation.contact_linked", "conversation.updated", "conversation.erased"];

function announceListed({ items, asked }) {
  const listed = new Set(items.map((item) => item.id));
  const shown = [];
  for (const [id, arrival] of arrived) {
    if (arrival.at > asked) continue;  // the list was asked for before it arrived: the next one tells
    arrived.delete(id);
    if (listed.has(id)) shown.push(arrival.subject || t("list.no_subject"));
  }
  announceArrivals(shown);
}

function onLiveEvent(name, event) {
  if (name === "signed_out") { showLogin(); return; }
  if (name === "connected") {
    // After a drop, catch up on what happened meanwhile (the first connection follows a fresh load).
    if (Date.now() - liveSince > 5000) inbox.refreshSoon();
    return;
  }
  if (name === "resync") {
    // The server could not deliver every event (this console read too slowly, or the bus was away):
    // reload what is shown instead of trusting a list that missed changes.
    inbox.refreshSoon();
    if (state.openId) conversation.reloadIfOpen(state.openId);
    return;
  }
  if (name === "conversation.viewing") { conversation.someoneViewing(event); return; }
  if (!name.startsWith("conversation.")) return;
  if (event.location_id && !visible(event.location_id)) return;
  inbox.refreshSoon();
  // The request on screen was merged into another (by a colleague): its address now shows the survivor.
  if (name === "conversation.merged" && event.merged_id === state.openId) { conversation.reloadIfOpen(state.openId); return; }
  if (name === "conversation.created") arrived.set(event.conversation_id, { subject: conversationSubject(event), at: Date.now() });
  // The guest card follows the request: a contact linked (the guest identified in the chat), or changed.
  if (event.conversation_id === state.openId && GUEST_CARD_EVENTS.includes(name)) profile.forget();
  if (event.conversation_id === state.openId && event.actor_id !== state.me.id) conversation.reloadIfOpen(event.conversation_id);
  else if (event.conversation_id === state.openId && ["conversation.delivery_updated", "conversation.solicitation_reply"].includes(name)) {
    conversation.reloadIfOpen(event.conversation_id);
  }
}

boot();
