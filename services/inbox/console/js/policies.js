// Response-time policies (/api/v1/sla/policies): managers see and edit their groups' policies, admins every one
// and the chain-wide ones. A policy sets new requests of its channels a first-response and a resolution target
// in business minutes (the hotel's business hours) and runs its escalation steps around their due times;
// which policy a request takes, and when a step runs, is the API's business (sla/).

import { del, get, patch, post } from "./api.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { groupName, isManager, state, toast } from "./store.js";

const PATH = "/api/v1/sla/policies";
const CHANNELS = ["email", "form", "chat", "review", "phone"];
const TARGETS = ["first_response", "resolution"];
const ACTIONS = ["notify_assignee", "notify_managers", "to_group"];
const MAX_STEPS = 10;

export function showEntry() {
  $("#sla-policies").hidden = !isManager();
}

export function install() {
  $("#sla-policies").addEventListener("click", () => open());
}

/** 240 -> "4 h", 90 -> "90 min": business time as a manager reads it. */
function duration(minutes) {
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

function describe(policy) {
  const parts = [policy.group_id ? groupName(policy.group_id) : t("policy.chain_wide")];
  parts.push(policy.channels.length ? policy.channels.map((channel) => t(`channel.${channel}`)).join(", ") : t("policy.all_channels"));
  if (policy.alerts_only) parts.push(t("policy.alerts"));
  if (policy.first_response_minutes) parts.push(t("policy.first_response_in", { time: duration(policy.first_response_minutes) }));
  if (policy.resolution_minutes) parts.push(t("policy.resolution_in", { time: duration(policy.resolution_minutes) }));
  if (policy.escalation.length) parts.push(t("policy.steps", { count: policy.escalation.length }));
  return parts.join(" · ");
}

const options = (select, pairs, value) => {
  clear(select, pairs.map(([key, label]) => h("option", { value: key }, label)));
  select.value = value;
  return select;
};

/** One escalation step as a row: which target, when (minutes from its due time), what, and to which care group. */
function stepRow(step, careGroups) {
  const target = options(h("select", { name: "step_target", "aria-label": t("policy.step_target") }),
    TARGETS.map((key) => [key, t(`policy.target_${key}`)]), step.target);
  const at = h("input", { type: "number", name: "step_at_minutes", min: -525600, max: 525600, step: 1, required: true,
    value: step.at_minutes, "aria-label": t("policy.step_at") });
  const action = options(h("select", { name: "step_action", "aria-label": t("policy.step_action") }),
    ACTIONS.map((key) => [key, t(`policy.action_${key}`)]), step.action);
  const groups = careGroups.map((group) => [group.id, group.name || group.id]);
  if (step.group_id && !groups.some(([id]) => id === step.group_id)) groups.push([step.group_id, step.group_id]);
  const group = options(h("select", { name: "step_group", "aria-label": t("policy.step_group") }),
    [["", t("policy.step_group_none")], ...groups], step.group_id || "");
  const showGroup = () => { group.hidden = action.value !== "to_group"; };
  action.addEventListener("change", showGroup);
  showGroup();
  const row = h("li.policy-step", {}, target, at, h("span", {}, t("policy.step_minutes")), action, group,
    h("button.small", { type: "button", name: "remove_step", onclick: () => row.remove() }, t("policy.remove_step")));
  return row;
}

function readStep(row) {
  const action = row.querySelector("[name=step_action]").value;
  return {
    target: row.querySelector("[name=step_target]").value,
    at_minutes: Number(row.querySelector("[name=step_at_minutes]").value),
    action,
    group_id: action === "to_group" ? row.querySelector("[name=step_group]").value || null : null,
  };
}

export async function open() {
  if (!isManager()) return;
  const modal = $("#modal");
  const admin = state.me.role === "admin";
  const groups = state.groups || [];
  const careGroups = groups.filter((group) => group.kind === "care");
  const list = h("ul.policy-list", { id: "policy-list" });
  const error = h("p.error", { id: "policy-error", role: "alert", hidden: true });
  const number = (name, attributes = {}) => h("input", { type: "number", name, step: 1, ...attributes });
  const fields = {
    name: h("input", { name: "name", required: true, maxlength: 200 }),
    group_id: options(h("select", { name: "group_id" }), [
      ...(admin ? [["", t("policy.chain_wide")]] : []),
      ...groups.map((group) => [group.id, group.name || group.id])], admin ? "" : (groups[0] || {}).id || ""),
    alerts_only: h("input", { type: "checkbox", name: "alerts_only" }),
    first_response_minutes: number("first_response_minutes", { min: 1, max: 525600 }),
    resolution_minutes: number("resolution_minutes", { min: 1, max: 525600 }),
    pause_on_hold: h("input", { type: "checkbox", name: "pause_on_hold", checked: true }),
    position: number("position", { value: 0, min: -1000000, max: 1000000 }),
  };
  const channels = Object.fromEntries(CHANNELS.map((channel) => [channel, h("input", { type: "checkbox", name: `channel_${channel}` })]));
  const steps = h("ul.policy-steps");
  const title = h("h3", {}, t("policy.new"));
  const submit = h("button.primary", { type: "submit" }, t("policy.create"));
  let editing = null;  // the policy being edited, else a new one

  const field = (key, name, hint) => h("label.field", { dataset: { field: name } }, h("span", {}, t(key)), fields[name],
    hint ? h("small.hint", {}, hint) : null);
  const check = (key, input) => h("label.check", {}, input, h("span", {}, t(key)));
  const addStep = (step = { target: "first_response", at_minutes: 0, action: "notify_managers", group_id: null }) => {
    if (steps.children.length < MAX_STEPS) steps.append(stepRow(step, careGroups));
  };

  const edit = (policy) => {
    editing = policy;
    title.textContent = policy ? t("policy.editing", { name: policy.name }) : t("policy.new");
    submit.textContent = policy ? t("policy.save") : t("policy.create");
    const shown = policy || { name: "", group_id: admin ? null : (groups[0] || {}).id || null, channels: [], alerts_only: false,
      first_response_minutes: null, resolution_minutes: null, pause_on_hold: true, position: 0, escalation: [] };
    fields.name.value = shown.name;
    if (shown.group_id && ![...fields.group_id.options].some((option) => option.value === shown.group_id)) {
      fields.group_id.append(h("option", { value: shown.group_id }, groupName(shown.group_id)));
    }
    fields.group_id.value = shown.group_id || "";
    fields.alerts_only.checked = shown.alerts_only;
    fields.first_response_minutes.value = shown.first_response_minutes ?? "";
    fields.resolution_minutes.value = shown.resolution_minutes ?? "";
    fields.pause_on_hold.checked = shown.pause_on_hold;
    fields.position.value = shown.position;
    for (const channel of CHANNELS) channels[channel].checked = shown.channels.includes(channel);
    steps.replaceChildren();
    for (const step of shown.escalation) addStep(step);
    error.hidden = true;
  };

  const mayChange = (policy) => admin || groups.some((group) => group.id === policy.group_id);
  const remove = async (policy) => {
    try {
      await del(`${PATH}/${encodeURIComponent(policy.id)}`);
      if (editing && editing.id === policy.id) edit(null);
      toast(t("policy.deleted", { name: policy.name }));
      await refresh();
    } catch (problem) { toast(t("toast.error", { detail: problem.message }), { error: true }); }
  };
  // A manager reads the chain-wide policies that apply to their hotels too; only admins change those.
  const row = (policy) => h("li", { dataset: { policy: policy.id } }, h("strong", {}, policy.name), h("span", {}, describe(policy)),
    mayChange(policy) ? [
      h("button.small", { type: "button", name: "edit_policy", onclick: () => edit(policy) }, t("policy.edit")),
      h("button.small", { type: "button", name: "delete_policy", onclick: () => remove(policy) }, t("policy.delete")),
    ] : null);
  const refresh = async () => {
    const policies = await get(PATH);
    clear(list, policies.length ? policies.map(row) : h("li", {}, t("policy.none")));
  };

  const minutes = (input) => (input.value === "" ? null : Number(input.value));
  const form = h("form.dialog-form.policy-form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const body = {
        name: fields.name.value.trim(),
        group_id: fields.group_id.value || null,
        channels: CHANNELS.filter((channel) => channels[channel].checked),
        alerts_only: fields.alerts_only.checked,
        first_response_minutes: minutes(fields.first_response_minutes),
        resolution_minutes: minutes(fields.resolution_minutes),
        pause_on_hold: fields.pause_on_hold.checked,
        position: Number(fields.position.value || 0),
        escalation: [...steps.querySelectorAll("li.policy-step")].map(readStep),
      };
      submit.disabled = true;
      try {
        const saved = editing ? await patch(`${PATH}/${encodeURIComponent(editing.id)}`, body) : await post(PATH, body);
        toast(t("policy.saved", { name: saved.name }));
        edit(null);
        await refresh();
      } catch (problem) {
        error.textContent = t("toast.error", { detail: problem.message });  // the API's words, in the console's language
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    },
  }, h("h2", {}, t("policy.title")), h("small.hint", {}, t("policy.hint")), list, title,
  field("policy.name", "name"), field("policy.group", "group_id"),
  h("div.field", { dataset: { field: "channels" } }, h("span", {}, t("policy.channels")),
    h("div.policy-channels", {}, CHANNELS.map((channel) => check(`channel.${channel}`, channels[channel])))),
  check("policy.alerts_only", fields.alerts_only),
  field("policy.first_response", "first_response_minutes"), field("policy.resolution", "resolution_minutes"),
  check("policy.pause_on_hold", fields.pause_on_hold),
  field("policy.position", "position", t("policy.position_hint")),
  h("div.field", { dataset: { field: "escalation" } }, h("span", {}, t("policy.escalation")),
    h("small.hint", {}, t("policy.escalation_hint")), steps,
    h("button.small", { type: "button", name: "add_step", onclick: () => addStep() }, t("policy.add_step"))),
  error,
  h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.close")),
    h("button", { type: "button", name: "new_policy", onclick: () => edit(null) }, t("policy.new")), submit));
  edit(null);
  clear(modal, form);
  modal.showModal();
  try { await refresh(); } catch (problem) { toast(t("toast.error", { detail: problem.message }), { error: true }); }
}
