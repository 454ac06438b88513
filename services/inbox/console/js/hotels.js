// Admins' hotel settings: a hotel's names, and who its emails to guests come from and in which language
// (the directory's hotel, PATCH /api/v1/locations/{id}). Agents and managers never see the entry.

import { patch } from "./api.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { renderFilters, renderList } from "./inbox.js";
import { state, toast } from "./store.js";

// [field, input type, longest value] as the API takes them; a field an admin empties is sent as null,
// which clears it: the short name is then derived from the name again, and emails go under the hotel's
// name from the hub's default address.
const TEXT_FIELDS = [["name", "text", 200], ["short_name", "text", 20], ["sender_name", "text", 200], ["sender_email", "email", 200]];
const CLEARABLE = new Set(["short_name", "sender_name", "sender_email"]);

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
  };

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
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")),
    h("button.primary", { type: "submit" }, t("conversation.save"))));
  chooser.addEventListener("change", fill);
  fill();
  clear(modal, form);
  modal.showModal();
  inputs.name.focus();
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

/** A problem's detail above the buttons, and each invalid field's message under it (422 `errors`). */
function showProblem(form, error, problem) {
  for (const message of form.querySelectorAll("small.error")) { message.hidden = true; message.textContent = ""; }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  error.hidden = !problem;
  if (!problem) return;
  error.textContent = t("toast.error", { detail: problem.message });
  for (const { field, message } of (problem.problem && problem.problem.errors) || []) {
    const label = form.querySelector(`label.field[data-field="${CSS.escape(String(field))}"]`);
    if (!label) continue;
    label.querySelector("input, select").setAttribute("aria-invalid", "true");
    const under = label.querySelector("small.error");
    under.textContent = message;
    under.hidden = false;
  }
}
