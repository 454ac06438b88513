// The left column: tabs and buckets with their counts, the filters, and the list of requests.

import { get, query } from "./api.js";
import { $, clear, debounce, h } from "./dom.js";
import { formatWhen, t } from "./i18n.js";
import { CHANNEL_ICONS, emit, hotelZone, state, toast } from "./store.js";
import { dueBadge } from "./due.js";
import { alertLabel, conversationSnippet, conversationSubject } from "./texts.js";

const VIEWS = ["inbox", "open", "on_hold", "closed", "spam", "all"];
const BUCKETS = ["on_hold", "alerts", "new"];
const CHANNELS = ["email", "form", "chat", "review", "phone"];
const PAGE = 30;

let listRequest = 0;
let countsRequest = 0;

function listParams() {
  const { view, bucket, location, group, channel, assignee, label, q, due } = state.filters;
  const sort = state.filters.sort === "due" ? "due" : "";  // the default order goes unsaid
  return { view: bucket ? "inbox" : view, bucket, location, group, channel, assignee, label, q, sort, due };
}

function countParams() {
  const { location, group, channel, assignee, label, q } = state.filters;
  return { location, group, channel, assignee, label, q };
}

let prefetched = null;

/** Ask for the first page at once, while the page still checks who is signed in (a 401 is ignored). */
export function prefetch() {
  prefetched = get(`/api/v1/conversations${query({ ...listParams(), limit: PAGE })}`, { quiet: true }).catch(() => null);
}

export async function loadList({ append = false } = {}) {
  const mine = ++listRequest;
  const asked = Date.now();
  const params = { ...listParams(), limit: PAGE };
  if (append && state.nextCursor) params.cursor = state.nextCursor;
  const early = append ? null : prefetched;
  prefetched = null;
  try {
    const page = (early && (await early)) || (await get(`/api/v1/conversations${query(params)}`));
    if (mine !== listRequest) return;
    const keepId = state.items[state.selected]?.id;
    state.items = append ? state.items.concat(page.items) : page.items;
    state.nextCursor = page.next_cursor;
    const again = keepId ? state.items.findIndex((item) => item.id === keepId) : -1;
    state.selected = again >= 0 ? again : Math.min(Math.max(state.selected, 0), state.items.length - 1);
    renderList();
    emit("listed", { items: state.items, asked });
  } catch (error) {
    if (mine === listRequest) toast(t("toast.error", { detail: error.message }), { error: true });
  }
}

export async function loadCounts() {
  const mine = ++countsRequest;
  try {
    const counts = await get(`/api/v1/conversations/counts${query(countParams())}`);
    if (mine !== countsRequest) return;
    state.counts = counts;
    renderTabs();
  } catch {
    /* counts come back with the next refresh */
  }
}

export const refreshSoon = debounce(() => {
  loadList();
  loadCounts();
}, 250);

/** The tabs and buckets, updated in place: rebuilt between a mouse-down and its mouse-up (the search
 * box's change on blur, counts arriving), a button would swallow the agent's click. */
export function renderTabs() {
  const counts = state.counts || {};
  for (const view of VIEWS) {
    const tab = button($("#tabs"), "button.tab", { role: "tab", dataset: { view } }, () => choose({ view, bucket: "" }));
    const count = view === "inbox" ? counts.awaiting : counts[view];
    tab.setAttribute("aria-selected", !state.filters.bucket && state.filters.view === view ? "true" : "false");
    tab.querySelector(".name").textContent = t(`view.${view}`);
    const badge = tab.querySelector(".count");
    badge.textContent = count === undefined ? "" : count;
    badge.hidden = count === undefined;
  }
  for (const bucket of BUCKETS) {
    const element = button($("#buckets"), "button.bucket", { dataset: { bucket } },
      () => choose({ view: "inbox", bucket: state.filters.bucket === bucket ? "" : bucket }));
    element.setAttribute("aria-pressed", state.filters.bucket === bucket ? "true" : "false");
    element.querySelector(".name").textContent = `${bucket === "alerts" ? "⚠ " : ""}${t(`bucket.${bucket}`)}`;
    element.querySelector(".count").textContent = counts.buckets ? counts.buckets[bucket] ?? 0 : "";
  }
}

/** The button of this tab or bucket, made the first time (a label and a count inside). */
function button(parent, spec, attributes, onclick) {
  const [key, value] = Object.entries(attributes.dataset)[0];
  const found = parent.querySelector(`[data-${key}="${value}"]`);
  if (found) return found;
  const made = h(spec, { type: "button", ...attributes, onclick }, h("span.name"), h("span.count"));
  parent.append(made);
  return made;
}

function choose(changes) {
  const hotels = ("location" in changes && changes.location !== state.filters.location)
    || ("group" in changes && changes.group !== state.filters.group);
  Object.assign(state.filters, changes);
  state.selected = 0;
  renderTabs();
  loadList();
  loadCounts();
  if (hotels) loadLabels();
}

function option(value, label, selected) {
  return h("option", { value, selected: value === selected }, label);
}

export function renderFilters() {
  const f = state.filters;
  const hotels = [...state.locations.values()].sort((a, b) => a.name.localeCompare(b.name));
  clear($("#filter-location"), option("", t("filters.location"), f.location),
    hotels.map((hotel) => option(hotel.id, hotel.name, f.location)));
  clear($("#filter-group"), option("", t("filters.group"), f.group),
    state.groups.map((group) => option(group.id, group.name, f.group)));
  clear($("#filter-channel"), option("", t("filters.channel"), f.channel),
    CHANNELS.map((channel) => option(channel, t(`channel.${channel}`), f.channel)));
  clear($("#filter-assignee"), option("", t("filters.assignee"), f.assignee),
    option("me", t("filters.me"), f.assignee), option("nobody", t("filters.nobody"), f.assignee),
    option("someone", t("filters.someone"), f.assignee),
    state.agents.map((agent) => option(agent.id, agent.name, f.assignee)));
  clear($("#filter-sort"), option("activity", t("sort.activity"), f.sort), option("due", t("sort.due"), f.sort));
  clear($("#filter-due"), option("", t("filters.due"), f.due), option("soon", t("filters.due_soon"), f.due),
    option("overdue", t("filters.overdue"), f.due));
  $("#filter-location").hidden = hotels.length < 2;
  $("#filter-group").hidden = state.groups.length === 0;
}

export function installFilters() {
  const form = $("#filters");
  const typed = () => {
    const data = new FormData(form);
    return {
      location: data.get("location") || "", group: data.get("group") || "", channel: data.get("channel") || "",
      assignee: data.get("assignee") || "", label: (data.get("label") || "").trim(), q: (data.get("q") || "").trim(),
      sort: data.get("sort") || "activity", due: data.get("due") || "",
    };
  };
  const apply = () => choose(typed());
  // Leaving the search box fires `change` after its debounced `input` already applied the same filters.
  form.addEventListener("change", () => {
    if (Object.entries(typed()).some(([key, value]) => state.filters[key] !== value)) apply();
  });
  form.addEventListener("input", debounce((event) => {
    if (event.target.matches("input")) apply();
  }, 300));
  form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
  $("#more").addEventListener("click", () => loadList({ append: true }));
}

function guestLabel(item) {
  const guest = item.guest || {};
  // The linked contact's name first: an agent named the guest (what the guest said stays in the timeline).
  return item.contact_name || guest.name || guest.email || guest.phone || t("list.unknown_guest");
}

/** The hotel's short name, on the rows of a list that may mix hotels (an agent of several, an admin). */
function hotelTag(item) {
  if (state.locations.size < 2 || state.filters.location) return null;
  const hotel = state.locations.get(item.location_id);
  const name = (hotel && hotel.name) || item.location_id;
  return h("span.hotel", { title: name }, (hotel && hotel.short_name) || name);
}

function row(item, index) {
  const zone = hotelZone(item.location_id);
  const assignee = item.assignee;
  return h("li.item", {
    role: "option", id: `item-${item.id}`, "aria-selected": index === state.selected ? "true" : "false",
    "aria-current": item.id === state.openId ? "true" : undefined,
    dataset: { id: item.id, location: item.location_id, status: item.status, unread: item.unread ? "true" : "false",
      alert: item.alert ? "true" : "false" },
    onclick: () => { state.selected = index; markSelected(); emit("open", item.id); },
  },
  h("span.dot", { title: t("list.unread"), "aria-label": item.unread ? t("list.unread") : undefined, hidden: !item.unread }),
  h("span.channel", { title: t(`channel.${item.channel}`) }, CHANNEL_ICONS[item.channel] || "•"),
  h("span.who", {}, guestLabel(item)),
  h("time.when", { datetime: item.last_activity_at }, formatWhen(item.last_activity_at, zone)),
  h("span.subject", {}, item.alert ? h("span.alert", { title: alertLabel(item) }, "⚠ ") : null,
    conversationSubject(item) || t("list.no_subject")),
  h("span.snippet", {}, conversationSnippet(item)),
  h("span.tags", {}, hotelTag(item),
    item.bot_active ? h("span.bot", { title: t("bot.handling") }, "🤖 ", t("bot.badge")) : null,
    item.status !== "open" ? h("span.status", { dataset: { status: item.status } }, t(`status.${item.status}`)) : null,
    dueBadge(item),
    (item.labels || []).map((label) => h("span.label", {}, label)),
    assignee ? h("span.initials", { title: assignee.name }, assignee.initials || "?") : null));
}

/** Due times move with the clock: each row's "due in…" is redrawn every minute, in place (a row rebuilt
 * between a mouse-down and its mouse-up would swallow the click). */
function refreshDueTimes() {
  for (const element of document.querySelectorAll("#list .item")) {
    const item = state.items.find((one) => one.id === element.dataset.id);
    const shown = element.querySelector(".due");
    const badge = item ? dueBadge(item) : null;
    if (shown && badge) shown.replaceWith(badge);
    else if (shown) shown.remove();
    else if (badge) element.querySelector(".tags").append(badge);
  }
}
setInterval(refreshDueTimes, 60000);

export function renderList() {
  const list = $("#list");
  if (!state.items.length) {
    clear(list, h("li.empty", {}, t("list.empty")));
  } else {
    clear(list, state.items.map(row));
  }
  $("#more").hidden = !state.nextCursor;
  renderKnownLabels();
}

/** The labels the hotels in view have used, for the label filter and the labels dialog. */
export async function loadLabels() {
  const { location, group } = state.filters;
  try {
    state.labels = (await get(`/api/v1/conversations/labels${query({ location, group })}`)).items.map((i) => i.label);
    renderKnownLabels();
  } catch {
    /* the suggestions are those of the list on screen meanwhile */
  }
}

function renderKnownLabels() {
  const labels = new Set([...state.labels, ...state.items.flatMap((item) => item.labels || [])]);
  clear($("#known-labels"), [...labels].sort().map((label) => h("option", { value: label })));
}

function markSelected() {
  for (const element of document.querySelectorAll("#list .item")) {
    const index = state.items.findIndex((item) => item.id === element.dataset.id);
    const selected = index === state.selected;
    element.setAttribute("aria-selected", selected ? "true" : "false");
    if (selected) element.scrollIntoView({ block: "nearest" });
  }
}

export function move(step) {
  if (!state.items.length) return;
  state.selected = Math.min(Math.max(state.selected + step, 0), state.items.length - 1);
  markSelected();
}

export function openSelected() {
  const item = state.items[state.selected];
  if (item) emit("open", item.id);
}

/** Change one row in place (the open request read, assigned…) without reloading the list. */
export function patchItem(conversation) {
  const index = state.items.findIndex((item) => item.id === conversation.id);
  if (index < 0) return;
  state.items[index] = { ...state.items[index], ...conversation };
  const element = document.getElementById(`item-${conversation.id}`);
  if (element) element.replaceWith(row(state.items[index], index));
}

export function markOpen() {
  for (const element of document.querySelectorAll("#list .item")) {
    if (element.dataset.id === state.openId) element.setAttribute("aria-current", "true");
    else element.removeAttribute("aria-current");
  }
}
