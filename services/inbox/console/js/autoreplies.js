// Managers' and admins' automatic review replies: the rules they may see, a new one added, one deleted
// (/api/v1/auto-replies). Which reviews a rule answers, and how, is the API's business (autoreplies/).

import { del, get, post } from "./api.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { hotelName, isManager, state, toast } from "./store.js";

export function showEntry() {
  $("#auto-replies").hidden = !isManager();
}

export function install() {
  $("#auto-replies").addEventListener("click", () => open());
}

function describe(rule) {
  const where = rule.location_id ? hotelName(rule.location_id) : t("auto_reply.all_hotels");
  const text = rule.with_text === true ? t("auto_reply.text_yes") : rule.with_text === false ? t("auto_reply.text_no") : t("auto_reply.text_any");
  const delay = rule.needs_approval ? t("auto_reply.needs_approval") : `${rule.delay_minutes} min`;
  return `${where} · ${rule.platform || t("auto_reply.any_platform")} · ${rule.min_rating}–${rule.max_rating} ★ · ${text} · ${delay}`;
}

export async function open() {
  const modal = $("#modal");
  const list = h("ul.auto-reply-rules", { id: "auto-reply-rules" });
  const refresh = async () => {
    const rules = await get("/api/v1/auto-replies");
    clear(list, rules.length ? rules.map((rule) => h("li", { dataset: { rule: rule.id } },
      h("strong", {}, rule.name), " ", h("span", {}, describe(rule)), " ",
      h("button.small", { type: "button", onclick: async () => {
        try { await del(`/api/v1/auto-replies/${encodeURIComponent(rule.id)}`); await refresh(); }
        catch (error) { toast(t("toast.error", { detail: error.message }), { error: true }); }
      } }, t("auto_reply.delete")))) : h("li", {}, t("auto_reply.none")));
  };
  const hotels = [...state.locations.values()];
  const input = (name, attributes = {}) => h("input", { name, ...attributes });
  const select = (name, options) => h("select", { name }, options.map(([value, label]) => h("option", { value }, label)));
  const fields = {
    name: input("name", { required: true, maxlength: 200 }),
    location_id: select("location_id", [
      ...(state.me.role === "admin" ? [["", t("auto_reply.all_hotels")]] : []),
      ...hotels.map((hotel) => [hotel.id, hotel.name || hotel.id])]),
    platform: input("platform", { placeholder: t("auto_reply.any_platform"), maxlength: 40 }),
    min_rating: input("min_rating", { type: "number", min: 1, max: 5, value: 1 }),
    max_rating: input("max_rating", { type: "number", min: 1, max: 5, value: 5 }),
    with_text: select("with_text", [["", t("auto_reply.text_any")], ["true", t("auto_reply.text_yes")], ["false", t("auto_reply.text_no")]]),
    fr: h("textarea", { name: "fr", rows: 3, maxlength: 4000 }),
    en: h("textarea", { name: "en", rows: 3, maxlength: 4000 }),
    delay_minutes: input("delay_minutes", { type: "number", min: 0, value: 0 }),
    needs_approval: input("needs_approval", { type: "checkbox" }),
  };
  const field = (key, name) => h("label.field", { dataset: { field: name } }, h("span", {}, t(key)), fields[name]);
  const form = h("form.dialog-form.auto-reply-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const templates = {};
      for (const language of ["fr", "en"]) if (fields[language].value.trim()) templates[language] = fields[language].value.trim();
      try {
        await post("/api/v1/auto-replies", {
          name: fields.name.value.trim(),
          location_id: fields.location_id.value || null,
          platform: fields.platform.value.trim() || null,
          min_rating: Number(fields.min_rating.value),
          max_rating: Number(fields.max_rating.value),
          with_text: fields.with_text.value === "" ? null : fields.with_text.value === "true",
          templates,
          delay_minutes: Number(fields.delay_minutes.value),
          needs_approval: fields.needs_approval.checked,
        });
        form.reset();
        await refresh();
      } catch (error) {
        toast(t("toast.error", { detail: error.message }), { error: true });
      }
    },
  }, h("h2", {}, t("auto_reply.rules")), list,
  field("auto_reply.name", "name"), field("auto_reply.hotel", "location_id"), field("auto_reply.platform", "platform"),
  h("div.auto-reply-ratings", {}, h("span", {}, t("auto_reply.ratings")), fields.min_rating, "–", fields.max_rating),
  field("auto_reply.text", "with_text"), field("auto_reply.template_fr", "fr"), field("auto_reply.template_en", "en"),
  field("auto_reply.delay", "delay_minutes"), field("auto_reply.needs_approval", "needs_approval"),
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")),
    h("button.primary", { type: "submit" }, t("auto_reply.add"))));
  clear(modal, form);
  modal.showModal();
  try { await refresh(); } catch (error) { toast(t("toast.error", { detail: error.message }), { error: true }); }
}
