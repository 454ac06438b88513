// The right panel: who the guest is (contact, headquarters attributes) and their other requests,
// with linking to a contact, creating one, and merging two.

import { get, patch, post, put } from "./api.js";
import { applyResult, refreshComposer } from "./conversation.js";
import { $, clear, debounce, h } from "./dom.js";
import { formatWhen, t } from "./i18n.js";
import { CHANNEL_ICONS, emit, hotelName, hotelZone, state, toast } from "./store.js";
import { attributeLabel, attributeValue, conversationSubject } from "./texts.js";

let shownFor = null;

export async function render(conversation) {
  const panel = $("#profile");
  const key = `${conversation.id}:${conversation.contact_id || ""}:${JSON.stringify(conversation.guest || {})}`;
  if (shownFor === key) return;
  shownFor = key;
  const guest = conversation.guest || {};
  const guestBlock = h("section.card", {}, h("h3", {}, t("profile.guest")),
    h("p.name", {}, guest.name || t("list.unknown_guest")),
    guest.email ? h("p", {}, h("a", { href: `mailto:${guest.email}` }, guest.email)) : null,
    guest.phone ? h("p", {}, h("a", { href: `tel:${guest.phone.replace(/[^+\d]/g, "")}` }, guest.phone)) : null);
  clear(panel, guestBlock);
  state.contact = null;
  if (!conversation.contact_id) {
    panel.append(h("section.card", {}, h("p.muted", {}, t("profile.no_contact")),
      h("button", { type: "button", onclick: () => linkDialog(conversation) }, t("profile.link")),
      h("button", { type: "button", onclick: () => createDialog(conversation) }, t("profile.create"))));
    return;
  }
  try {
    const [contact, history] = await Promise.all([
      get(`/api/v1/contacts/${encodeURIComponent(conversation.contact_id)}`),
      get(`/api/v1/contacts/${encodeURIComponent(conversation.contact_id)}/history?limit=20`),
    ]);
    if (shownFor !== key) return;
    state.contact = contact;
    panel.append(contactCard(contact, conversation), othersCard(history.items, conversation));
    refreshComposer();  // it offers email when the contact has an address
  } catch (error) {
    panel.append(h("p.muted", {}, error.message));
  }
}

export function forget() {
  shownFor = null;
}

function contactCard(contact, conversation) {
  const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ") || contact.display_name || "";
  const attributes = Object.entries(contact.attributes || {});
  return h("section.card.contact", {}, h("h3", {}, t("profile.contact")),
    name ? h("p.name", {}, name) : null,
    h("ul.plain", {}, (contact.emails || []).map((email) => h("li", {}, h("a", { href: `mailto:${email}` }, email),
      bouncedMark(contact, email))),
      (contact.phones || []).map((phone) => h("li", {}, h("a", { href: `tel:${phone}` }, "☎ ", phone)))),
    attributes.length ? [h("h4", {}, t("profile.attributes")), h("dl.attributes", {}, attributes.map(([key, value]) =>
      [h("dt", { dataset: { attribute: key } }, attributeLabel(key)), h("dd", {}, attributeValue(value))]))] : null,
    h("div.card-actions", {},
      h("button.small.edit-contact", { type: "button", onclick: () => editDialog(contact, conversation) }, t("profile.edit")),
      h("button.small", { type: "button", onclick: () => linkDialog(conversation) }, t("profile.link")),
      h("button.small", { type: "button", onclick: () => mergeDialog(contact, conversation) }, t("profile.merge"))));
}

/** A mail server returned an email to this address for good (a hard bounce): seen before writing to it again. */
function bouncedMark(contact, email) {
  const mark = (contact.bounced_emails || []).find((found) => found.email === email);
  if (!mark) return null;
  return h("span.bounced", { title: mark.reason || "" }, " ", t("profile.bounced"), mark.reason ? ` — ${mark.reason}` : "");
}

function othersCard(items, conversation) {
  const others = items.filter((item) => item.conversation_id !== conversation.id);
  return h("section.card.others", {}, h("h3", {}, t("profile.others")),
    others.length ? h("ol.plain", {}, others.map((item) => h("li", {}, h("button.link", {
      type: "button", onclick: () => emit("open", item.conversation_id) },
    CHANNEL_ICONS[item.channel] || "", " ", conversationSubject(item) || t("list.no_subject")),
    h("span.muted", {}, ` · ${hotelName(item.location_id)} · ${item.status ? t(`status.${item.status}`) : ""} · `,
      formatWhen(item.last_activity_at, hotelZone(item.location_id)))))) : h("p.muted", {}, t("profile.none")));
}

function searchDialog(title, onPick) {
  const modal = $("#modal");
  const input = h("input", { type: "search", placeholder: t("profile.search"), "aria-label": t("profile.search") });
  const results = h("ul.results");
  input.addEventListener("input", debounce(async () => {
    const typed = input.value.trim();
    if (typed.length < 2) { clear(results); return; }
    try {
      const found = await get(`/api/v1/contacts?q=${encodeURIComponent(typed)}`);
      clear(results, found.items.map((contact) => h("li", {}, h("button.choice", { type: "button", onclick: () => onPick(contact) },
        [contact.first_name, contact.last_name].filter(Boolean).join(" ") || contact.display_name || "",
        " ", h("span.muted", {}, (contact.emails || []).concat(contact.phones || []).join(", "))))));
    } catch (error) {
      clear(results, h("li.muted", {}, error.message));
    }
  }, 200));
  clear(modal, h("div.dialog-form", {}, h("h2", {}, title), input, results,
    h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")))));
  modal.showModal();
  input.focus();
}

function linkDialog(conversation) {
  searchDialog(t("profile.link"), async (contact) => {
    try {
      applyResult(await put(`/api/v1/conversations/${encodeURIComponent(conversation.id)}/contact`, { contact_id: contact.id }));
      $("#modal").close();
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    }
  });
}

function mergeDialog(survivor, conversation) {
  searchDialog(t("profile.merge"), async (other) => {
    try {
      await post(`/api/v1/contacts/${encodeURIComponent(survivor.id)}/merge`, { contact_id: other.id });
      $("#modal").close();
      forget();
      render(conversation);
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    }
  });
}

/** Correct the contact's name and main phone number (every hotel of the guest sees the change). */
function editDialog(contact, conversation) {
  const modal = $("#modal");
  const [first, ...rest] = (contact.display_name || "").split(" ");
  const names = contact.first_name || contact.last_name
    ? [contact.first_name || "", contact.last_name || ""] : [first, rest.join(" ")];
  const phone = (contact.phones || [])[0] || "";
  const input = (name, label, value, type = "text") => h("label.field", {}, h("span", {}, label),
    h("input", { name, type, value: value || "", maxlength: name === "phone" ? 30 : 100 }));
  const form = h("form.dialog-form.edit-contact-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = {};
      for (const key of ["first_name", "last_name"]) if (String(data.get(key) || "").trim()) body[key] = String(data.get(key)).trim();
      const typed = String(data.get("phone") || "").trim();
      if (typed && typed !== phone) body.phone = typed;
      try {
        state.contact = await patch(`/api/v1/contacts/${encodeURIComponent(contact.id)}`, body);
        modal.close();
        forget();
        render(conversation);
        toast(t("profile.saved"));
      } catch (error) {
        toast(t("toast.error", { detail: error.message }), { error: true });
      }
    },
  }, h("h2", {}, t("profile.edit")), input("first_name", t("profile.first_name"), names[0]),
  input("last_name", t("profile.last_name"), names[1]), input("phone", t("profile.phone"), phone, "tel"),
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")),
    h("button.primary", { type: "submit" }, t("conversation.save"))));
  clear(modal, form);
  modal.showModal();
}

function createDialog(conversation) {
  const modal = $("#modal");
  const guest = conversation.guest || {};
  const [first, ...rest] = (guest.name || "").split(" ");
  const input = (name, label, value, type = "text") => h("label.field", {}, h("span", {}, label),
    h("input", { name, type, value: value || "", maxlength: 100 }));
  const form = h("form.dialog-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = { location_id: conversation.location_id };
      for (const key of ["first_name", "last_name", "email", "phone"]) if (String(data.get(key) || "").trim()) body[key] = String(data.get(key)).trim();
      try {
        const contact = await post("/api/v1/contacts", body);
        applyResult(await put(`/api/v1/conversations/${encodeURIComponent(conversation.id)}/contact`, { contact_id: contact.id }));
        modal.close();
      } catch (error) {
        toast(t("toast.error", { detail: error.message }), { error: true });
      }
    },
  }, h("h2", {}, t("profile.create")), input("first_name", t("profile.first_name"), first),
  input("last_name", t("profile.last_name"), rest.join(" ")), input("email", t("profile.email"), guest.email, "email"),
  input("phone", t("profile.phone"), guest.phone, "tel"),
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")),
    h("button.primary", { type: "submit" }, t("profile.create"))));
  clear(modal, form);
  modal.showModal();
}
