"""The console's due labels and escalation texts (services/inbox/console/js/due.js), in French and English,
run by Node on the console's own modules with a few lines standing in for the DOM: the states a browser test
cannot reach without waiting (overdue, paused, escalated) are checked here."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "services" / "inbox" / "console" / "js"

RENDER = """
class Node {
  constructor(tag) { this.tag = tag; this.children = []; this.dataset = {}; this.attributes = {}; }
  setAttribute(name, value) { this.attributes[name] = value; }
  addEventListener() {}
  append(...nodes) { this.children.push(...nodes); }
  get textContent() { return this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join(""); }
}
globalThis.Node = Node;
globalThis.document = {
  documentElement: {},
  createElement: (tag) => new Node(tag),
  createTextNode: (text) => { const node = new Node("#text"); node.children.push(text); return node; },
};
const i18n = await import(%(i18n)s);
const store = await import(%(store)s);
const due = await import(%(due)s);
store.state.groups = [{ id: "care", name: "Central care" }];
store.state.agents = [{ id: "a1", name: "Nora Manager" }];
const now = Date.parse("2026-12-04T10:00:00Z");
const at = (minutes) => new Date(now + minutes * 60000).toISOString();
const badge = (item) => {
  const made = due.dueBadge(item, now);
  return made ? [made.dataset.due, made.textContent] : null;
};
const target = (state, minutes, extra = {}) => ({ minutes: 60, state, due_at: at(minutes), ...extra });
const escalation = {
  step: 1, action: "to_group", target: "first_response", reason: "missed", at: at(0), group_id: "care",
};
const seen = {};
for (const lang of ["fr", "en"]) {
  i18n.setLanguage(lang);
  seen[lang] = {
    running: badge({ status: "open", sla: { first_response: target("running", 35) }, sla_due_at: at(35) }),
    earliest: badge({ status: "open",
      sla: { first_response: target("running", 300), resolution: target("running", 90) } }),
    overdue: badge({ status: "open",
      sla: { first_response: target("missed", -120), resolution: target("running", 600) } }),
    answered_late: badge({ status: "open", sla: { first_response: target("missed", -120, { met_at: at(-5) }) } }),
    paused: badge({ status: "on_hold", sla: { first_response: { minutes: 60, state: "paused", due_at: null } } }),
    met: badge({ status: "open", sla: { first_response: target("met", 20) } }),
    closed: badge({ status: "closed", sla: { resolution: target("running", -30) }, sla_due_at: at(-30) }),
    none: badge({ status: "open" }),
    escalated: due.escalationText(escalation),
    nearly: due.escalationText({
      ...escalation, reason: "nearly_missed", action: "notify_managers", target: "resolution",
    }),
    entry: due.slaEntryText({ kind: "escalation", ...escalation, action: "notify_assignee", notified: ["a1"] }),
    missed: due.slaEntryText({ kind: "sla", target: "first_response", state: "missed" }),
    rating: due.slaEntryText({ kind: "rating", rating: 4 }),
    days: due.duration(3 * 24 * 3600 * 1000),
  };
}
console.log(JSON.stringify(seen));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_due_labels_and_escalations_read_in_both_languages() -> None:
    modules = {name: json.dumps((SCRIPTS / f"{name}.js").as_uri()) for name in ("i18n", "store", "due")}
    node = shutil.which("node")
    assert node
    done = subprocess.run(
        [node, "--input-type=module", "-e", RENDER % modules], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    assert seen["fr"] == {
        "running": ["running", "dû dans 35 min"],
        "earliest": ["running", "dû dans 2 h"],
        "overdue": ["overdue", "⏰ en retard de 2 h"],
        "answered_late": None,
        "paused": ["paused", "en pause"],
        "met": None,
        "closed": None,
        "none": None,
        "escalated": "Escaladée : délai de première réponse dépassé, confiée à Central care",
        "nearly": "Escaladée : délai de résolution bientôt dépassé, responsables prévenus",
        "entry": "Escaladée : délai de première réponse dépassé, agent assigné prévenu — prévenus : Nora Manager",
        "missed": "Délai dépassé : Première réponse",
        "rating": "Note du client : 4/5",
        "days": "3 j",
    }
    assert seen["en"]["running"] == ["running", "due in 35 min"]
    assert seen["en"]["overdue"] == ["overdue", "⏰ overdue by 2 h"]
    assert seen["en"]["paused"] == ["paused", "paused"]
    assert seen["en"]["escalated"] == "Escalated: first response overdue, handed to Central care"
    assert seen["en"]["rating"] == "Guest's rating: 4/5"
