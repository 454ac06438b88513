"""The rules page's pure parts (services/inbox/console/js/rules.js and merge.js), run by Node on the console's
own modules: the rules listed by scope in the documented order (chain first, then each group's, by position,
name, id), an action a rule took as the timeline says it in French and English, and the requests offered to
merge (the same guest's first, never the request itself nor one of another hotel)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "services" / "inbox" / "console" / "js"

RUN = """
globalThis.document = { documentElement: {}, cookie: "", querySelectorAll: () => [] };
const i18n = await import(%(i18n)s);
const store = await import(%(store)s);
const rules = await import(%(rules)s);
const merge = await import(%(merge)s);
store.state.groups = [{ id: "g-riviera", name: "Riviera" }, { id: "g-paris", name: "Paris" }];
store.state.agents = [{ id: "a1", name: "Nora Manager" }];
const rule = (id, name, group_id, position) => ({ id, name, group_id, position });
const listed = rules.byScope([
  rule("r5", "Zeta", "g-riviera", 0), rule("r4", "Alpha", "g-paris", 2), rule("r3", "Beta", null, 1),
  rule("r2", "Alpha", null, 1), rule("r1", "Alpha", null, 1), rule("r6", "Gamma", "g-paris", 0),
]).map((scope) => [scope.group_id, scope.rules.map((r) => r.id)]);
const ordered = [rule("b", "B", "g-paris", 0), rule("a", "A", null, 9)].sort(rules.compareRules).map((r) => r.id);
const seen = { listed, ordered };
for (const lang of ["fr", "en"]) {
  i18n.setLanguage(lang);
  seen[lang] = [
    { type: "set_priority", priority: "high" }, { type: "add_labels", labels: ["vip", "late"] },
    { type: "assign_agent", agent_id: "a1" }, { type: "hold", hours: 1 }, { type: "notify_email", to: "managers" },
    { type: "mark_spam" },
  ].map(rules.ruleActionText);
}
const open = { id: "c1", location_id: "h1", contact_id: "k1", guest: { email: "Anna@example.com" } };
const item = (id, hour, extra) => ({
  id, location_id: "h1", last_activity_at: `2026-12-04T0${hour}:00:00Z`, guest: {}, ...extra,
});
seen.candidates = merge.mergeCandidates(open, [
  item("c1", 9), item("newer-other", 8, { guest: { email: "bob@example.com" } }),
  item("old-same", 1, { guest: { email: "anna@example.com" } }), item("contact", 5, { contact_id: "k1" }),
  item("elsewhere", 7, { location_id: "h2", contact_id: "k1" }),
  item("gone", 6, { contact_id: "k1", status: "merged" }),
  item("old-same", 1),
]).map(({ item, same }) => [item.id, same]);
console.log(JSON.stringify(seen));
process.exit(0);  // inbox.js (imported by merge.js) keeps a timer running
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_rules_order_actions_and_merge_candidates() -> None:
    modules = {name: json.dumps((SCRIPTS / f"{name}.js").as_uri()) for name in ("i18n", "store", "rules", "merge")}
    node = shutil.which("node")
    assert node
    done = subprocess.run(
        [node, "--input-type=module", "-e", RUN % modules], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    assert seen["listed"] == [[None, ["r1", "r2", "r3"]], ["g-paris", ["r6", "r4"]], ["g-riviera", ["r5"]]]
    assert seen["ordered"] == ["a", "b"]  # a chain rule before a group rule, whatever its position
    assert seen["fr"] == [
        "Fixer la priorité : Haute",
        "Ajouter des étiquettes : vip, late",
        "Assigner à un agent : Nora Manager",
        "Mettre en attente : 1 heure",
        "Prévenir par e-mail : Les responsables",
        "Marquer comme spam",
    ]
    assert seen["en"][0] == "Set the priority: High"
    assert seen["en"][3] == "Put on hold: 1 hour"
    # The same guest first (by contact, or by address whatever its case), then the most recent.
    assert seen["candidates"] == [["contact", True], ["old-same", True], ["newer-other", False]]
