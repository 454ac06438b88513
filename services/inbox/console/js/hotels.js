// Hotel settings (the directory's hotel, PATCH /api/v1/locations/{id}). Admins set a hotel's names, who its
// emails to guests come from and in which language, and its chatbot (/api/v1/locations/{id}/bot); admins and
// the hotel's managers set its business hours (what response-time targets count) and which channels' closed
// requests get a satisfaction survey. Agents never see the entry.

import { del, get, patch, put } from "./api.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { renderFilters, renderList } from "./inbox.js";
import { isManager, state, toast } from "./store.js";

// [field, input type, longest value] as the API takes them; a field an admin empties is sent as null,
// which clears it: the short name is then derived from the name again, and emails go under the hotel's
// name from the hub's default address.
const TEXT_FIELDS = [["name", "text", 200], ["short_name", "text", 20], ["sender_name", "text", 200], ["sender_email", "email", 200]];
const CLEARABLE = new Set(["short_name", "sender_name", "sender_email"]);
// The bot's name input is named apart from the hotel's own name.
const BOT_FIELDS = { name: "bot_name" };

export function isAdmin() {
  return Boolean(state.me && state.me.role === "admin");
}

/** The top bar's entry, shown to managers and admins (the API refuses anyone else anyway). */
export function showEntry() {
  $("#hotel-settings").hidden = !isManager();
}

export function install() {
  $("#hotel-settings").addEventListener("click", () => open(state.filters.location));
}

function hotelsByName() {
  return [...state.locations.values()].sort((a, b) => String(a.name || a.id).localeCompare(String(b.name || b.id)));
}

/** The settings of a hotel (the one the list is filtered on, else the first by name), another one chosen in the dialog. */
export function open(locationId) {
  const hotels = hotelsByName();
  if (!isManager() || !hotels.length) return;
  const admin = isAdmin();  // a manager sees and sends only the hours and the survey
  const modal = $("#modal");
  const chooser = h("select", { name: "hotel" },
    hotels.map((hotel) => h("option", { value: hotel.id }, hotel.name || hotel.id)));
  chooser.value = state.locations.has(locationId) ? locationId : hotels[0].id;
  const inputs = Object.fromEntries(TEXT_FIELDS.map(([name, type, maxlength]) =>
    [name, h("input", { name, type, maxlength, required: name === "name", "aria-describedby": `hotel-${name}-error` })]));
  const language = h("select", { name: "language" },
    ["fr", "en"].map((code) => h("option", { value: code }, t(`hotel.language_${code}`))));
  const error = h("p.error", { id: "hotel-settings-error", role: "alert", hidden: true });
  const field = (name, input, hint) => h("label.field", { dataset: { field: name } }, h("span", {}, t(`hotel.${name}`)), input,
    hint ? h("small.hint", {}, hint) : null, h("small.error", { id: `hotel-${name}-error`, hidden: true }));
  let shown = null;  // the hotel as the form was filled, to send only what the admin changed

  const fill = () => {
    shown = state.locations.get(chooser.value);
    for (const [name] of TEXT_FIELDS) inputs[name].value = shown[name] || "";
    inputs.sender_name.placeholder = shown.name || "";
    language.value = shown.language === "en" ? "en" : "fr";
    showProblem(form, error, null);
    hours.load(shown);
    survey.load(shown);
    if (admin) bot.load(shown.id);
  };

  const bot = botSection(field);
  const hours = hoursSection();
  const survey = surveySection();
  const form = h("form.dialog-form.hotel-settings-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      showProblem(form, error, null);
      const opening = hours.value();
      if (opening === undefined) { hours.refuse(); return; }
      const body = { ...(admin ? changes(shown, inputs, language) : {}), ...hours.changes(shown, opening), ...survey.changes(shown) };
      if (!Object.keys(body).length) { modal.close(); return; }
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        const saved = await patch(`/api/v1/locations/${encodeURIComponent(shown.id)}`, body);
        state.locations.set(saved.id, saved);
        renderFilters();
        renderList();  // the rows show hotels' short names
        modal.close();
        toast(t("hotel.saved", { hotel: saved.name }));
      } catch (problem) {
        showProblem(form, error, problem);  // the API says what is wrong, in the console's language
      } finally {
        submit.disabled = false;
      }
    },
  }, h("h2", {}, t("hotel.title")),
  field("hotel", chooser),
  admin ? [
    field("name", inputs.name),
    field("short_name", inputs.short_name, t("hotel.short_name_hint")),
    h("fieldset.hotel-emails", {}, h("legend", {}, t("hotel.emails")),
      field("sender_name", inputs.sender_name, t("hotel.sender_name_hint")),
      field("sender_email", inputs.sender_email),
      field("language", language, t("hotel.language_hint"))),
  ] : null,
  hours.section,
  survey.section,
  error,
  admin ? bot.section : null,
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")),
    h("button.primary", { type: "submit" }, t("conversation.save"))));
  chooser.addEventListener("change", fill);
  fill();
  clear(modal, form);
  modal.showModal();
  (admin ? inputs.name : chooser).focus();
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const SURVEY_CHANNELS = ["email", "form", "chat"];
const MAX_RANGES = 6;  // a day's ranges, as the API takes them

/** Hours as the API stores them, reduced to what they mean: the days with ranges, in order, and the closures
 * with their defaults; no hours at all reads as open around the clock without closures. */
function normalHours(hours) {
  const weekly = {};
  for (const day of DAYS) {
    const ranges = ((hours && hours.weekly) || {})[day] || [];
    if (ranges.length) weekly[day] = ranges.map(({ start, end }) => ({ start, end }));
  }
  const closures = ((hours && hours.closures) || []).map(({ start, end, label }) => ({ start, end: end || null, label: label || "" }));
  return { weekly, closures };
}

/** A time input shows midnight as 00:00; a range ending at midnight is sent as 24:00 (the end of its day). */
const endForApi = (value) => (value === "00:00" ? "24:00" : value);
const endForInput = (value) => (value === "24:00" ? "00:00" : value);

/** The hotel's business hours: per weekday its opening ranges (an end at or before the start runs into the
 * next day), or open around the clock; and its closures (holidays, works: whole days, first to last). */
function hoursSection() {
  const alwaysOpen = h("input", { type: "checkbox", name: "always_open" });
  const days = Object.fromEntries(DAYS.map((day) => [day, h("ul.hours-ranges", { dataset: { day } })]));
  const closures = h("ul.hours-closures");
  const problem = h("small.error", { id: "hotel-business_hours-error", role: "alert", hidden: true });
  const zone = h("small.hint");

  const overnightNote = (row) => {
    const start = row.querySelector("input[name=start]").value, end = row.querySelector("input[name=end]").value;
    row.querySelector(".overnight").hidden = !(start && end && end <= start && end !== "00:00");
  };
  const addRange = (day, range = { start: "09:00", end: "18:00" }) => {
    if (days[day].children.length >= MAX_RANGES) return;
    const row = h("li.hours-range", {},
      h("input", { type: "time", name: "start", required: true, value: range.start, "aria-label": t("hotel.hours_from") }), "–",
      h("input", { type: "time", name: "end", required: true, value: endForInput(range.end), "aria-label": t("hotel.hours_to") }),
      h("small.overnight.hint", { hidden: true }, t("hotel.hours_overnight")),
      h("button.small", { type: "button", name: "remove_range", onclick: () => row.remove() }, t("hotel.hours_remove")));
    row.addEventListener("input", () => overnightNote(row));
    days[day].append(row);
    overnightNote(row);
  };
  const addClosure = (closure = { start: "", end: null, label: "" }) => {
    const row = h("li.hours-closure", {},
      h("label", {}, h("span", {}, t("hotel.closure_start")), h("input", { type: "date", name: "closure_start", required: true, value: closure.start })),
      h("label", {}, h("span", {}, t("hotel.closure_end")), h("input", { type: "date", name: "closure_end", value: closure.end || "" })),
      h("label", {}, h("span", {}, t("hotel.closure_label")), h("input", { type: "text", name: "closure_label", maxlength: 100, value: closure.label })),
      h("button.small", { type: "button", name: "remove_closure", onclick: () => row.remove() }, t("hotel.hours_remove")));
    closures.append(row);
  };
  const week = h("div.hours-week", {}, DAYS.map((day) => h("div.hours-day", { dataset: { day } },
    h("span.day-name", {}, t(`hotel.day_${day}`)), days[day],
    h("button.small", { type: "button", name: "add_range", onclick: () => addRange(day) }, t("hotel.hours_add")))));
  const showWeek = () => { week.hidden = alwaysOpen.checked; };
  alwaysOpen.addEventListener("change", showWeek);

  const section = h("fieldset.hotel-hours", { dataset: { field: "business_hours" } }, h("legend", {}, t("hotel.hours")),
    h("small.hint", {}, t("hotel.hours_hint")), zone,
    h("label.check", {}, alwaysOpen, h("span", {}, t("hotel.always_open"))),
    week,
    h("div.hours-closures-block", {}, h("span.subtitle", {}, t("hotel.closures")), h("small.hint", {}, t("hotel.closures_hint")),
      closures, h("button.small", { type: "button", name: "add_closure", onclick: () => addClosure() }, t("hotel.closure_add"))),
    problem);

  const load = (hotel) => {
    const hours = normalHours(hotel.business_hours);
    zone.textContent = t("hotel.hours_zone", { zone: hotel.timezone || "Europe/Paris" });
    alwaysOpen.checked = !Object.keys(hours.weekly).length;
    for (const day of DAYS) {
      days[day].replaceChildren();
      for (const range of hours.weekly[day] || []) addRange(day, range);
    }
    closures.replaceChildren();
    for (const closure of hours.closures) addClosure(closure);
    problem.hidden = true;
    showWeek();
  };

  /** The hours as the form has them; undefined when the week is not open 24/7 yet has no range at all
   * (that would read as around the clock, the opposite of what the form shows). */
  const value = () => {
    const weekly = {};
    if (!alwaysOpen.checked) {
      for (const day of DAYS) {
        const ranges = [...days[day].querySelectorAll("li.hours-range")].map((row) => ({
          start: row.querySelector("input[name=start]").value,
          end: endForApi(row.querySelector("input[name=end]").value),
        }));
        if (ranges.length) weekly[day] = ranges;
      }
      if (!Object.keys(weekly).length) return undefined;
    }
    const closed = [...closures.querySelectorAll("li.hours-closure")].map((row) => ({
      start: row.querySelector("input[name=closure_start]").value,
      end: row.querySelector("input[name=closure_end]").value || null,
      label: row.querySelector("input[name=closure_label]").value.trim(),
    }));
    return { weekly, closures: closed };
  };
  const refuse = () => { problem.textContent = t("hotel.hours_none"); problem.hidden = false; };
  const changes = (hotel, opening) =>
    (JSON.stringify(opening) === JSON.stringify(normalHours(hotel.business_hours)) ? {} : { business_hours: opening });

  return { section, load, value, refuse, changes };
}

/** Which channels' closed requests get a one-click satisfaction survey (none until a channel is ticked). */
function surveySection() {
  const boxes = Object.fromEntries(SURVEY_CHANNELS.map((channel) => [channel, h("input", { type: "checkbox", name: `survey_${channel}` })]));
  const section = h("fieldset.hotel-survey", { dataset: { field: "survey_channels" } }, h("legend", {}, t("hotel.survey")),
    h("small.hint", {}, t("hotel.survey_hint")),
    SURVEY_CHANNELS.map((channel) => h("label.check", {}, boxes[channel], h("span", {}, t(`channel.${channel}`)))));
  const chosen = () => SURVEY_CHANNELS.filter((channel) => boxes[channel].checked);
  const load = (hotel) => {
    const channels = hotel.survey_channels || [];
    for (const channel of SURVEY_CHANNELS) boxes[channel].checked = channels.includes(channel);
  };
  const changes = (hotel) => {
    const before = SURVEY_CHANNELS.filter((channel) => (hotel.survey_channels || []).includes(channel));
    return before.join() === chosen().join() ? {} : { survey_channels: chosen() };
  };
  return { section, load, changes };
}

/** The hotel's chatbot: whether it has one, its name and webhook address to set (with the secret that
 * signs the webhook calls, never shown again: given anew at each change), or removing it. Its own
 * buttons and problems, inside the hotel's dialog. */
function botSection(field) {
  const inputs = {
    name: h("input", { name: "bot_name", type: "text", maxlength: 100, autocomplete: "off", "aria-describedby": "hotel-bot_name-error" }),
    webhook_url: h("input", { name: "webhook_url", type: "text", inputmode: "url", maxlength: 2000, placeholder: "https://", autocomplete: "off",
      "aria-describedby": "hotel-webhook_url-error" }),
    secret: h("input", { name: "secret", type: "password", maxlength: 200, autocomplete: "new-password",
      "aria-describedby": "hotel-secret-error" }),
  };
  const status = h("p.bot-status", { role: "status" });
  const error = h("p.error", { id: "hotel-bot-error", role: "alert", hidden: true });
  const saveButton = h("button", { type: "button", name: "save_bot", onclick: () => save() }, t("hotel.bot_save"));
  const removeButton = h("button", { type: "button", name: "remove_bot", hidden: true, onclick: () => remove() },
    t("hotel.bot_remove"));
  const section = h("fieldset.hotel-bot", {
    // Enter in the bot's fields saves the bot, not the hotel's form around it.
    onkeydown: (event) => {
      if (event.key === "Enter" && event.target instanceof HTMLInputElement) { event.preventDefault(); save(); }
    },
  }, h("legend", {}, t("hotel.bot")), status,
  field("bot_name", inputs.name), field("webhook_url", inputs.webhook_url),
  field("secret", inputs.secret, t("hotel.bot_secret_hint")),
  error, h("div.dialog-buttons", {}, removeButton, saveButton));
  let hotelId = null;

  const show = (bot) => {
    status.textContent = bot ? t("hotel.bot_on", { name: bot.name, url: bot.webhook_url }) : t("hotel.bot_none");
    section.dataset.bot = bot ? "on" : "off";
    inputs.name.value = bot ? bot.name : "";
    inputs.webhook_url.value = bot ? bot.webhook_url : "";
    inputs.secret.value = "";
    removeButton.hidden = !bot;
  };
  const busy = (on) => { saveButton.disabled = on; removeButton.disabled = on; };

  const load = async (id) => {
    hotelId = id;
    status.textContent = "";
    section.dataset.bot = "";
    showProblem(section, error, null);
    try {
      const bot = await get(`/api/v1/locations/${encodeURIComponent(id)}/bot`);
      if (hotelId === id) show(bot);
    } catch (problem) {
      if (hotelId !== id) return;
      if (problem.status === 404) show(null);
      else { show(null); showProblem(section, error, problem); }
    }
  };

  const save = async () => {
    const id = hotelId;
    const body = { name: inputs.name.value.trim(), webhook_url: inputs.webhook_url.value.trim(), secret: inputs.secret.value };
    busy(true);
    try {
      const bot = await put(`/api/v1/locations/${encodeURIComponent(id)}/bot`, body);
      show(bot);
      showProblem(section, error, null);
      toast(t("hotel.bot_saved", { name: bot.name }));
    } catch (problem) {
      showProblem(section, error, problem, BOT_FIELDS);
    } finally {
      busy(false);
    }
  };

  const remove = async () => {
    const id = hotelId;
    busy(true);
    try {
      await del(`/api/v1/locations/${encodeURIComponent(id)}/bot`);
      show(null);
      showProblem(section, error, null);
      toast(t("hotel.bot_removed"));
    } catch (problem) {
      showProblem(section, error, problem);
    } finally {
      busy(false);
    }
  };

  return { section, load };
}

/** What the form changes in the hotel: trimmed texts, an emptied optional one as null. */
function changes(hotel, inputs, language) {
  const body = {};
  for (const [name] of TEXT_FIELDS) {
    const value = inputs[name].value.trim();
    if (value === (hotel[name] || "")) continue;
    if (value) body[name] = value;
    else if (CLEARABLE.has(name)) body[name] = null;
  }
  if (language.value !== (hotel.language || "fr")) body.language = language.value;
  return body;
}

/** A problem's detail above the buttons, and each invalid field's message under it (422 `errors`; `fields`
 * maps the API's field names to the form's where they differ). */
function showProblem(form, error, problem, fields = {}) {
  for (const message of form.querySelectorAll("small.error")) { message.hidden = true; message.textContent = ""; }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  error.hidden = !problem;
  if (!problem) return;
  error.textContent = t("toast.error", { detail: problem.message });
  for (const { field, message } of (problem.problem && problem.problem.errors) || []) {
    if (String(field).startsWith("business_hours") || String(field).startsWith("survey_channels")) {
      showSectionProblem(form, String(field), message);
      continue;
    }
    const label = form.querySelector(`label.field[data-field="${CSS.escape(String(fields[field] || field))}"]`);
    if (!label) continue;
    label.querySelector("input, select").setAttribute("aria-invalid", "true");
    const under = label.querySelector("small.error");
    under.textContent = message;
    under.hidden = false;
  }
}

/** An invalid part of the hours (a range's start or end, a closure's dates), marked where it is, and the
 * message under the section: `business_hours.weekly.mon.0.end`, `business_hours.closures.1.start`. */
function showSectionProblem(form, field, message) {
  const [top, part, key, index, name] = field.split(".");
  const section = form.querySelector(`fieldset[data-field="${CSS.escape(top)}"]`);
  if (!section) return;
  let input = null;
  if (part === "weekly" && DAYS.includes(key)) {
    const row = section.querySelectorAll(`ul.hours-ranges[data-day="${key}"] li.hours-range`)[Number(index)];
    input = row && row.querySelector(`input[name="${name === "end" ? "end" : "start"}"]`);
  } else if (part === "closures") {
    const row = section.querySelectorAll("li.hours-closure")[Number(key)];
    input = row && row.querySelector(`input[name="closure_${index === "end" ? "end" : index === "label" ? "label" : "start"}"]`);
  }
  if (input) input.setAttribute("aria-invalid", "true");
  let under = section.querySelector(":scope > small.error");
  if (!under) { under = h("small.error", { role: "alert" }); section.append(under); }
  under.textContent = under.hidden || !under.textContent ? message : `${under.textContent} · ${message}`;
  under.hidden = false;
}
