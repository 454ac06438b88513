// Automation rules (/api/v1/rules): managers see the chain's rules and change their groups' rules, admins
// change every one. A rule runs its actions on a request when one of its events happens and all its
// conditions hold; the page builds triggers, conditions and actions from choices (never free JSON) and
// tries the rules on a request or a sample one (the dry run, which changes nothing). Which rules fire and
// in what order is the API's business (rules/decisions.py): the list only shows that order.

import { del, get, patch, post } from "./api.js";
import { $, clear, h } from "./dom.js";
import { currentLanguage, formatWhen, hasMessage, t } from "./i18n.js";
import { groupName, isManager, state, toast } from "./store.js";

const PATH = "/api/v1/rules";
export const TRIGGERS = ["created", "guest_message", "status_changed", "label_added", "assigned", "priority_changed"];
const CHANNELS = ["email", "form", "chat", "review", "phone"];
const STATUSES = ["open", "on_hold", "closed", "spam"];
const PRIORITIES = ["low", "medium", "high"];
const LANGUAGES = ["fr", "en", "de", "es", "it"];
const MAX_CONDITIONS = 20;
const MAX_ACTIONS = 10;

const hotels = () => [...state.locations.values()].map((hotel) => [hotel.id, hotel.name || hotel.id]);
const groups = () => (state.groups || []).map((group) => [group.id, group.name || group.id]);

/** Each condition's field: its comparisons and the kind of value it takes. */
const CONDITIONS = {
  channel: { ops: ["in"], value: "choices", choices: () => CHANNELS.map((c) => [c, t(`channel.${c}`)]) },
  location_id: { ops: ["in"], value: "choices", choices: hotels },
  group_id: { ops: ["in"], value: "choices", choices: groups },
  rating: { ops: ["lte", "gte", "eq"], value: "stars" },
  alert: { ops: ["eq"], value: "bool" },
  status: { ops: ["in"], value: "choices", choices: () => STATUSES.map((s) => [s, t(`status.${s}`)]) },
  priority: { ops: ["in"], value: "choices", choices: () => PRIORITIES.map((p) => [p, t(`priority.${p}`)]) },
  subject: { ops: ["contains_any"], value: "words" },
  text: { ops: ["contains_any"], value: "words" },
  language: { ops: ["in"], value: "choices", choices: () => LANGUAGES.map((l) => [l, t(`rules.lang.${l}`)]) },
  labels: { ops: ["contains"], value: "label" },
  assigned: { ops: ["eq"], value: "bool" },
  business_hours: { ops: ["eq"], value: "hours" },
  contact_attribute: { ops: ["eq", "in", "exists"], value: "attribute" },
};
export const ACTIONS = ["assign_agent", "assign_round_robin", "set_priority", "add_labels", "reply_template", "mark_spam",
  "hold", "notify_email"];

export function showEntry() {
  $("#rules").hidden = !isManager();
}

export function install() {
  $("#rules").addEventListener("click", () => open());
}

/** The documented order: chain rules first, then group rules; then position, name, id. */
export function compareRules(a, b) {
  const scope = (rule) => (rule.group_id ? 1 : 0);
  return scope(a) - scope(b) || (a.position || 0) - (b.position || 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The rules by scope: [{group_id: null, rules}, then one per group (by the group's name)], each in order. */
export function byScope(rules) {
  const scopes = new Map();
  for (const rule of [...rules].sort(compareRules)) {
    const key = rule.group_id || "";
    if (!scopes.has(key)) scopes.set(key, []);
    scopes.get(key).push(rule);
  }
  const keys = [...scopes.keys()].sort((a, b) => (!a ? -1 : !b ? 1 : groupName(a).localeCompare(groupName(b))));
  return keys.map((key) => ({ group_id: key || null, rules: scopes.get(key) }));
}

const options = (select, pairs, value) => {
  clear(select, pairs.map(([key, label]) => h("option", { value: key }, label)));
  if (value !== undefined && value !== null && pairs.some(([key]) => key === String(value))) select.value = String(value);
  return select;
};
const labelled = (label, input) => h("label.field", {}, h("span", {}, label), input);
const listOf = (text) => String(text || "").split(",").map((word) => word.trim()).filter(Boolean);

/** Ticks for a value among choices (channels, hotels…), in a fieldset named for the condition. */
function choicesEditor(legend, pairs, chosen) {
  const picked = new Set(Array.isArray(chosen) ? chosen.map(String) : []);
  return h("fieldset.rule-choices", {}, h("legend.sr", {}, legend), pairs.map(([key, label]) =>
    h("label.check", {}, h("input", { type: "checkbox", name: "choice", value: key, checked: picked.has(key) }), h("span", {}, label))));
}

/** The value part of a condition, for its field and comparison. */
function valueEditor(field, op, value) {
  const spec = CONDITIONS[field];
  const legend = t(`rules.field.${field}`);
  const text = (attributes) => h("input", { name: "value", maxlength: 500, "aria-label": t("rules.condition_value"), ...attributes });
  switch (spec.value) {
    case "choices":
      return choicesEditor(legend, spec.choices(), value);
    case "stars":
      return options(h("select", { name: "value", "aria-label": t("rules.condition_value") }),
        [1, 2, 3, 4, 5].map((n) => [String(n), "★".repeat(n)]), value ?? 2);
    case "bool":
      return options(h("select", { name: "value", "aria-label": t("rules.condition_value") }),
        [["true", t("rules.yes")], ["false", t("rules.no")]], value === false ? "false" : "true");
    case "hours":
      return options(h("select", { name: "value", "aria-label": t("rules.condition_value") }),
        [["open", t("rules.hours_open")], ["closed", t("rules.hours_closed")]], value || "open");
    case "words":
      return text({ value: Array.isArray(value) ? value.join(", ") : "", placeholder: t("rules.words_hint"), required: true });
    case "label":
      return text({ value: value || "", list: "known-labels", maxlength: 50, required: true });
    default:  // a headquarters attribute: a value, values, or none when it only needs to be set
      if (op === "exists") return null;
      if (op === "in") return text({ value: Array.isArray(value) ? value.join(", ") : "", placeholder: t("rules.values_hint"), required: true });
      return text({ value: value ?? "", required: true });
  }
}

function readValue(row, field, op) {
  const spec = CONDITIONS[field];
  const input = row.querySelector("[name=value]");
  switch (spec.value) {
    case "choices":
      return [...row.querySelectorAll("input[name=choice]:checked")].map((box) => box.value);
    case "stars":
      return Number(input.value);
    case "bool":
      return input.value === "true";
    case "words":
      return listOf(input.value);
    case "hours":
    case "label":
      return input.value.trim();
    default:
      if (op === "exists") return undefined;  // only that the attribute is set: no value
      return op === "in" ? listOf(input.value) : input.value.trim();
  }
}

/** One condition as a row: which field, how it compares, and to what. */
function conditionRow(condition) {
  const field = options(h("select", { name: "field", "aria-label": t("rules.condition_field") }),
    Object.keys(CONDITIONS).map((key) => [key, t(`rules.field.${key}`)]), condition.field);
  const op = h("select", { name: "op", "aria-label": t("rules.condition_op") });
  const name = h("input", { name: "attribute", maxlength: 64, required: true, placeholder: t("rules.attribute_name"),
    "aria-label": t("rules.attribute_name"), value: condition.name || "" });
  const value = h("span.rule-value");
  const row = h("li.rule-condition", {}, field, name, op, value,
    h("button.small", { type: "button", name: "remove_condition", onclick: () => row.remove() }, t("rules.remove")));
  let current = condition;
  const showValue = () => {
    clear(value, valueEditor(field.value, op.value, current.field === field.value ? current.value : undefined));
  };
  const showField = () => {
    const spec = CONDITIONS[field.value];
    options(op, spec.ops.map((key) => [key, t(`rules.op.${key}`)]), current.field === field.value ? current.op : spec.ops[0]);
    name.hidden = field.value !== "contact_attribute";
    name.disabled = name.hidden;
    showValue();
  };
  field.addEventListener("change", () => { current = {}; showField(); });
  op.addEventListener("change", () => { current = { ...current, op: op.value }; showValue(); });
  showField();
  row.dataset.field = field.value;
  field.addEventListener("change", () => { row.dataset.field = field.value; });
  return row;
}

function readCondition(row) {
  const field = row.querySelector("[name=field]").value;
  const op = row.querySelector("[name=op]").value;
  const condition = { field, op };
  const value = readValue(row, field, op);
  if (value !== undefined) condition.value = value;
  if (field === "contact_attribute") condition.name = row.querySelector("[name=attribute]").value.trim();
  return condition;
}

/** What an action needs besides its type, as inputs. */
function actionParams(type, action) {
  const select = (name, pairs, value, label, required = true) => labelled(label, options(h("select", { name, required }), pairs, value));
  switch (type) {
    case "assign_agent":
      return select("agent_id", (state.agents || []).filter((agent) => !agent.disabled)
        .map((agent) => [agent.id, `${agent.name} (${agent.initials || ""})${agent.away ? ` — ${t("presence.away")}` : ""}`]),
      action.agent_id, t("rules.agent"));
    case "assign_round_robin":
      return [select("group_id", [["", t("rules.rr_hotel_agents")], ...groups()], action.group_id || "", t("rules.rr_group"), false),
        h("label.check", {}, h("input", { type: "checkbox", name: "online_only", checked: Boolean(action.online_only) }),
          h("span", {}, t("rules.online_only")))];
    case "set_priority":
      return select("priority", PRIORITIES.map((p) => [p, t(`priority.${p}`)]), action.priority || "high", t("rules.priority"));
    case "add_labels":
      return labelled(t("rules.labels"), h("input", { name: "labels", required: true, maxlength: 600, list: "known-labels",
        value: (action.labels || []).join(", ") }));
    case "reply_template":
      return select("template_id", (state.templates || []).map((template) => [template.id, `${template.name} (${template.language})`]),
        action.template_id, t("rules.template"));
    case "hold":
      return labelled(t("rules.hours"), h("input", { type: "number", name: "hours", min: 1, max: 720, step: 1, required: true,
        value: action.hours || 24 }));
    case "notify_email":
      return select("to", [["assignee", t("rules.notify_assignee")], ["managers", t("rules.notify_managers")]],
        action.to || "managers", t("rules.notify_to"));
    default:
      return null;
  }
}

function actionRow(action) {
  const type = options(h("select", { name: "type", "aria-label": t("rules.action_type") }),
    ACTIONS.map((key) => [key, t(`rules.action.${key}`)]), action.type);
  const params = h("span.rule-params");
  const row = h("li.rule-action", {}, type, params,
    h("button.small", { type: "button", name: "remove_action", onclick: () => row.remove() }, t("rules.remove")));
  const show = (given) => { row.dataset.type = type.value; clear(params, actionParams(type.value, given)); };
  type.addEventListener("change", () => show({}));
  show(action);
  return row;
}

function readAction(row) {
  const type = row.querySelector("[name=type]").value;
  const value = (name) => row.querySelector(`[name=${name}]`);
  switch (type) {
    case "assign_agent": return { type, agent_id: value("agent_id").value };
    case "assign_round_robin": return { type, group_id: value("group_id").value || null, online_only: value("online_only").checked };
    case "set_priority": return { type, priority: value("priority").value };
    case "add_labels": return { type, labels: listOf(value("labels").value) };
    case "reply_template": return { type, template_id: value("template_id").value };
    case "hold": return { type, hours: Number(value("hours").value) };
    case "notify_email": return { type, to: value("to").value };
    default: return { type };
  }
}

/** An action a rule took, as its request's timeline says it: "Set the priority: High". */
export function ruleActionText(action) {
  const type = t(`rules.action.${action.type}`);
  const detailed = (detail) => t("rules.action_detail", { action: type, detail });
  const agent = (id) => ((state.agents || []).find((candidate) => candidate.id === id) || {}).name || id;
  const template = (id) => ((state.templates || []).find((candidate) => candidate.id === id) || {}).name || id;
  switch (action.type) {
    case "assign_agent": return action.agent_id ? detailed(agent(action.agent_id)) : type;
    case "assign_round_robin": return action.group_id ? detailed(groupName(action.group_id)) : type;
    case "set_priority": return action.priority ? detailed(t(`priority.${action.priority}`)) : type;
    case "add_labels": return detailed((action.labels || []).join(", "));
    case "reply_template": return action.template_id ? detailed(template(action.template_id)) : type;
    case "hold": return action.hours ? detailed(t("rules.hold_hours", { count: action.hours })) : type;
    case "notify_email": return action.to ? detailed(t(`rules.notify_${action.to}`)) : type;
    default: return type;
  }
}

/** "Stopped 3 times (loop)": a rule whose actions would have set it off again, as the engine counted it. */
function loopBadge(rule) {
  const guard = rule.loop_guard || {};
  if (!guard.stopped) return null;
  const when = guard.last_at ? t("rules.loop_last", { time: formatWhen(guard.last_at, "Europe/Paris", { full: true }) }) : "";
  return h("span.loop-badge", { dataset: { stopped: guard.stopped }, title: when }, "⟲ ", t("rules.loop", { count: guard.stopped }));
}

function describe(rule) {
  const parts = [(rule.on || []).map((trigger) => t(`rules.trigger.${trigger}`)).join(", ")];
  parts.push(t("rules.summary", { conditions: (rule.conditions || []).length, actions: (rule.actions || []).length }));
  parts.push(t("rules.position_is", { position: rule.position || 0 }));
  if (rule.fired) parts.push(t("rules.fired", { count: rule.fired }));
  return parts.join(" · ");
}

/** A dry run's answer: the rules that would fire, in order, their actions in the reader's language, and
 * the request's fields afterwards. */
export function dryRunResult(answer) {
  const fired = answer.fired || [];
  const summary = (action) => (currentLanguage() === "fr" ? action.summary_fr : action.summary_en) || action.type;
  const changes = Object.entries(answer.changes || {});
  const changed = new Set(fired.flatMap((rule) => (rule.actions || []).flatMap((action) => Object.keys(action.changes || {}))));
  const shown = (key, value) => {
    if (key === "status" && value) return t(`status.${value}`);
    if (key === "priority" && value) return t(`priority.${value}`);
    if (typeof value === "boolean") return t(value ? "rules.yes" : "rules.no");
    if (Array.isArray(value)) return value.join(", ") || "—";
    return value && typeof value === "object" ? JSON.stringify(value) : String(value ?? "—");
  };
  const named = (key) => (hasMessage(`rules.field.${key}`) ? t(`rules.field.${key}`) : key);
  return [
    fired.length ? [h("h4", {}, t("rules.dry_fired")),
      h("ol.dry-fired", {}, fired.map((rule) => h("li", { dataset: { rule: rule.rule_id } },
        h("strong", {}, rule.name), " ", h("span.muted", {}, rule.group_id ? groupName(rule.group_id) : t("rules.chain_short")),
        h("ul.dry-actions", {}, (rule.actions || []).map((action) => h("li", { dataset: { action: action.type } }, summary(action)))))))]
      : h("p.dry-none", {}, t("rules.dry_none")),
    h("h4", {}, t("rules.dry_changes")),
    changes.length ? h("dl.dry-changes", {}, changes.map(([key, value]) => {
      const mark = { dataset: { field: key, changed: changed.has(key) ? "true" : "false" } };
      return [h("dt", mark, named(key)), h("dd", mark, shown(key, value))];
    }))
      : h("p.muted", {}, t("rules.dry_no_change")),
  ];
}

export async function open() {
  if (!isManager()) return;
  const modal = $("#modal");
  const admin = state.me.role === "admin";
  const myGroups = state.groups || [];
  const list = h("div.rule-list", { id: "rule-list" });
  const error = h("p.error", { id: "rule-error", role: "alert", hidden: true });
  const fields = {
    name: h("input", { name: "name", required: true, maxlength: 120 }),
    group_id: options(h("select", { name: "group_id" }), [
      ...(admin ? [["", t("rules.chain")]] : []),
      ...myGroups.map((group) => [group.id, group.name || group.id])]),
    position: h("input", { type: "number", name: "position", min: 0, max: 100000, step: 1, value: 0 }),
    enabled: h("input", { type: "checkbox", name: "enabled", role: "switch", checked: true }),
  };
  const triggers = Object.fromEntries(TRIGGERS.map((trigger) => [trigger, h("input", { type: "checkbox", name: `on_${trigger}`, value: trigger })]));
  const conditions = h("ul.rule-conditions", { id: "rule-conditions" });
  const actions = h("ul.rule-actions", { id: "rule-actions" });
  const title = h("h3", {}, t("rules.new"));
  const submit = h("button.primary", { type: "submit", name: "save_rule" }, t("rules.create"));
  let editing = null;

  const check = (key, input) => h("label.check", {}, input, h("span", {}, t(key)));
  const addCondition = (condition = { field: "channel", op: "in", value: [] }) => {
    if (conditions.children.length < MAX_CONDITIONS) conditions.append(conditionRow(condition));
  };
  const addAction = (action = { type: "add_labels", labels: [] }) => {
    if (actions.children.length < MAX_ACTIONS) actions.append(actionRow(action));
  };

  const edit = (rule) => {
    editing = rule;
    title.textContent = rule ? t("rules.editing", { name: rule.name }) : t("rules.new");
    submit.textContent = rule ? t("rules.save") : t("rules.create");
    const shown = rule || { name: "", group_id: admin ? null : (myGroups[0] || {}).id || null, position: 0, enabled: true,
      on: ["created"], conditions: [], actions: [{ type: "add_labels", labels: [] }] };
    fields.name.value = shown.name;
    if (shown.group_id && ![...fields.group_id.options].some((option) => option.value === shown.group_id)) {
      fields.group_id.append(h("option", { value: shown.group_id }, groupName(shown.group_id)));
    }
    fields.group_id.value = shown.group_id || "";
    fields.group_id.disabled = Boolean(rule);  // a rule keeps its scope: delete it and create another instead
    fields.position.value = shown.position || 0;
    fields.enabled.checked = shown.enabled !== false;
    for (const trigger of TRIGGERS) triggers[trigger].checked = (shown.on || []).includes(trigger);
    conditions.replaceChildren();
    for (const condition of shown.conditions || []) addCondition(condition);
    actions.replaceChildren();
    for (const action of shown.actions || []) addAction(action);
    error.hidden = true;
  };

  const readRule = () => ({
    name: fields.name.value.trim(),
    enabled: fields.enabled.checked,
    group_id: fields.group_id.value || null,
    position: Number(fields.position.value || 0),
    on: TRIGGERS.filter((trigger) => triggers[trigger].checked),
    conditions: [...conditions.querySelectorAll("li.rule-condition")].map(readCondition),
    actions: [...actions.querySelectorAll("li.rule-action")].map(readAction),
  });

  const failed = (problem) => toast(t("toast.error", { detail: problem.message }), { error: true });
  const mayChange = (rule) => admin || (rule.group_id && myGroups.some((group) => group.id === rule.group_id));
  const remove = async (rule) => {
    try {
      await del(`${PATH}/${encodeURIComponent(rule.id)}`);
      if (editing && editing.id === rule.id) edit(null);
      toast(t("rules.deleted", { name: rule.name }));
      await refresh();
    } catch (problem) { failed(problem); }
  };
  const toggle = async (rule, box) => {
    try {
      await patch(`${PATH}/${encodeURIComponent(rule.id)}`, { enabled: box.checked });
      await refresh();
    } catch (problem) {
      box.checked = !box.checked;
      failed(problem);
    }
  };
  const row = (rule) => {
    const changeable = mayChange(rule);
    const enabled = h("input", { type: "checkbox", role: "switch", name: "rule_enabled", checked: rule.enabled !== false,
      disabled: !changeable, "aria-label": t("rules.enabled_of", { name: rule.name }) });
    enabled.addEventListener("change", () => toggle(rule, enabled));
    return h("li.rule", { dataset: { rule: rule.id, enabled: rule.enabled !== false ? "true" : "false" } },
      enabled, h("strong", {}, rule.name), h("span.muted", {}, describe(rule)), loopBadge(rule),
      changeable ? [
        h("button.small", { type: "button", name: "edit_rule", onclick: () => edit(rule) }, t("rules.edit")),
        h("button.small", { type: "button", name: "delete_rule", onclick: () => remove(rule) }, t("rules.delete")),
      ] : h("span.muted.read-only", {}, t("rules.read_only")));
  };
  const refresh = async () => {
    const { items } = await get(PATH);
    clear(list, items.length ? byScope(items).map((scope) => h("section.rule-scope", { dataset: { scope: scope.group_id || "chain" } },
      h("h4", {}, scope.group_id ? t("rules.group_scope", { group: groupName(scope.group_id) }) : t("rules.chain")),
      h("ol.rules", {}, scope.rules.map(row)))) : h("p.muted", {}, t("rules.none")));
  };

  const form = h("form.rule-form", {
    id: "rule-form",
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        const body = readRule();
        if (editing) delete body.group_id;
        const saved = editing ? await patch(`${PATH}/${encodeURIComponent(editing.id)}`, body) : await post(PATH, body);
        toast(t("rules.saved", { name: saved.name }));
        edit(null);
        await refresh();
      } catch (problem) {
        error.textContent = t("toast.error", { detail: problem.message });  // the API's words, in the console's language
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    },
  }, title,
  labelled(t("rules.name"), fields.name), labelled(t("rules.scope"), fields.group_id),
  h("label.field", {}, h("span", {}, t("rules.position")), fields.position, h("small.hint", {}, t("rules.position_hint"))),
  check("rules.enabled", fields.enabled),
  h("fieldset.rule-triggers", {}, h("legend", {}, t("rules.triggers")),
    TRIGGERS.map((trigger) => check(`rules.trigger.${trigger}`, triggers[trigger]))),
  h("fieldset.rule-block", {}, h("legend", {}, t("rules.conditions")), h("small.hint", {}, t("rules.no_conditions")), conditions,
    h("button.small", { type: "button", name: "add_condition", onclick: () => addCondition() }, t("rules.add_condition"))),
  h("fieldset.rule-block", {}, h("legend", {}, t("rules.actions")), actions,
    h("button.small", { type: "button", name: "add_action", onclick: () => addAction() }, t("rules.add_action"))),
  error,
  h("div.dialog-buttons", {}, h("button", { type: "button", name: "new_rule", onclick: () => edit(null) }, t("rules.new")), submit));

  const page = h("section.dialog-form.rules", { "aria-labelledby": "rules-title" },
    h("h2", { id: "rules-title" }, t("rules.title")), h("p.hint", {}, t("rules.hint")),
    h("div.rules-columns", {}, h("div.rules-main", {}, list, form), dryRunPanel(readRule)),
    h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.close"))));
  edit(null);
  clear(modal, page);
  modal.showModal();
  try { await refresh(); } catch (problem) { failed(problem); }
}

/** The dry run: a request's id, or a sample request; which event; the saved rules or the one being edited. */
function dryRunPanel(readRule) {
  const source = h("select", { name: "dry_source" });
  options(source, [["conversation", t("rules.dry_request")], ["request", t("rules.dry_sample")]], state.openId ? "conversation" : "request");
  const id = h("input", { name: "conversation_id", maxlength: 64, value: state.openId || "" });
  const event = options(h("select", { name: "event" }), TRIGGERS.map((trigger) => [trigger, t(`rules.trigger.${trigger}`)]), "created");
  const sample = {
    location_id: options(h("select", { name: "location_id" }), hotels()),
    channel: options(h("select", { name: "channel" }), CHANNELS.map((c) => [c, t(`channel.${c}`)]), "email"),
    subject: h("input", { name: "subject", maxlength: 500 }),
    text: h("textarea", { name: "text", rows: 3, maxlength: 5000 }),
    language: options(h("select", { name: "language" }), [["", "—"], ...LANGUAGES.map((l) => [l, t(`rules.lang.${l}`)])], ""),
    rating: options(h("select", { name: "rating" }), [["", t("rules.dry_no_rating")], ...[1, 2, 3, 4, 5].map((n) => [String(n), "★".repeat(n)])], ""),
    alert: h("input", { type: "checkbox", name: "alert" }),
  };
  const unsaved = h("input", { type: "checkbox", name: "unsaved" });
  const result = h("div.dry-result", { id: "dry-run-result", "aria-live": "polite" });
  const byId = labelled(t("rules.dry_request_id"), id);
  const sampleFields = h("div.dry-sample", {},
    labelled(t("rules.dry_hotel"), sample.location_id), labelled(t("rules.dry_channel"), sample.channel),
    labelled(t("rules.dry_subject"), sample.subject), labelled(t("rules.dry_text"), sample.text),
    labelled(t("rules.dry_language"), sample.language), labelled(t("rules.dry_rating"), sample.rating),
    h("label.check", {}, sample.alert, h("span", {}, t("rules.dry_alert"))));
  const showSource = () => {
    byId.hidden = source.value !== "conversation";
    id.required = !byId.hidden;
    sampleFields.hidden = source.value !== "request";
  };
  source.addEventListener("change", showSource);
  showSource();
  const submit = h("button.primary", { type: "submit", name: "dry_run" }, t("rules.dry_submit"));
  const form = h("form.dry-run", {
    id: "dry-run",
    onsubmit: async (submitted) => {
      submitted.preventDefault();
      const body = { event: event.value };
      if (source.value === "conversation") body.conversation_id = id.value.trim();
      else {
        const request = { location_id: sample.location_id.value, channel: sample.channel.value, alert: sample.alert.checked };
        for (const key of ["subject", "text", "language"]) if (sample[key].value.trim()) request[key] = sample[key].value.trim();
        if (sample.rating.value) request.rating = Number(sample.rating.value);
        body.request = request;
      }
      if (unsaved.checked) body.rules = [readRule()];
      submit.disabled = true;
      try {
        clear(result, dryRunResult(await post(`${PATH}/dry-run`, body)));
      } catch (problem) {
        clear(result, h("p.error", { role: "alert" }, t("toast.error", { detail: problem.message })));
      } finally {
        submit.disabled = false;
      }
    },
  }, h("h3", {}, t("rules.dry_run")), h("small.hint", {}, t("rules.dry_hint")),
  labelled(t("rules.dry_source"), source), byId, sampleFields, labelled(t("rules.dry_event"), event),
  h("label.check", {}, unsaved, h("span", {}, t("rules.dry_unsaved"))),
  h("div.dialog-buttons", {}, submit), result);
  return form;
}
