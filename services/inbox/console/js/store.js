// What the console knows right now, and a tiny event bus between its parts.

import { h } from "./dom.js";
import { t } from "./i18n.js";

export const state = {
  me: null,
  tab: Math.random().toString(36).slice(2, 12),  // this browser tab, for presence notices
  locations: new Map(),
  groups: [],
  agents: [],
  templates: [],
  labels: [],  // the labels in use in the hotels in view (GET /api/v1/conversations/labels)
  settings: { contact_reasons: [] },
  filters: { view: "inbox", bucket: "", location: "", group: "", channel: "", assignee: "", label: "", q: "",
    sort: "activity", due: "" },
  items: [],
  nextCursor: null,
  selected: -1,
  counts: null,
  openId: null,
  detail: null,
};

const listeners = new Map();

export function on(name, callback) {
  if (!listeners.has(name)) listeners.set(name, []);
  listeners.get(name).push(callback);
}

export function emit(name, payload) {
  for (const callback of listeners.get(name) || []) callback(payload);
}

export function hotelZone(locationId) {
  const hotel = state.locations.get(locationId);
  return (hotel && hotel.timezone) || "Europe/Paris";
}

export function hotelName(locationId) {
  const hotel = state.locations.get(locationId);
  return (hotel && hotel.name) || locationId;
}

export function groupName(groupId) {
  const group = (state.groups || []).find((candidate) => candidate.id === groupId);
  return (group && group.name) || groupId || "";
}

/** Managers and admins see the settings pages (the API refuses anyone else anyway). */
export function isManager() {
  return Boolean(state.me && ["manager", "admin"].includes(state.me.role));
}

export const CHANNEL_ICONS = { email: "✉", form: "📝", chat: "💬", review: "★", phone: "☎" };

// Toasts: information (done, new requests) shows for a few seconds in one slot, the newest replacing
// the last; an error stays until the agent dismisses it, and information never takes its place, so an
// action that failed cannot go unnoticed behind a live notice.
const INFO_MS = 3000;
let infoTimer = null;
let arrivals = 0;  // the new requests the notice on screen counts

export function toast(message, { error = false } = {}) {
  const region = document.getElementById("toast");
  if (error) {
    if ([...region.querySelectorAll(".toast.error .text")].some((shown) => shown.textContent === message)) return;
    const close = h("button.icon.small.dismiss", { type: "button", title: t("toast.dismiss"), "aria-label": t("toast.dismiss") }, "×");
    const item = h("div.toast.error", { role: "alert" }, h("span.text", {}, message), " ", close);
    close.addEventListener("click", () => item.remove());
    region.prepend(item);
    return;
  }
  arrivals = 0;
  inform(message);
}

/** Live arrivals in one notice: "New request: …", then "3 new requests" while the notice is still up. */
export function announceArrivals(subjects) {
  if (!subjects.length) return;
  arrivals += subjects.length;
  inform(arrivals === 1 ? t("toast.new", { subject: subjects[0] }) : t("toast.new_many", { count: arrivals }));
}

function inform(message) {
  const region = document.getElementById("toast");
  let info = region.querySelector(".toast.info");
  if (!info) {
    info = h("div.toast.info", { role: "status" });
    region.append(info);
  }
  info.textContent = message;
  clearTimeout(infoTimer);
  infoTimer = setTimeout(() => { info.remove(); arrivals = 0; }, INFO_MS);
}
