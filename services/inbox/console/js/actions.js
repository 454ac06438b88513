// What an agent can do to a request: the action bar and the small forms behind each action.

import { del, get, patch, post, put, query } from "./api.js";
import { applyResult, reloadIfOpen } from "./conversation.js";
import { $, clear, debounce, h } from "./dom.js";
import { fromZoned, t, toZonedInput, zonedParts } from "./i18n.js";
import { loadLabels, refreshSoon } from "./inbox.js";
import { presenceBadge } from "./me.js";
import { mergeDialog } from "./merge.js";
import { hotelZone, state, toast } from "./store.js";

function url(conversation, action = "") {
  return `/api/v1/conversations/${encodeURIComponent(conversation.id)}${action ? `/${action}` : ""}`;
}

async function run(request, { close = true } = {}) {
  try {
    const result = await request;
    applyResult(result);
    refreshSoon();
    if (close) $("#modal").close();
    toast(t("toast.saved"));
    return result;
  } catch (error) {
    toast(t("toast.error", { detail: error.message }), { error: true });
    return null;
  }
}

/** The modal: a title, a form built by `fields`, and what to do with its values. */
function dialog(title, fields, onSubmit, submitLabel = t("common.submit")) {
  const modal = $("#modal");
  const form = h("form.dialog-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      if (!onSubmit) return;
      const submit = form.querySelector("button[type=submit]");
      if (submit) submit.disabled = true;
      try { await onSubmit(new FormData(form), form); } finally { if (submit) submit.disabled = false; }
    },
  }, h("h2", {}, title), fields,
  h("div.dialog-buttons", {},
    h("button", { type: "button", onclick: () => modal.close() }, t("common.cancel")),
    onSubmit ? h("button.primary", { type: "submit" }, submitLabel) : null));
  clear(modal, form);
  modal.showModal();
  const first = form.querySelector("input:not([type=hidden]):not([readonly]), select, textarea, button.choice");
  if (first) first.focus();
  return form;
}

function field(label, input) {
  return h("label.field", {}, h("span", {}, label), input);
}

function select(name, options, selected) {
  return h("select", { name }, options.map(([value, label]) => h("option", { value, selected: value === selected }, label)));
}

export function bar(conversation) {
  const button = (label, onclick, extra = {}) => h("button.action", { type: "button", onclick, ...extra }, label);
  const assignee = conversation.assignee;
  const isChat = conversation.channel === "chat";
  return h("div.actions", { role: "toolbar" },
    conversation.bot_active
      ? button(`🙋 ${t("action.take_over")}`, () => run(post(url(conversation, "handover")), { close: false }),
        { id: "take-over-button", title: t("bot.handling") }) : null,
    button(assignee ? assignee.initials : t("action.assign"), () => assign(conversation),
      { id: "assign-button", title: assignee ? `${t("action.assign")}: ${assignee.name}` : t("action.assign"),
        dataset: { assigned: assignee ? "true" : "false" } }),
    button(t("action.status"), () => status(conversation), { id: "status-button" }),
    button(`⏸ ${t("action.snooze")}`, () => snooze(conversation), { id: "snooze-button" }),
    button(t("action.qualify"), () => qualify(conversation), { id: "qualify-button" }),
    button(t("action.labels"), () => labels(conversation), { id: "labels-button" }),
    button(`☎ ${t("action.call")}`, () => call(conversation), { id: "call-button" }),
    button(`🛎 ${t("action.reservation")}`, () => reservation(conversation), { id: "reservation-button" }),
    button(`📨 ${t("action.solicit")}`, () => solicit(conversation), { id: "solicit-button" }),
    button(t("action.forward"), () => handover(conversation, "forward"), { id: "forward-button" }),
    button(t("action.delegate"), () => handover(conversation, "delegate"), { id: "delegate-button" }),
    button(t("action.share"), () => handover(conversation, "share"), { id: "share-button" }),
    button(t("merge.open"), () => mergeDialog(conversation), { id: "merge-button" }),
    conversation.status === "spam"
      ? button(t("action.not_spam"), () => run(del(url(conversation, "spam")), { close: false }), { id: "spam-button" })
      : button(`🚫 ${t("action.spam")}`, () => run(post(url(conversation, "spam")), { close: false }), { id: "spam-button" }),
    isChat && conversation.chat_open !== false
      ? button(`× ${t("action.close_chat")}`, () => closeChat(conversation), { id: "close-chat-button" }) : null,
    conversation.status === "closed"
      ? button(t("action.reopen"), () => run(put(url(conversation, "status"), { status: "open" }), { close: false }), { id: "close-button" })
      : button(`✓ ${t("action.close")}`, () => run(put(url(conversation, "status"), { status: "closed" }), { close: false }),
        { id: "close-button", "aria-keyshortcuts": "e" }));
}

async function assign(conversation) {
  const choose = (agentId) => run(put(url(conversation, "assignee"), { agent_id: agentId }));
  // Who may take this request is the server's rule (the colleagues working on its hotel), asked each time.
  let colleagues = [];
  try {
    const [options, agents] = await Promise.all([get(url(conversation, "assignees")), get("/api/v1/agents").catch(() => null)]);
    if (agents) state.agents = agents;  // who is away or online now
    colleagues = options.items.filter((agent) => agent.id !== state.me.id);
  } catch (error) {
    toast(t("toast.error", { detail: error.message }), { error: true });
  }
  dialog(t("action.assign"), h("div.choices", {},
    h("button.choice.primary", { type: "button", id: "assign-me", onclick: () => choose(state.me.id) },
      `${t("action.assign_me")} (${state.me.initials})`),
    colleagues.map((agent) => h("button.choice", { type: "button", dataset: { agent: agent.id }, onclick: () => choose(agent.id) },
      `${agent.name} (${agent.initials})`, " ", presenceBadge(agent))),
    conversation.assignee ? h("button.choice", { type: "button", onclick: () => choose(null) }, t("action.unassign")) : null));
}

function status(conversation) {
  const choose = (value) => run(put(url(conversation, "status"), { status: value }));
  dialog(t("action.status"), h("div.choices", {}, ["open", "on_hold", "closed"].map((value) =>
    h("button.choice", { type: "button", dataset: { status: value }, "aria-pressed": conversation.status === value ? "true" : "false",
      onclick: () => choose(value) }, t(`status.${value}`)))));
}

function snooze(conversation) {
  const zone = hotelZone(conversation.location_id);
  const now = new Date();
  const at9 = (daysAhead) => {
    const p = zonedParts(now, zone);
    const day = new Date(Date.UTC(+p.year, +p.month - 1, +p.day + daysAhead));
    const local = `${day.toISOString().slice(0, 10)}T09:00:00`;
    return fromZoned(local, zone);
  };
  const weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(zonedParts(now, zone).weekday);
  const untilMonday = ((8 - weekday) % 7) || 7;
  const presets = [
    ["hour", new Date(now.getTime() + 3600 * 1000)],
    ["tomorrow", at9(1)],
    ["monday", at9(untilMonday)],
  ];
  const hold = (until) => run(post(url(conversation, "snooze"), { until: until.toISOString() }));
  const input = h("input", { type: "datetime-local", name: "until", step: 1, required: true, id: "snooze-until",
    value: toZonedInput(new Date(now.getTime() + 3600 * 1000), zone) });
  dialog(t("action.snooze"), [
    h("div.choices", {}, presets.map(([key, until]) => h("button.choice", { type: "button", dataset: { preset: key },
      onclick: () => hold(until) }, t(`snooze.${key}`)))),
    field(`${t("snooze.until")} — ${zone}`, input),
  ], (data) => {
    const until = fromZoned(String(data.get("until")), zone);
    return until ? hold(until) : null;
  }, t("snooze.submit"));
}

function qualify(conversation) {
  const lang = document.documentElement.lang;
  const reasons = [["", t("qualify.none")], ...(state.settings.contact_reasons || []).map((r) => [r.id, lang === "fr" ? r.label_fr : r.label_en])];
  dialog(t("action.qualify"), [
    field(t("qualify.reason"), select("contact_reason", reasons, conversation.contact_reason || "")),
    field(t("qualify.priority"), select("priority", ["low", "medium", "high"].map((p) => [p, t(`priority.${p}`)]), conversation.priority || "low")),
  ], (data) => {
    const body = { priority: data.get("priority") };
    if (data.get("contact_reason")) body.contact_reason = data.get("contact_reason");
    return run(patch(url(conversation), body));
  });
}

function labels(conversation) {
  dialog(t("action.labels"), field(t("labels.help"),
    h("input", { name: "labels", value: (conversation.labels || []).join(", "), list: "known-labels", maxlength: 1500 })),
  (data) => run(patch(url(conversation), {
    labels: String(data.get("labels") || "").split(",").map((label) => label.trim()).filter(Boolean),
  })).then(() => loadLabels()));
}

function guestPhone(conversation) {
  return (conversation.guest || {}).phone || (state.contact && (state.contact.phones || [])[0]) || "";
}

function call(conversation) {
  const phone = guestPhone(conversation);
  dialog(t("action.call"), [
    phone ? h("p", {}, h("a.tel", { href: `tel:${phone.replace(/[^+\d]/g, "")}` }, "☎ ", t("call.dial", { phone })))
      : h("p.muted", {}, t("call.no_phone")),
    field(t("call.outcome"), select("outcome", ["reached", "no_answer", "voicemail", "wrong_number"].map((o) => [o, t(`outcome.${o}`)]), "reached")),
    field(t("call.duration"), h("input", { name: "minutes", type: "number", min: 0, max: 1440, value: 0 })),
    field(t("call.notes"), h("textarea", { name: "notes", rows: 3, maxlength: 5000 })),
  ], (data) => run(post(url(conversation, "calls"), {
    outcome: data.get("outcome"), duration_seconds: Math.round(Number(data.get("minutes") || 0) * 60), notes: data.get("notes") || "",
  })));
}

function reservation(conversation) {
  const today = toZonedInput(new Date(), hotelZone(conversation.location_id)).slice(0, 10);
  dialog(t("action.reservation"), [
    field(t("reservation.kind"), select("kind", ["room", "restaurant", "spa", "transfer"].map((k) => [k, t(`kind.${k}`)]), "room")),
    field(t("reservation.date"), h("input", { name: "date", type: "date", required: true, value: today })),
    field(t("reservation.party"), h("input", { name: "party_size", type: "number", min: 1, max: 500, value: 1 })),
    field(t("reservation.reference"), h("input", { name: "reference", maxlength: 100 })),
    field(t("reservation.notes"), h("textarea", { name: "notes", rows: 2, maxlength: 5000 })),
  ], (data) => run(post(url(conversation, "reservations"), {
    kind: data.get("kind"), date: data.get("date"), party_size: Number(data.get("party_size") || 1),
    reference: data.get("reference") || "", notes: data.get("notes") || "",
  })));
}

function handover(conversation, kind) {
  const note = field(t("handover.note"), h("textarea", { name: "note", rows: 3, maxlength: 5000 }));
  if (kind === "forward") {
    dialog(t("action.forward"), [field(t("forward.to"), h("input", { name: "to", type: "email", required: true })), note],
      (data) => run(post(url(conversation, "forward"), { to: data.get("to"), note: data.get("note") || "" })));
  } else if (kind === "share") {
    dialog(t("action.share"), [field(t("share.to"), h("input", { name: "to", required: true })), note],
      (data) => run(post(url(conversation, "share"), {
        to: String(data.get("to")).split(",").map((to) => to.trim()).filter(Boolean), note: data.get("note") || "",
      })));
  } else {
    dialog(t("action.delegate"), [h("p.muted", {}, t("delegate.to"), " ", state.settings.customer_service_email || ""), note],
      (data) => run(post(url(conversation, "delegate"), { note: data.get("note") || "" })));
  }
}

function closeChat(conversation) {
  dialog(t("action.close_chat"), field(t("close_chat.status"),
    select("resulting_status", ["closed", "open", "on_hold"].map((s) => [s, t(`status.${s}`)]), "closed")),
  (data) => run(post(url(conversation, "close-chat"), { resulting_status: data.get("resulting_status") })),
  t("close_chat.submit"));
}

// --- solicitations ------------------------------------------------------------------------------------

/** The recipient field: suggestions of addresses already solicited, most used first; up/down/Enter. */
function recipientField(conversation) {
  const input = h("input", { name: "to", type: "email", required: true, autocomplete: "off", id: "solicit-to",
    role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "solicit-suggestions" });
  const list = h("ul.suggestions", { id: "solicit-suggestions", role: "listbox", hidden: true });
  let items = [];
  let active = -1;
  const show = () => {
    clear(list, items.map((item, index) => h("li", { role: "option", id: `suggestion-${index}`,
      "aria-selected": index === active ? "true" : "false",
      onmousedown: (event) => { event.preventDefault(); pick(index); } }, item.email, h("span.count", {}, item.count))));
    list.hidden = !items.length;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
    if (active >= 0) input.setAttribute("aria-activedescendant", `suggestion-${active}`);
    else input.removeAttribute("aria-activedescendant");
  };
  const pick = (index) => {
    input.value = items[index].email;
    items = [];
    active = -1;
    show();
  };
  const suggest = debounce(async () => {
    const typed = input.value.trim();
    if (!typed) { items = []; show(); return; }
    try {
      const found = await get(`/api/v1/solicitations/recipients${query({ q: typed, location: conversation.location_id })}`);
      if (input.value.trim() !== typed) return;
      items = found.items;
      active = -1;
      show();
    } catch { /* no suggestion */ }
  }, 120);
  input.addEventListener("input", suggest);
  input.addEventListener("keydown", (event) => {
    if (!items.length) return;
    if (event.key === "ArrowDown") { event.preventDefault(); active = (active + 1) % items.length; show(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); active = active <= 0 ? items.length - 1 : active - 1; show(); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); pick(active); }
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); items = []; show(); }
  });
  input.addEventListener("blur", () => setTimeout(() => { items = []; show(); }, 150));
  return h("div.combobox", {}, input, list);
}

async function attachmentIds(form, conversation) {
  const input = form.querySelector("input[type=file]");
  const ids = [];
  for (const file of input ? input.files : []) {
    const data = new FormData();
    data.append("file", file);
    data.append("location", conversation.location_id);
    ids.push((await post("/api/v1/attachments", data)).id);
  }
  return ids;
}

async function afterSolicitation() {
  $("#modal").close();
  toast(t("toast.saved"));
  // The thread's first message reaches the timeline through the events (solicit -> inbox -> live).
}

/** A solicitation's body with its formatting buttons: they wrap the selection in the light formatting. */
function formattedBody(label) {
  const text = h("textarea", { name: "text", rows: 6, required: true, maxlength: 50000, id: "solicit-text" });
  const wrap = (before, after = before) => {
    const { selectionStart: start, selectionEnd: end, value } = text;
    text.value = value.slice(0, start) + before + value.slice(start, end) + after + value.slice(end);
    text.focus();
    text.setSelectionRange(start + before.length, end + before.length);
  };
  const list = () => {
    const { selectionStart: start, selectionEnd: end, value } = text;
    const from = value.lastIndexOf("\n", start - 1) + 1;
    const lines = value.slice(from, end).split("\n").map((line) => (line.startsWith("- ") ? line : `- ${line}`));
    text.value = value.slice(0, from) + lines.join("\n") + value.slice(end);
    text.focus();
  };
  const tool = (label, title, onclick, id) => h("button.icon.small", { type: "button", title, "aria-label": title, onclick, id }, label);
  return [
    h("div.format-tools", { role: "toolbar" },
      tool("B", t("format.bold"), () => wrap("**"), "format-bold"),
      tool("I", t("format.italic"), () => wrap("*"), "format-italic"),
      tool("•", t("format.list"), list, "format-list")),
    field(label, text),  // the buttons outside the label, which would otherwise act as the first of them
  ];
}

function solicit(conversation) {
  dialog(t("action.solicit"), [
    field(t("solicit.to"), recipientField(conversation)),
    field(t("solicit.subject"), h("input", { name: "subject", id: "solicit-subject", value: conversation.subject || "", maxlength: 300 })),
    formattedBody(t("solicit.text")),
    field(t("solicit.attach"), h("input", { name: "file", type: "file" })),
  ], async (data, form) => {
    try {
      const body = { conversation_id: conversation.id, to: data.get("to"), text: data.get("text"), formatted: true,
        attachment_ids: await attachmentIds(form, conversation) };
      if (String(data.get("subject") || "").trim()) body.subject = data.get("subject");
      await post("/api/v1/solicitations", body);
      await afterSolicitation();
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    }
  }, t("solicit.send"));
}

export function answerSolicitation(solicitationId, recipient, lastSubject) {
  const conversation = state.detail.conversation;
  dialog(t("solicit.answer"), [
    field(t("solicit.to"), h("input", { name: "to", value: recipient || "", readonly: true, "aria-readonly": "true",
      id: "answer-to", title: t("solicit.locked") })),
    field(t("solicit.subject"), h("input", { name: "subject", id: "answer-subject", value: lastSubject || "", maxlength: 300 })),
    formattedBody(t("solicit.text")),
    field(t("solicit.attach"), h("input", { name: "file", type: "file" })),
  ], async (data, form) => {
    try {
      const body = { text: data.get("text"), formatted: true, attachment_ids: await attachmentIds(form, conversation) };
      if (String(data.get("subject") || "").trim()) body.subject = data.get("subject");
      await post(`/api/v1/solicitations/${encodeURIComponent(solicitationId)}/messages`, body);
      await afterSolicitation();
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    }
  }, t("solicit.send"));
}

/** Take the review's public reply down from its platform, once the agent confirmed; the reply then shows
 * "being removed" until the platform answers. */
export function removePublicReply(conversation, platform) {
  dialog(t("public.remove_title", { platform }), [h("p.confirm", {}, t("public.remove_confirm", { platform }))], async () => {
    if (await run(del(url(conversation, "public-reply")))) reloadIfOpen(conversation.id);
  }, t("public.remove", { platform }));
}
