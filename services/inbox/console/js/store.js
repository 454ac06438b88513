// What the console knows right now, and a tiny event bus between its parts.

export const state = {
  me: null,
  tab: Math.random().toString(36).slice(2, 12),  // this browser tab, for presence notices
  locations: new Map(),
  groups: [],
  agents: [],
  templates: [],
  labels: [],  // the labels in use in the hotels in view (GET /api/v1/conversations/labels)
  settings: { contact_reasons: [] },
  filters: { view: "inbox", bucket: "", location: "", group: "", channel: "", assignee: "", label: "", q: "" },
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

export const CHANNEL_ICONS = { email: "✉", form: "📝", chat: "💬", review: "★", phone: "☎" };

let toastTimer = null;
export function toast(message, { error = false } = {}) {
  const element = document.getElementById("toast");
  element.textContent = message;
  element.classList.toggle("error", error);
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.hidden = true; }, error ? 6000 : 3000);
}
