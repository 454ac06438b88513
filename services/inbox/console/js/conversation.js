// The centre: the open request with its whole history, the actions, and the composer.

import { get, patch, post, put } from "./api.js";
import * as actions from "./actions.js";
import { $, clear, externalLink, formatted, h } from "./dom.js";
import { slaEntryText, slaSummary } from "./due.js";
import { currentLanguage, formatWhen, t } from "./i18n.js";
import { markOpen, patchItem, refreshSoon } from "./inbox.js";
import { splitDialog } from "./merge.js";
import { ruleActionText } from "./rules.js";
import { CHANNEL_ICONS, emit, hotelName, hotelZone, state, toast } from "./store.js";
import { alertLabel, conversationSubject, entrySubject, entryText, platformName } from "./texts.js";

const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];  // shown inline (shared/attachments.py)
const READ_AFTER_MS = 3000;  // the unread dot clears only after 3 s of viewing
const VIEWING_EVERY_MS = 15000;
const VIEWER_EXPIRES_MS = 40000;

let readTimer = null;
let readClockFor = null;  // the newest guest entry shown when the read clock started
let viewingTimer = null;
let loadSeq = 0;
const viewers = new Map();  // agent id -> {agent, until}
const openThreads = new Set();  // solicitation threads the agent unfolded
let composer = null;

export async function open(id) {
  stopReadClock();
  clearInterval(viewingTimer);
  viewers.clear();
  state.openId = id;
  markOpen();
  if (location.pathname !== `/conversations/${id}`) history.replaceState(null, "", `/conversations/${id}`);
  composer = buildComposer();
  const loaded = await load(id);
  if (!loaded || state.openId !== loaded) return;
  emit("opened", state.detail.conversation);
  watchUnread();
  announce(false);
  viewingTimer = setInterval(() => announce(false), VIEWING_EVERY_MS);
}

async function load(id) {
  const mine = ++loadSeq;
  try {
    const detail = await get(`/api/v1/conversations/${encodeURIComponent(id)}?timeline_limit=200`);
    let cursor = detail.next_timeline_cursor;
    while (cursor) {  // long histories come in pages: the agent sees all of it
      const more = await get(`/api/v1/conversations/${encodeURIComponent(id)}?timeline_limit=200&timeline_cursor=${encodeURIComponent(cursor)}`);
      detail.timeline = detail.timeline.concat(more.timeline);
      cursor = more.next_timeline_cursor;
    }
    if (mine !== loadSeq || state.openId !== id) return false;
    if (detail.conversation.id !== id) {  // merged into another request: its address answers with the survivor
      state.openId = detail.conversation.id;
      history.replaceState(null, "", `/conversations/${state.openId}`);
      markOpen();
    }
    state.detail = detail;
    render();
    return state.openId;
  } catch (error) {
    if (mine === loadSeq) clear($("#conversation"), h("p.placeholder", {}, t("conversation.load_failed"), " ", error.message));
    return false;
  }
}

/** The 3-second rule, on what is on screen: the open request, unread, in a visible tab for 3 s is read.
 * The clock starts again for each new guest message (one that arrives live has its own 3 s), and stops
 * while the tab is hidden. */
export function watchUnread() {
  const detail = state.detail;
  if (!detail || detail.conversation.id !== state.openId || !detail.conversation.unread || document.hidden) {
    stopReadClock();
    return;
  }
  const newest = detail.timeline.filter((entry) => entry.direction === "inbound").pop();
  const shown = newest ? newest.id : "";
  if (readTimer && readClockFor === shown) return;
  clearTimeout(readTimer);
  readClockFor = shown;
  const id = detail.conversation.id;
  readTimer = setTimeout(() => { readTimer = null; markRead(id); }, READ_AFTER_MS);
}

function stopReadClock() {
  clearTimeout(readTimer);
  readTimer = null;
}

async function markRead(id) {
  if (state.openId !== id || document.hidden) return;
  try {
    const result = await post(`/api/v1/conversations/${encodeURIComponent(id)}/read`);
    applyResult(result);
    refreshSoon();
  } catch { /* the dot stays; the next opening tries again */ }
}

export function announce(answer) {
  const id = state.openId;
  if (!id) return;
  post(`/api/v1/conversations/${encodeURIComponent(id)}/viewing`, { tab: state.tab, answer }).catch(() => {});
}

/** Another agent has a request open: show it on the one we have open, and tell them we are here. */
export function someoneViewing(event) {
  if (event.tab === state.tab || !event.agent || event.agent.id === state.me.id) return;
  if (event.conversation_id !== state.openId) return;
  const known = viewers.has(event.agent.id);
  viewers.set(event.agent.id, { agent: event.agent, until: Date.now() + VIEWER_EXPIRES_MS });
  renderNotice();
  if (!event.answer && !known) announce(true);
  setTimeout(renderNotice, VIEWER_EXPIRES_MS + 100);
}

function renderNotice() {
  const notice = $("#collision");
  if (!notice) return;
  const now = Date.now();
  for (const [id, viewer] of viewers) if (viewer.until < now) viewers.delete(id);
  const names = [...viewers.values()].map((v) => `${v.agent.name} (${v.agent.initials})`).join(", ");
  notice.hidden = !names;
  notice.textContent = names ? `👀 ${t("conversation.viewing", { names })}` : "";
}

/** What an action answered ({conversation, entries}): shown at once, then the list catches up. */
export function applyResult(result) {
  if (!result || !result.conversation) return;
  patchItem(result.conversation);
  if (!state.detail || state.detail.conversation.id !== result.conversation.id) return;
  state.detail.conversation = result.conversation;
  const known = new Set(state.detail.timeline.map((entry) => entry.id));
  for (const entry of result.entries || []) if (!known.has(entry.id)) state.detail.timeline.push(entry);
  render();
  emit("opened", result.conversation);
}

export function reloadIfOpen(conversationId) {
  if (!conversationId || conversationId !== state.openId) return;
  // The guest card follows too (a contact linked or renamed elsewhere): it redraws only if the guest changed.
  load(conversationId).then((loaded) => {
    if (!loaded || !state.detail) return;
    emit("opened", state.detail.conversation);
    watchUnread();
  });
}

export function rerender() {
  if (state.detail) render();
}

/** The composer's channel line again (the linked contact's card has loaded: maybe an address to reply to). */
export function refreshComposer() {
  if (composer && state.detail) composer.update(state.detail.conversation);
}

function render() {
  const { conversation, timeline } = state.detail;
  const zone = hotelZone(conversation.location_id);
  const centre = $("#conversation");
  const scroller = centre.querySelector(".timeline");
  const atBottom = !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  clear(centre,
    header(conversation, zone),
    h("p.collision", { id: "collision", role: "status", hidden: true }),
    actions.bar(conversation),
    h("ol.timeline", { "aria-label": "Timeline" }, entries(timeline, conversation, zone)),
    autoReplyPanel(conversation, zone),
    composer.element);
  composer.update(conversation);
  renderNotice();
  const list = centre.querySelector(".timeline");
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function header(conversation, zone) {
  const subject = h("h2.subject", { id: "subject" }, conversationSubject(conversation) || t("list.no_subject"));
  const edit = h("button.icon", { type: "button", title: t("conversation.edit_subject"),
    "aria-label": t("conversation.edit_subject"), onclick: () => editSubject(conversation) }, "✎");
  const meta = h("p.meta", {},
    h("span.guest", { id: "guest-name" }, guestName(conversation)),
    h("span.channel", {}, CHANNEL_ICONS[conversation.channel] || "", " ", t(`channel.${conversation.channel}`)),
    h("span.hotel", {}, hotelName(conversation.location_id)),
    h("span.status", { id: "status-badge", dataset: { status: conversation.status } }, t(`status.${conversation.status}`),
      conversation.status === "on_hold" && conversation.snoozed_until
        ? ` ${t("conversation.until", { time: formatWhen(conversation.snoozed_until, zone, { full: true }) })}` : ""),
    h("span.priority", { dataset: { priority: conversation.priority } }, t(`priority.${conversation.priority || "low"}`)),
    conversation.contact_reason ? h("span.reason", {}, reasonLabel(conversation.contact_reason)) : null,
    conversation.alert ? h("span.alert", { id: "alert-badge" }, "⚠ ", alertLabel(conversation)) : null,
    conversation.bot_active ? h("span.bot", { id: "bot-badge", title: t("bot.handling") }, "🤖 ", t("bot.badge")) : null,
    conversation.rating ? h("span.rating", {}, t("conversation.rating", ratingOf(latestReview(), conversation.rating))) : null,
    (conversation.labels || []).map((label) => h("span.label", {}, label)));
  return h("header.conversation-head", {}, h("div.subject-line", {}, subject, edit), meta, slaSummary(conversation, zone));
}

/** A review's automatic reply not sent yet: the agent may edit it, approve and publish it, or discard it. */
function autoReplyPanel(conversation, zone) {
  const pending = conversation.auto_reply;
  if (!pending || !["scheduled", "waiting_approval"].includes(pending.state)) return null;
  const text = h("textarea", { id: "auto-reply-text", rows: 3, maxlength: 4000, "aria-label": t("auto_reply.panel") });
  text.value = pending.text || "";
  const path = (action) => `/api/v1/conversations/${encodeURIComponent(conversation.id)}/auto-reply/${action}`;
  const act = async (action, body) => {
    try {
      applyResult(await post(path(action), body));
      refreshSoon();
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    }
  };
  return h("section.auto-reply", { id: "auto-reply", dataset: { state: pending.state } },
    h("strong", {}, "🤖 ", t("auto_reply.panel")),
    pending.state === "scheduled" && pending.due_at
      ? h("p.due", {}, t("auto_reply.due", { time: formatWhen(pending.due_at, zone, { full: true }) })) : null,
    text,
    h("div.auto-reply-actions", {},
      h("button.primary", { type: "button", id: "auto-reply-approve",
        onclick: () => act("approve", { text: text.value.trim() || null }) }, t("auto_reply.approve")),
      h("button", { type: "button", id: "auto-reply-discard", onclick: () => act("discard") }, t("auto_reply.discard"))));
}

export function reasonLabel(id) {
  const reason = (state.settings.contact_reasons || []).find((r) => r.id === id);
  if (!reason) return id;
  return document.documentElement.lang === "fr" ? reason.label_fr : reason.label_en;
}

function editSubject(conversation) {
  const line = $(".subject-line");
  const shown = conversationSubject(conversation);  // a subject the hub wrote, in the agent's language
  const input = h("input.subject-input", { value: shown, maxlength: 500,
    "aria-label": t("conversation.edit_subject") });
  const save = async () => {
    if (input.value === shown) { render(); return; }  // unchanged: it stays the hub's, in every language
    try {
      applyResult(await patch(`/api/v1/conversations/${conversation.id}`, { subject: input.value }));
      refreshSoon();
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    }
  };
  const form = h("form.subject-form", { onsubmit: (event) => { event.preventDefault(); save(); } },
    input, h("button.primary", { type: "submit" }, t("conversation.save")),
    h("button", { type: "button", onclick: () => render() }, t("conversation.cancel")));
  input.addEventListener("keydown", (event) => { if (event.key === "Escape") render(); });
  clear(line, form);
  input.focus();
  input.select();
}

// --- the timeline ------------------------------------------------------------------------------------

/** Who the request is from: its linked contact's name, else the name the guest gave. */
export function guestName(conversation) {
  const guest = conversation.guest || {};
  return conversation.contact_name || guest.name || guest.email || guest.phone || t("list.unknown_guest");
}

function authorName(entry, conversation) {
  const author = entry.author || {};
  const guest = (conversation && conversation.guest) || {};
  if (author.type === "guest") return author.name || guest.name || author.email || t("entry.guest");
  if (author.type === "agent") return author.name || "";
  if (author.type === "bot") return `🤖 ${author.name || ""} (${t("bot.badge")})`;  // the hotel's chatbot
  if (author.type === "rule") return `⚙ ${t("entry.rule_author", { name: author.name || "" })}`;  // an automation rule
  if (author.type === "automatic") {  // a review's automatic reply, maybe approved by an agent
    return author.approved_by ? `${t("entry.automatic_reply")} (${t("entry.approved_by", { name: author.approved_by })})`
      : t("entry.automatic_reply");
  }
  return t("entry.system");
}

function entries(timeline, conversation, zone) {
  const items = [];
  const threads = new Map();
  for (const entry of timeline) {
    if (entry.kind === "solicitation") {
      if (!threads.has(entry.solicitation_id)) {
        const thread = { id: entry.solicitation_id, recipient: entry.recipient, messages: [] };
        threads.set(entry.solicitation_id, thread);
        items.push(thread);
      }
      threads.get(entry.solicitation_id).messages.push(entry);
    } else {
      items.push(entry);
    }
  }
  return items.map((item) => (item.messages ? solicitationThread(item, zone) : entryView(item, conversation, zone)));
}

function when(entry, zone) {
  return h("time.when", { datetime: entry.at }, formatWhen(entry.at, zone, { full: true }));
}

function attachmentLinks(entry) {
  const emails = new Set((entry.forwarded || []).map((email) => email.attachment_id));  // shown by forwardedEmails
  const files = (entry.attachments || []).filter((file) => !emails.has(file.id));
  if (!files.length) return null;
  return h("ul.files", {}, files.filter((file) => !file.content_id).map((file) =>
    h("li", {}, h("a", { href: `/api/v1/attachments/${encodeURIComponent(file.id)}`, download: file.filename },
      "📎 ", file.filename))));
}

/** The emails attached to a guest's email (a forward, a booking confirmation): who sent each, when, its
 * subject, and the whole email as a .eml download. What they say of themselves is shown, not trusted. */
function forwardedEmails(entry, zone) {
  const emails = entry.forwarded || [];
  if (!emails.length) return null;
  const files = new Map((entry.attachments || []).map((file) => [file.id, file]));
  return h("ul.forwarded", {}, emails.map((email) => {
    const file = files.get(email.attachment_id);
    return h("li", {},
      h("span", {}, t("entry.forwarded", { from: email.sender || t("entry.forwarded_unknown"),
        date: email.date ? formatWhen(email.date, zone, { full: true }) : t("entry.forwarded_unknown"),
        subject: email.subject || t("entry.forwarded_no_subject") })),
      " ",
      h("a", { href: `/api/v1/attachments/${encodeURIComponent(email.attachment_id)}`,
        download: file ? file.filename : "forwarded.eml" }, "📎 ", file ? file.filename : "forwarded.eml"));
  }));
}

/** The images an agent's reply showed in its body (a guest's are in its own HTML). */
function inlineImages(entry) {
  const images = (entry.attachments || []).filter((file) => file.content_id && IMAGE_TYPES.includes(file.content_type));
  if (!images.length || entry.direction !== "outbound") return null;
  return h("div.inline-images", {}, images.map((file) =>
    h("img", { src: `/api/v1/attachments/${encodeURIComponent(file.id)}`, alt: file.filename, loading: "lazy" })));
}

function deliveryBadge(entry) {
  const delivery = entry.delivery;
  if (!delivery || !delivery.state) return null;
  if (entry.public) {  // a public reply to a review: published, rejected (with the platform's reason), edited, deleted
    const removed = delivery.state === "deleted" && delivery.by === "hotel";  // an agent took it down from the hub
    const why = ["failed", "deleting"].includes(delivery.state) && delivery.reason ? ` — ${delivery.reason}` : "";
    return h("span.delivery.public", { dataset: { state: delivery.state, public: "true", by: delivery.by || "" },
      title: delivery.reason || "" }, t(removed ? "public.removed" : `public.${delivery.state}`), why);
  }
  if (delivery.bounce) {  // a bounce came back after it was sent: not delivered (hard, soft), or delayed
    const label = t(delivery.bounce === "delayed" ? "delivery.delayed" : "delivery.bounced");
    const why = delivery.diagnostic || delivery.reason;
    return h("span.delivery", { dataset: { state: delivery.state, bounce: delivery.bounce }, title: delivery.reason || "" },
      label, why ? ` — ${why}` : "");
  }
  return h("span.delivery", { dataset: { state: delivery.state }, title: delivery.reason || "" },
    t(`delivery.${delivery.state}`), delivery.state === "failed" && delivery.reason ? ` — ${delivery.reason}` : "");
}

function guestHtml(entry, conversation) {
  if (!entry.html) return null;
  const base = `/api/v1/conversations/${encodeURIComponent(conversation.id)}/entries/${encodeURIComponent(entry.id)}/html`;
  // No allow-scripts, no allow-same-origin: the page is inert and cannot reach the console.
  const frame = h("iframe.guest-html", { sandbox: "allow-popups allow-popups-to-escape-sandbox", src: base,
    title: t("entry.html"), loading: "lazy", referrerpolicy: "no-referrer" });
  const remote = (entry.html.match(/data-remote-src=/g) || []).length;
  const button = remote ? h("button.small", { type: "button", onclick: () => {
    frame.src = `${base}?remote_images=true`;
    button.remove();
  } }, t("entry.remote_images", { count: remote })) : null;
  return h("details.html-version", {}, h("summary", {}, t("entry.html")), frame, button);
}

function entryView(entry, conversation, zone) {
  const by = authorName(entry, conversation);
  const base = { dataset: { kind: entry.kind, id: entry.id, direction: entry.direction || "" } };
  switch (entry.kind) {
    case "message": {
      const inbound = entry.direction === "inbound";
      const fromBot = (entry.author || {}).type === "bot";
      return h(`li.entry.message.${inbound ? "inbound" : "outbound"}${fromBot ? ".bot" : ""}`, base,
        h("div.entry-head", {}, h("strong", {}, inbound || fromBot ? by : `${t("entry.reply")} — ${by}`),
          entry.channel ? h("span.channel", { title: t(`channel.${entry.channel}`) }, CHANNEL_ICONS[entry.channel] || "") : null,
          entry.rating ? h("span.rating", {}, "★ ", ratingText(entry.review, entry.rating)) : null,
          when(entry, zone), deliveryBadge(entry)),
        (entry.warnings || []).includes("ambiguous_sender")
          ? h("p.warning.ambiguous-sender", { role: "note" }, `⚠ ${t("entry.ambiguous_sender")}`) : null,
        entry.automatic ? h("p.automatic", { role: "note" }, t("entry.automatic")) : null,
        inbound ? reviewSource(entry.review) : null,
        entry.public ? h("p.public-reply", {}, "🌐 ", t("public.label", { platform: platformName(entry.platform) })) : null,
        entry.subject && inbound ? h("p.entry-subject", {}, entrySubject(entry)) : null,
        h("p.text", {}, entryText(entry)), entry.public ? editedOnPlatform(entry) : null,
        entry.public ? publicReplyRemoval(entry, conversation) : null,
        inlineImages(entry), forwardedEmails(entry, zone),
        attachmentLinks(entry), inbound ? guestHtml(entry, conversation) : null,
        inbound && !fromBot ? h("button.small.split-message", { type: "button", dataset: { entry: entry.id },
          onclick: () => splitDialog(conversation, entry) }, t("split.open")) : null);
    }
    case "note":
      return h("li.entry.note", base, h("div.entry-head", {}, h("strong", {}, "🔒 ", t("entry.note"), " — ", by), when(entry, zone)),
        h("p.text", {}, entry.text || ""), attachmentLinks(entry));
    case "status": {
      const reason = entry.reason ? ` (${t(`entry.reason.${entry.reason}`)})` : "";
      const until = entry.snoozed_until ? ` ${t("conversation.until", { time: formatWhen(entry.snoozed_until, zone, { full: true }) })}` : "";
      const note = entry.note ? ` — ${entry.note}` : "";  // why the chatbot handed over
      return event(base, t("entry.status", { from: t(`status.${entry.from}`), to: t(`status.${entry.to}`) }) + until + reason + note,
        by, entry, zone);
    }
    case "assignment":
      return event(base, entry.to ? t("entry.assigned", { name: entry.to.name }) : t("entry.unassigned"), by, entry, zone);
    case "subject":
      return event(base, t("entry.subject", { to: entry.to || "" }), by, entry, zone);
    case "qualification": {
      const parts = [];
      if (entry.priority) parts.push(`${t("qualify.priority")}: ${t(`priority.${entry.priority}`)}`);
      if (entry.contact_reason) parts.push(`${t("qualify.reason")}: ${reasonLabel(entry.contact_reason)}`);
      return event(base, `${t("entry.qualification")} — ${parts.join(", ")}`, by, entry, zone);
    }
    case "labels":
      return event(base, t("entry.labels", { labels: (entry.to || []).join(", ") || "—" }), by, entry, zone);
    case "call":
      return h("li.entry.call", base, h("div.entry-head", {},
        h("strong", {}, "☎ ", t("entry.call", { outcome: t(`outcome.${entry.outcome}`) }),
          entry.duration_seconds ? ` · ${Math.round(entry.duration_seconds / 60)} min` : ""), h("span.by", {}, by), when(entry, zone)),
      entry.notes ? h("p.text", {}, entry.notes) : null);
    case "reservation":
      return h("li.entry.reservation", base, h("div.entry-head", {},
        h("strong", {}, "🛎 ", entry.intent ? t("entry.reservation_intent", { kind: t(`kind.${entry.category}`) })
          : t("entry.reservation", { kind: t(`kind.${entry.category}`), date: entry.date, party: entry.party_size,
            count: entry.party_size })),
        h("span.by", {}, by), when(entry, zone)),
      entry.reference ? h("p.text", {}, `# ${entry.reference}`) : null, entry.notes ? h("p.text", {}, entry.notes) : null);
    case "forward":
    case "delegate":
    case "share":
      return h("li.entry.handover", base, h("div.entry-head", {},
        h("strong", {}, "↪ ", t(`entry.${entry.kind}`, { to: (entry.to || []).join(", ") })), h("span.by", {}, by),
        when(entry, zone), deliveryBadge(entry)), entry.note ? h("p.text", {}, entry.note) : null);
    case "contact_link":
      return event(base, t("entry.contact_link"), by, entry, zone);
    case "survey":  // the satisfaction survey emailed to the guest after closing (surveys/)
      return h("li.entry.event.survey", base, h("span", {}, "⭐ ", t("entry.survey_sent", { to: (entry.to || []).join(", ") })),
        " ", when(entry, zone), deliveryBadge(entry));
    case "sla":  // a response-time target missed, an escalation step run, the guest's survey rating (due.js)
    case "escalation":
    case "rating":
      return event(base, slaEntryText(entry), by, entry, zone);
    case "auto_reply": {
      const due = entry.due_at ? formatWhen(entry.due_at, zone, { full: true }) : "";
      return h("li.entry.auto-reply", { dataset: { ...base.dataset, state: entry.state } },
        h("div.entry-head", {}, h("strong", {}, "🤖 ", t(`auto_reply.${entry.state}`, { time: due })), when(entry, zone)),
        entry.text ? h("p.text", {}, entry.text) : null);
    }
    case "merge":  // another request merged into this one, or this one into another (merge.js)
    case "split":
      return mergeEntry(base, entry, by, zone);
    case "rule":  // an automation rule acted (rules.js)
      return h("li.entry.event.rule", { dataset: { ...base.dataset, rule: entry.rule_id || "" } },
        h("span", {}, "⚙ ", t("entry.rule", { name: entry.rule_name || "", action: ruleActionText(entry.action || {}) })), " ",
        when(entry, zone));
    case "review_reply":  // the platform shows the hotel's public reply edited there, or taken down
      return h("li.entry.event.review-reply", { dataset: { ...base.dataset, state: entry.state, reply: entry.reply_entry_id || "" } },
        h("span", {}, "🌐 ", entry.state === "edited"
          ? t("entry.review_reply.edited", { platform: platformName(entry.platform), comment: entry.comment || "" })
          : t("entry.review_reply.deleted", { platform: platformName(entry.platform) })), " ", when(entry, zone));
    case "public_reply_removal": {  // an agent took the hotel's public reply down from the platform
      const delivery = entry.delivery || {};
      const state = delivery.state || "pending";
      return h("li.entry.event.reply-removal", { dataset: { ...base.dataset, state, reply: entry.reply_entry_id } },
        h("span", {}, "🌐 ", t("entry.reply_removal", { platform: platformName(entry.platform), name: by }), " · ",
          t(`removal.${state}`), state === "failed" && delivery.reason ? ` — ${delivery.reason}` : ""), " ", when(entry, zone));
    }
    default:
      return event(base, entry.kind, by, entry, zone);
  }
}

/** Under the review's latest public reply: why the platform refused to take it down, and while it is
 * published there (edited or not), "Remove from <platform>", after a confirmation. */
function publicReplyRemoval(entry, conversation) {
  const delivery = entry.delivery || {};
  const refused = delivery.removal_failed
    ? h("p.removal-failed", { role: "note" }, t("public.removal_failed", { reason: delivery.removal_failed })) : null;
  const replies = ((state.detail || {}).timeline || []).filter((e) => e.kind === "message" && e.public);
  if (!["sent", "edited"].includes(delivery.state) || !replies.length || replies[replies.length - 1].id !== entry.id) return refused;
  const platform = platformName(entry.platform);
  return h("div.public-reply-actions", {}, refused,
    h("button.small.remove-public-reply", { type: "button", onclick: () => actions.removePublicReply(conversation, platform) },
      t("public.remove", { platform })));
}

/** A public reply's text as the platform shows it now, when someone edited it there. */
function editedOnPlatform(entry) {
  const delivery = entry.delivery || {};
  if (delivery.state !== "edited" || !delivery.comment) return null;
  return h("p.edited-comment", {}, t("public.edited_comment", { comment: delivery.comment }));
}

// --- reviews: where they come from, and their rating as the platform gave it -------------------------

function latestReview() {
  const reviews = ((state.detail && state.detail.timeline) || []).filter((entry) => entry.review);
  return reviews.length ? reviews[reviews.length - 1].review : null;
}

/** The rating on the platform's own scale ({rating: "3", scale: 10}), else the hub's stars out of 5. */
function ratingOf(review, stars) {
  const rating = review ? Number(review.rating) : NaN;
  const scale = review ? Number(review.scale) : NaN;
  if (!Number.isFinite(rating) || !Number.isFinite(scale) || scale <= 0) return { rating: stars, scale: 5 };
  const number = new Intl.NumberFormat(currentLanguage() === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 1 });
  return { rating: number.format(rating), scale };
}

function ratingText(review, stars) {
  const { rating, scale } = ratingOf(review, stars);
  return `${rating}/${scale}`;
}

/** "Review on Tripadvisor · See it on Tripadvisor ↗": the platform, and a link to the review there. */
function reviewSource(review) {
  if (!review || !review.platform) return null;
  const name = platformName(review.platform);
  const link = externalLink(review.url, t("review.open", { platform: name }), " ↗");
  return h("p.review-source", { dataset: { platform: review.platform } },
    h("span.platform", {}, t("review.from", { platform: name })), link ? " · " : null, link);
}

/** A merge or a split on the timeline, with a way to the other request of a split. */
function mergeEntry(base, entry, by, zone) {
  let text;
  let other = null;
  if (entry.kind === "merge") {
    text = entry.merged_into ? t("entry.merged_into") : t("entry.merged_from", { count: entry.moved || 0 });
  } else if (entry.to_conversation_id) {
    text = t("entry.split_to", { count: entry.moved || 0 });
    other = entry.to_conversation_id;
  } else {
    text = t("entry.split_from");
    other = entry.from_conversation_id || null;
  }
  return h("li.entry.event.merge", { dataset: { ...base.dataset, other: other || "" } },
    h("span", {}, "⇄ ", text), " ", h("span.by", {}, t("entry.by", { name: by })), " ", when(entry, zone),
    other ? [" ", h("button.link.small", { type: "button", onclick: () => emit("open", other) }, t("entry.open_request"))] : null);
}

function event(base, text, by, entry, zone) {
  return h("li.entry.event", base, h("span", {}, text), " ", h("span.by", {}, t("entry.by", { name: by })), " ", when(entry, zone));
}

function solicitationThread(thread, zone) {
  const last = thread.messages[thread.messages.length - 1];
  const details = h("details.solicitation", { open: openThreads.has(thread.id), dataset: { solicitation: thread.id } },
    // Remembered at the click itself, not only at the (later) toggle event: a live re-render in between
    // would otherwise rebuild the thread closed under the agent's cursor.
    h("summary", { onclick: () => { if (openThreads.has(thread.id)) openThreads.delete(thread.id); else openThreads.add(thread.id); } },
      "📨 ", t("solicit.thread", { to: thread.recipient || "" }), h("span.count", {}, thread.messages.length)),
    h("ol", {}, thread.messages.map((message) => h(`li.entry.solicitation-message.${message.direction}`, { dataset: { id: message.id } },
      h("div.entry-head", {}, h("strong", {}, message.direction === "inbound" ? message.recipient : authorName(message)),
        when(message, zone), deliveryBadge(message)),
      message.subject ? h("p.entry-subject", {}, message.subject) : null,
      message.formatted ? formatted(message.text) : h("p.text", {}, message.text || ""), attachmentLinks(message)))),
    h("button.small.answer", { type: "button", onclick: () => actions.answerSolicitation(thread.id, thread.recipient, last.subject) },
      "↩ ", t("solicit.answer")));
  details.addEventListener("toggle", () => {
    if (!details.isConnected) return;  // replaced by a re-render: the new element holds the state
    if (details.open) openThreads.add(thread.id); else openThreads.delete(thread.id);
  });
  return h("li.entry.thread", {}, details);
}

// --- the composer ------------------------------------------------------------------------------------

function buildComposer() {
  let mode = "reply";
  let attachments = [];
  let conversation = null;
  const channelLine = h("p.composer-channel", { id: "composer-channel" });
  // A review is answered publicly on its platform, or by a private email when the guest left an address.
  const via = h("select.composer-via", { id: "composer-via", hidden: true, onchange: () => update(conversation) });
  const text = h("textarea", { id: "composer-text", rows: 4, maxlength: 20000 });
  const files = h("ul.chips");
  const replyTab = h("button", { type: "button", role: "tab", dataset: { mode: "reply" }, onclick: () => setMode("reply") });
  const noteTab = h("button", { type: "button", role: "tab", dataset: { mode: "note" }, onclick: () => setMode("note") });
  const templatesButton = h("button.icon.pencil", { type: "button", onclick: () => pickTemplate() }, "✎");
  const picker = h("div.templates", { hidden: true, role: "listbox" });
  const fileInput = h("input", { type: "file", multiple: true, hidden: true, onchange: () => upload(fileInput.files) });
  const attachButton = h("button.icon", { type: "button", onclick: () => fileInput.click() }, "📎");
  // Images shown in the email's body: picked here, pasted or dropped into the text.
  const imageInput = h("input", { type: "file", multiple: true, hidden: true, accept: IMAGE_TYPES.join(","),
    id: "composer-image-input", onchange: () => upload(imageInput.files, { inline: true }) });
  const imageButton = h("button.icon", { type: "button", id: "composer-image", onclick: () => imageInput.click() }, "🖼");
  const send = h("button.primary.send", { type: "submit" }, "➤");
  const form = h("form.composer", { onsubmit: (event) => { event.preventDefault(); submit(); } },
    h("div.composer-tabs", { role: "tablist" }, replyTab, noteTab), via, channelLine, picker, text, files,
    h("div.composer-tools", {}, templatesButton, attachButton, fileInput, imageButton, imageInput, h("span.spacer"), send));
  for (const kind of ["paste", "drop"]) {
    text.addEventListener(kind, (event) => {
      const transfer = event.clipboardData || event.dataTransfer;
      const images = [...(transfer?.files || [])].filter((file) => IMAGE_TYPES.includes(file.type));
      if (!images.length) return;
      event.preventDefault();
      upload(images, { inline: true });
    });
  }
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  });

  function labels() {
    replyTab.textContent = t("composer.reply");
    noteTab.textContent = `🔒 ${t("composer.note")}`;
    templatesButton.title = t("composer.templates");
    templatesButton.setAttribute("aria-label", t("composer.templates"));
    attachButton.title = t("composer.attach");
    attachButton.setAttribute("aria-label", t("composer.attach"));
    imageButton.title = t("composer.image");
    imageButton.setAttribute("aria-label", t("composer.image"));
    send.title = t("common.send");
    send.setAttribute("aria-label", t("common.send"));
    text.placeholder = mode === "note" ? t("composer.note_placeholder") : t("composer.placeholder");
  }

  function setMode(next) {
    mode = next;
    form.dataset.mode = mode;
    replyTab.setAttribute("aria-selected", mode === "reply" ? "true" : "false");
    noteTab.setAttribute("aria-selected", mode === "note" ? "true" : "false");
    update(conversation);
    text.focus();
  }

  function update(current) {
    conversation = current;
    labels();
    form.dataset.mode = mode;
    replyTab.setAttribute("aria-selected", mode === "reply" ? "true" : "false");
    noteTab.setAttribute("aria-selected", mode === "note" ? "true" : "false");
    if (!conversation) return;
    // The guest's address, or their linked contact's (a chat linked to a contact goes on by email).
    const contact = state.contact && state.contact.id === conversation.contact_id ? state.contact : null;
    const email = (conversation.guest || {}).email || (contact && (contact.emails || [])[0]);
    const liveChat = conversation.channel === "chat" && conversation.chat_session_id && conversation.chat_open !== false;
    const answer = viaChoice(email);
    let line = "";
    if (mode === "note") line = `🔒 ${t("composer.note")}`;
    else if (answer === "public") {
      line = `🌐 ${t("composer.public_line", { platform: platformName((latestReview() || {}).platform) })}`;
    } else if (liveChat) line = `💬 ${t("composer.by_chat")}`;
    else if (conversation.channel === "chat" && email) line = `✉ ${t("composer.chat_closed", { to: email })}`;
    else if (email) line = `✉ ${t("composer.by_email", { to: email })}`;
    else line = `⚠ ${t("composer.no_address")}`;
    channelLine.textContent = line;
    channelLine.dataset.channel = mode === "note" ? "note" : answer === "public" ? "public" : liveChat ? "chat" : "email";
  }

  /** The review's answer as chosen in the composer: public on a platform the hub posts to (the default),
   * or a private email when the guest left an address. Neither: the API says why it cannot be answered. */
  function viaChoice(email) {
    const publicly = conversation && conversation.channel === "review" && Boolean(state.detail && state.detail.public_reply);
    const options = [];
    if (publicly) options.push(h("option", { value: "public" }, t("composer.via_public", { platform: platformName((latestReview() || {}).platform) })));
    if (publicly && email) options.push(h("option", { value: "email" }, t("composer.via_email", { to: email })));
    via.hidden = mode === "note" || !options.length;
    if (!options.length) return null;
    const chosen = via.value === "email" && email ? "email" : "public";
    clear(via, options);
    via.value = chosen;
    via.setAttribute("aria-label", t("composer.via"));
    return chosen;
  }

  async function pickTemplate() {
    if (!picker.hidden) { picker.hidden = true; return; }
    const lang = document.documentElement.lang;
    const templates = [...state.templates].sort((a, b) => (a.language === lang ? -1 : 0) - (b.language === lang ? -1 : 0));
    clear(picker, templates.length ? templates.map((template) => h("button.template", {
      type: "button", role: "option", dataset: { template: template.id },
      onclick: async () => {
        picker.hidden = true;
        try {
          const rendered = await post(`/api/v1/templates/${encodeURIComponent(template.id)}/render`, { conversation_id: conversation.id });
          text.value = text.value ? `${text.value}\n\n${rendered.body}` : rendered.body;
          setMode("reply");
          text.setSelectionRange(text.value.length, text.value.length);
        } catch (error) {
          toast(t("toast.error", { detail: error.message }), { error: true });
        }
      },
    }, h("strong", {}, template.name), " ", h("span.lang", {}, template.language))) : h("p", {}, t("composer.no_templates")));
    picker.hidden = false;
    picker.querySelector("button")?.focus();
  }

  async function upload(selected, { inline = false } = {}) {
    for (const file of selected) {
      const data = new FormData();
      data.append("file", file);
      data.append("location", conversation.location_id);
      try {
        const stored = await post("/api/v1/attachments", data);
        attachments.push({ ...stored, inline: inline && IMAGE_TYPES.includes(stored.content_type) });
      } catch (error) {
        toast(t("toast.error", { detail: error.message }), { error: true });
      }
    }
    fileInput.value = "";
    imageInput.value = "";
    renderFiles();
  }

  function renderFiles() {
    clear(files, attachments.map((file) => h("li.chip", { dataset: { inline: file.inline ? "true" : "false" } },
      file.inline ? "🖼 " : "📎 ", file.filename, " ",
      h("button.icon.small", { type: "button", title: t("composer.remove"), "aria-label": t("composer.remove"),
        onclick: () => { attachments = attachments.filter((a) => a.id !== file.id); renderFiles(); } }, "×"))));
  }

  async function submit() {
    const body = text.value.trim();
    if (!body || !conversation || send.disabled) return;
    send.disabled = true;
    const path = `/api/v1/conversations/${encodeURIComponent(conversation.id)}/${mode === "note" ? "notes" : "messages"}`;
    try {
      // A note keeps its images as files; a reply shows them in the email's body.
      const inline = mode === "reply" ? attachments.filter((a) => a.inline) : [];
      const chosen = mode === "reply" && !via.hidden ? via.value : null;
      const result = await post(path, {
        ...(chosen ? { via: chosen } : {}),
        text: body,
        attachment_ids: attachments.filter((a) => !inline.includes(a)).map((a) => a.id),
        ...(inline.length ? { inline_image_ids: inline.map((a) => a.id) } : {}),
      });
      text.value = "";
      attachments = [];
      renderFiles();
      applyResult(result);
      refreshSoon();
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    } finally {
      send.disabled = false;
    }
  }

  return {
    element: form,
    update,
    focus(asMode) { if (asMode) setMode(asMode); text.focus(); },
  };
}

export function focusComposer() {
  if (composer && state.detail) composer.focus("reply");
}

export async function closeRequest() {
  if (!state.detail) return;
  try {
    applyResult(await put(`/api/v1/conversations/${state.detail.conversation.id}/status`, { status: "closed" }));
    refreshSoon();
  } catch (error) {
    toast(t("toast.error", { detail: error.message }), { error: true });
  }
}
