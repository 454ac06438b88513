// Merging two requests of one hotel (the guest wrote twice) and splitting a guest's message out into a
// request of its own (two subjects in one email). What moves where is the API's business
// (conversations/merge): the console picks, asks, and opens what the API answers.

import { get, post, query } from "./api.js";
import { $, clear, debounce, h } from "./dom.js";
import { formatWhen, t } from "./i18n.js";
import { refreshSoon } from "./inbox.js";
import { CHANNEL_ICONS, emit, hotelZone, toast } from "./store.js";
import { conversationSubject } from "./texts.js";

function url(conversation, action) {
  return `/api/v1/conversations/${encodeURIComponent(conversation.id)}/${action}`;
}

/** The same guest: the same linked contact, or the same address or phone. */
export function sameGuest(a, b) {
  if (a.contact_id && a.contact_id === b.contact_id) return true;
  const ga = a.guest || {};
  const gb = b.guest || {};
  return Boolean((ga.email && ga.email.toLowerCase() === (gb.email || "").toLowerCase()) || (ga.phone && ga.phone === gb.phone));
}

/** The other requests of the hotel one may merge into this one: the same guest's first, then the most recent. */
export function mergeCandidates(conversation, items) {
  const seen = new Set([conversation.id]);
  const others = [];
  for (const item of items) {
    if (seen.has(item.id) || item.location_id !== conversation.location_id || item.status === "merged" || item.merged_into) continue;
    seen.add(item.id);
    others.push({ item, same: sameGuest(conversation, item) });
  }
  const at = (item) => new Date(item.last_activity_at || 0).getTime();
  return others.sort((a, b) => Number(b.same) - Number(a.same) || at(b.item) - at(a.item));
}

async function candidates(conversation, typed) {
  const hotel = { view: "all", location: conversation.location_id, limit: 100 };
  const guest = conversation.guest || {};
  const asks = [get(`/api/v1/conversations${query({ ...hotel, q: typed })}`)];
  // The guest's own requests may be older than the hotel's latest hundred: asked for by their address.
  if (!typed && (guest.email || guest.phone)) asks.unshift(get(`/api/v1/conversations${query({ ...hotel, q: guest.email || guest.phone })}`));
  const pages = await Promise.all(asks);
  return mergeCandidates(conversation, pages.flatMap((page) => page.items));
}

/** "Merge with…": pick another request of the hotel; it is merged into this one, which then shows. */
export function mergeDialog(conversation) {
  const modal = $("#modal");
  const zone = hotelZone(conversation.location_id);
  const search = h("input", { type: "search", name: "q", maxlength: 200, placeholder: t("merge.search"), "aria-label": t("merge.search") });
  const results = h("ul.results.merge-candidates", { id: "merge-candidates", "aria-label": t("merge.pick") });
  const error = h("p.error", { role: "alert", hidden: true });
  const submit = h("button.primary", { type: "submit", name: "merge", disabled: true }, t("merge.submit"));
  let chosen = null;
  const choose = (item, button) => {
    chosen = item;
    for (const other of results.querySelectorAll("button.choice")) other.setAttribute("aria-pressed", other === button ? "true" : "false");
    submit.disabled = false;
  };
  const show = async () => {
    const typed = search.value.trim();
    try {
      const found = await candidates(conversation, typed);
      if (search.value.trim() !== typed) return;
      clear(results, found.length ? found.map(({ item, same }) => {
        const button = h("button.choice", { type: "button", "aria-pressed": "false", dataset: { conversation: item.id, same: same ? "true" : "false" } },
          CHANNEL_ICONS[item.channel] || "", " ", h("strong", {}, conversationSubject(item) || t("list.no_subject")), " ",
          h("span.muted", {}, [item.guest && (item.guest.name || item.guest.email), t(`status.${item.status}`),
            formatWhen(item.last_activity_at, zone)].filter(Boolean).join(" · ")),
          same ? h("span.label.same-guest", {}, t("merge.same_guest")) : null);
        button.addEventListener("click", () => choose(item, button));
        return h("li", {}, button);
      }) : h("li.muted", {}, t("merge.none")));
    } catch (problem) {
      clear(results, h("li.error", {}, problem.message));
    }
  };
  search.addEventListener("input", debounce(show, 250));
  const form = h("form.dialog-form.merge-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      if (!chosen) return;
      submit.disabled = true;
      try {
        const result = await post(url(conversation, "merge"), { conversation_id: chosen.id });
        modal.close();
        toast(t("merge.done"));
        refreshSoon();
        emit("open", result.conversation.id);  // the survivor, with both timelines
      } catch (problem) {
        error.textContent = t("toast.error", { detail: problem.message });
        error.hidden = false;
        submit.disabled = false;
      }
    },
  }, h("h2", {}, t("merge.title")), h("p.hint", {}, t("merge.hint")), search, results, error,
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")), submit));
  clear(modal, form);
  modal.showModal();
  search.focus();
  show();
}

/** "Split into a new request": this guest message (and, if asked, what follows it) becomes a request of its own. */
export function splitDialog(conversation, entry) {
  const modal = $("#modal");
  const following = h("input", { type: "checkbox", name: "with_following" });
  const error = h("p.error", { role: "alert", hidden: true });
  const submit = h("button.primary", { type: "submit", name: "split" }, t("split.submit"));
  const quoted = String(entry.text || "").slice(0, 300);
  const form = h("form.dialog-form.split-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        const result = await post(url(conversation, "split"), { entry_id: entry.id, with_following: following.checked });
        modal.close();
        toast(t("split.done"));
        refreshSoon();
        emit("open", result.conversation.id);  // the new request
      } catch (problem) {
        error.textContent = t("toast.error", { detail: problem.message });
        error.hidden = false;
        submit.disabled = false;
      }
    },
  }, h("h2", {}, t("split.title")), h("p.hint", {}, t("split.hint")),
  quoted ? h("blockquote.split-quote", {}, quoted) : null,
  h("label.check", {}, following, h("span", {}, t("split.with_following"))), error,
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")), submit));
  clear(modal, form);
  modal.showModal();
  following.focus();
}
