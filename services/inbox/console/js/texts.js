// What the hub wrote itself (a call's summary, "(no text)", "Call from …") and the names of headquarters'
// attributes, in the reader's language. A text the hub wrote is stored as a key and values
// (shared/system_texts.py) beside its English; an older entry has the English alone, shown as it is.

import { currentLanguage, hasMessage, t } from "./i18n.js";

const PLATFORMS = {
  tripadvisor: "Tripadvisor", google: "Google", booking: "Booking.com", expedia: "Expedia",
  hotels_com: "Hotels.com", trustpilot: "Trustpilot", holidaycheck: "HolidayCheck", airbnb: "Airbnb", trivago: "trivago",
};

/** An id made readable: "my-site" -> "My site", "favourite_colour" -> "Favourite colour". */
function humanised(id) {
  const words = String(id || "").replace(/[_-]+/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "";
}

/** "tripadvisor" -> "Tripadvisor"; an unknown platform by its id, readable ("my-site" -> "My site"). */
export function platformName(platform) {
  const id = String(platform || "");
  return PLATFORMS[id] || humanised(id);
}

/** A call's length as telephony platforms show it: "2 min 05 s". */
export function callDuration(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  return t("text.duration", { minutes: Math.floor(total / 60), seconds: String(total % 60).padStart(2, "0") });
}

/** A text the hub wrote, from its key and values; `stored` (the English kept with them, or what a guest wrote)
 * when there is no key, or one this console does not know yet. */
export function systemText(key, values, stored) {
  if (!key || !hasMessage(`text.${key}`)) return stored;
  const given = values || {};
  const shown = { ...given };
  if (given.duration_seconds !== undefined) shown.duration = callDuration(given.duration_seconds);
  if (given.platform !== undefined) shown.platform = platformName(given.platform);
  const text = t(`text.${key}`, shown);
  return given.recording_url ? `${text}\n${t("text.call.recording", shown)}` : text;
}

export function entryText(entry) {
  return systemText(entry.text_key, entry.text_values, entry.text || "");
}

export function entrySubject(entry) {
  return systemText(entry.subject_key, entry.subject_values, entry.subject || "");
}

/** A request's subject and snippet as the lists show them (the snippet on one line). */
export function conversationSubject(conversation) {
  return systemText(conversation.subject_key, conversation.subject_values, conversation.subject || "");
}

/** Why a request is an alert ("Alert: negative wording"), or just "Alert" when it does not say. */
export function alertLabel(conversation) {
  const reason = conversation.alert_reason;
  return reason && hasMessage(`alert.${reason}`) ? t(`alert.${reason}`) : t("list.alert");
}

export function conversationSnippet(conversation) {
  const text = systemText(conversation.snippet_key, conversation.snippet_values, null);
  return text === null ? conversation.snippet || "" : text.split(/\s+/).join(" ");
}

/** A headquarters attribute's name: its label in the reader's language when the console knows it
 * ("loyalty_tier"), else the name made readable ("favourite_colour" -> "Favourite colour"). */
export function attributeLabel(name) {
  return hasMessage(`attribute.${name}`) ? t(`attribute.${name}`) : humanised(name);
}

/** An attribute's value: yes or no as ✓/✗, a number and a date (YYYY-MM-DD) as the reader writes them. */
export function attributeValue(value) {
  const locale = currentLanguage() === "fr" ? "fr-FR" : "en-GB";
  if (typeof value === "boolean") return value ? "✓" : "✗";
  if (typeof value === "number") return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(date.getTime())) return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(date);
  }
  return String(value);
}
