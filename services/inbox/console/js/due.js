// Response-time targets as agents see them: "due in 35 min" / "overdue by 2 h" on a list's row, each
// target and the latest escalation in a request's header, and the timeline's target, escalation and
// rating entries (the request's `sla`, services/inbox/sla/).

import { h } from "./dom.js";
import { formatWhen, t } from "./i18n.js";
import { groupName, state } from "./store.js";

const TARGETS = ["first_response", "resolution"];
const STOPPED = ["closed", "spam"];  // no target runs on them

/** A length of time as a row shows it: "35 min", "2 h", "3 d". */
export function duration(ms) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60000));
  if (minutes < 60) return t("due.minutes", { count: minutes });
  if (minutes < 48 * 60) return t("due.hours", { count: Math.round(minutes / 60) });
  return t("due.days", { count: Math.round(minutes / 1440) });
}

/** The targets still waiting for the agent: running ones, and missed ones not answered yet. */
function outstanding(sla) {
  return TARGETS.map((name) => (sla || {})[name])
    .filter((target) => target && target.due_at && (target.state === "running" || (target.state === "missed" && !target.met_at)));
}

/** The earliest time something is due on the request, or null. */
function earliestDue(item) {
  const times = outstanding(item.sla).map((target) => new Date(target.due_at).getTime());
  if (!times.length && item.sla_due_at) times.push(new Date(item.sla_due_at).getTime());
  const valid = times.filter((time) => !Number.isNaN(time));
  return valid.length ? Math.min(...valid) : null;
}

/** The row's due label: due in…, overdue by… (red), paused; nothing once met or without a target. */
export function dueBadge(item, now = Date.now()) {
  if (STOPPED.includes(item.status)) return null;
  const due = earliestDue(item);
  if (due !== null) {
    const overdue = due < now;
    const text = overdue ? t("due.overdue", { time: duration(now - due) }) : t("due.in", { time: duration(due - now) });
    return h("span.due", { dataset: { due: overdue ? "overdue" : "running" }, title: text }, overdue ? "⏰ " : "", text);
  }
  const paused = TARGETS.some((name) => ((item.sla || {})[name] || {}).state === "paused");
  return paused ? h("span.due", { dataset: { due: "paused" } }, t("due.paused")) : null;
}

/** "Escalated: first response overdue, handed to <group>": why the request was escalated, and what was done. */
export function escalationText(escalation) {
  const why = t(`sla.why.${escalation.target}.${escalation.reason === "nearly_missed" ? "nearly_missed" : "missed"}`);
  const action = escalation.action === "to_group"
    ? t("sla.action.to_group", { group: groupName(escalation.group_id) })
    : t(`sla.action.${escalation.action}`);
  return t("sla.escalated", { why, action });
}

function targetText(name, target, zone) {
  const label = t(`sla.target.${name}`);
  const at = (value) => formatWhen(value, zone, { full: true });
  switch (target.state) {
    case "running":
      return t("sla.running", { target: label, time: at(target.due_at) });
    case "paused":
      return t("sla.paused", { target: label, time: duration((target.remaining_seconds || 0) * 1000) });
    case "met":
      return t("sla.met", { target: label });
    case "missed":
      return t("sla.missed", { target: label, time: at(target.due_at || target.missed_at) });
    default:
      return label;
  }
}

/** The header's line of targets ("First response: due 4 Dec 14:30 · Resolution: met") and the escalation. */
export function slaSummary(conversation, zone) {
  const sla = conversation.sla;
  if (!sla) return null;
  const targets = TARGETS.filter((name) => sla[name]).map((name) =>
    h("span.target", { dataset: { target: name, state: sla[name].state } }, targetText(name, sla[name], zone)));
  return h("div.sla", { id: "sla" },
    h("p.targets", { title: sla.policy_name || "" }, targets),
    sla.escalation ? h("p.escalation", { id: "escalation", role: "note" }, "⚠ ", escalationText(sla.escalation)) : null);
}

function agentNames(ids) {
  return (ids || []).map((id) => (state.agents.find((agent) => agent.id === id) || {}).name || id).join(", ");
}

/** The text of a timeline entry about a target ("sla"), an escalation or the guest's survey rating. */
export function slaEntryText(entry) {
  switch (entry.kind) {
    case "sla":
      return t(`entry.sla.${entry.state === "missed" ? "missed" : "changed"}`, { target: t(`sla.target.${entry.target}`) });
    case "escalation": {
      const notified = (entry.notified || []).length ? ` — ${t("entry.notified", { names: agentNames(entry.notified) })}` : "";
      return escalationText(entry) + notified;
    }
    case "rating":
      return t("entry.survey_rating", { rating: entry.rating });
    default:
      return entry.kind;
  }
}
