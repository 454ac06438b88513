// The scores per hotel over a period (/api/v1/reports/response-times): a table of the hotels the agent
// sees (a manager their groups', headquarters the chain), narrowed to a group, with sparklines of the
// daily requests and response rate, and the total row. What the figures mean is the API's business
// (reports/): this page only shows them.

import { get } from "./api.js";
import { $, clear, h } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";
import { state, toast } from "./store.js";

const PERIODS = [7, 30, 90];
const SVG = "http://www.w3.org/2000/svg";

export function showEntry() {
  $("#reports").hidden = !state.me;
}

export function install() {
  $("#reports").addEventListener("click", () => open());
}

/** Today's date (YYYY-MM-DD) in a time zone. */
function dayIn(timeZone, now) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** The period's first and last days: requests count by their creation day in their hotel's zone, so the
 * last day is the latest "today" among the agent's hotels (a Paris hotel's day starts before New York's). */
export function periodOf(days, zones, now = new Date()) {
  const end = [...zones].map((zone) => dayIn(zone, now)).sort().pop() || now.toISOString().slice(0, 10);
  const start = new Date(`${end}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - (days - 1));
  return { start: start.toISOString().slice(0, 10), end };
}

function percent(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(currentLanguage(), { style: "percent", maximumFractionDigits: 0 }).format(value);
}

function minutes(value) {
  if (value === null || value === undefined) return "—";
  if (value < 60) return t("reports.minutes", { n: value });
  return t("reports.hours", { h: Math.floor(value / 60), m: String(value % 60).padStart(2, "0") });
}

function average(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(value);
}

/** An inline SVG line of the values (null: no point that day), scaled to `max` (default: their largest). */
export function sparkline(values, { max = null, label = "" } = {}) {
  const width = 100, height = 24;
  const top = max ?? Math.max(1, ...values.filter((v) => v !== null));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const points = [];
  values.forEach((value, i) => {
    if (value === null || value === undefined) return;
    points.push(`${(i * step).toFixed(1)},${(height - 1 - (value / top) * (height - 2)).toFixed(1)}`);
  });
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  if (points.length === 1) {  // a single day with a value: a dot, a line needs two
    const [x, y] = points[0].split(",");
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", x);
    dot.setAttribute("cy", y);
    dot.setAttribute("r", "1.5");
    dot.setAttribute("fill", "currentColor");
    svg.append(dot);
  }
  return svg;
}

function row(scores, name, { total = false } = {}) {
  const daily = scores.daily || [];
  const cells = [
    h(total ? "th" : "td", { scope: "row" }, name),
    h("td.number", { dataset: { figure: "requests" } }, String(scores.requests)),
    h("td.spark", {}, sparkline(daily.map((d) => d.requests), { label: t("reports.requests_daily") })),
    h("td.number", { dataset: { figure: "response_rate" } }, percent(scores.response_rate)),
    h("td.spark", {}, sparkline(daily.map((d) => d.response_rate), { max: 1, label: t("reports.rate_daily") })),
    h("td.number", { dataset: { figure: "median" } }, minutes(scores.first_response_median_minutes)),
    h("td.number", { dataset: { figure: "p90" } }, minutes(scores.first_response_p90_minutes)),
    h("td.number", { dataset: { figure: "within_target" } }, percent(scores.within_target_share)),
    h("td.number", { dataset: { figure: "alerts" } }, `${scores.alerts} · ${percent(scores.alerts_within_target_share)}`),
    h("td.number", { dataset: { figure: "csat" } }, scores.csat_count ? `${average(scores.csat_average)} (${scores.csat_count})` : "—"),
  ];
  return h(total ? "tr.total" : "tr", { dataset: total ? { total: "true" } : { hotel: scores.location_id } }, cells);
}

function table(report) {
  const heads = ["reports.hotel", "reports.requests", "reports.requests_daily", "reports.response_rate", "reports.rate_daily",
    "reports.median", "reports.p90", "reports.within_target", "reports.alerts", "reports.csat"];
  return h("table.reports-table", { id: "reports-table" },
    h("thead", {}, h("tr", {}, heads.map((key) => h("th", { scope: "col" }, t(key))))),
    h("tbody", {}, report.hotels.length
      ? report.hotels.map((hotel) => row(hotel, hotel.name))
      : h("tr", {}, h("td", { colspan: heads.length }, t("reports.none")))),
    h("tfoot", {}, row(report.total, t("reports.total"), { total: true })));
}

export async function open() {
  const modal = $("#modal");
  const result = h("div.reports-result", { id: "reports-result" });
  const period = h("select", { name: "period" },
    PERIODS.map((days) => h("option", { value: days, selected: days === 30 }, t("reports.last_days", { n: days }))));
  const group = h("select", { name: "group_id" },
    h("option", { value: "" }, t("reports.all_hotels")),
    (state.groups || []).map((g) => h("option", { value: g.id }, g.name || g.id)));
  let asked = 0;  // the latest choice's answer shows, whichever answer comes last
  const refresh = async () => {
    const mine = ++asked;
    const zones = new Set([...state.locations.values()].map((hotel) => hotel.timezone || "Europe/Paris"));
    const { start, end } = periodOf(Number(period.value), zones);
    const params = new URLSearchParams({ start, end });
    if (group.value) params.set("group_id", group.value);
    try {
      const report = await get(`/api/v1/reports/response-times?${params}`);
      if (mine !== asked) return;
      clear(result, h("p.reports-period", {}, t("reports.period", { start: report.start, end: report.end })), table(report));
    } catch (error) {
      toast(t("toast.error", { detail: error.message }), { error: true });
    }
  };
  period.addEventListener("change", refresh);
  group.addEventListener("change", refresh);
  const page = h("section.dialog-form.reports", { "aria-labelledby": "reports-title" },
    h("h2", { id: "reports-title" }, t("reports.title")),
    h("div.reports-controls", {},
      h("label.field", {}, h("span", {}, t("reports.period_label")), period),
      h("label.field", {}, h("span", {}, t("reports.group")), group)),
    h("p.hint", {}, t("reports.hint")),
    result,
    h("div.dialog-buttons", {}, h("button", { type: "button", onclick: () => modal.close() }, t("common.close"))));
  clear(modal, page);
  modal.showModal();
  await refresh();
}
