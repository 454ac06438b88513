// Admins' hotel settings: a hotel's names, and who its emails to guests come from and in which language
// (the directory's hotel, PATCH /api/v1/locations/{id}); and its chatbot (/api/v1/locations/{id}/bot).
// Agents and managers never see the entry.

import { del, get, patch, put } from "./api.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { renderFilters, renderList } from "./inbox.js";
import { state, toast } from "./store.js";

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

/** The top bar's entry, shown to admins only (the API refuses anyone else anyway). */
export function showEntry() {
  $("#hotel-settings").hidden = !isAdmin();
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
  if (!isAdmin() || !hotels.length) return;
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
    bot.load(shown.id);
  };

  const bot = botSection(field);
  const form = h("form.dialog-form.hotel-settings-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const body = changes(shown, inputs, language);
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
  field("name", inputs.name),
  field("short_name", inputs.short_name, t("hotel.short_name_hint")),
  h("fieldset.hotel-emails", {}, h("legend", {}, t("hotel.emails")),
    field("sender_name", inputs.sender_name, t("hotel.sender_name_hint")),
    field("sender_email", inputs.sender_email),
    field("language", language, t("hotel.language_hint"))),
  error,
  bot.section,
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")),
    h("button.primary", { type: "submit" }, t("conversation.save"))));
  chooser.addEventListener("change", fill);
  fill();
  clear(modal, form);
  modal.showModal();
  inputs.name.focus();
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
    const label = form.querySelector(`label.field[data-field="${CSS.escape(String(fields[field] || field))}"]`);
    if (!label) continue;
    label.querySelector("input, select").setAttribute("aria-invalid", "true");
    const under = label.querySelector("small.error");
    under.textContent = message;
    under.hidden = false;
  }
}
