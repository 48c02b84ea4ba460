// A stored run shown in tabs: charts of every observable, the human-cost ledger, the map and
// the provenance; used by the scenario page and the run page.
import { get, api } from "./api.js";
import { t, label, fmt, fmtMonth, loadScenarioLabels } from "./i18n.js";
import { el, observableChart, ledgerChart, markers, toCSV } from "./charts.js";
import { corridorMap } from "./map.js";

export function tabs(panels) {
  const list = el("div", { class: "tabs", role: "tablist" });
  const wrap = el("div", {});
  const buttons = panels.map((p, i) => {
    const panel = el("div", { role: "tabpanel", id: `panel-${p.id}`, "aria-labelledby": `tab-${p.id}`, hidden: i ? "" : null, tabindex: "0" });
    const b = el("button", { type: "button", role: "tab", id: `tab-${p.id}`, "aria-controls": `panel-${p.id}`, "aria-selected": i ? "false" : "true", tabindex: i ? "-1" : "0" }, p.title);
    let drawn = false;
    const show = async () => {
      buttons.forEach((o) => { o.b.setAttribute("aria-selected", "false"); o.b.tabIndex = -1; o.panel.hidden = true; });
      b.setAttribute("aria-selected", "true"); b.tabIndex = 0; panel.hidden = false;
      if (!drawn) { drawn = true; await p.draw(panel); }
    };
    b.addEventListener("click", show);
    b.addEventListener("keydown", (ev) => {
      const k = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
      if (!k) return;
      const next = buttons[(i + k + buttons.length) % buttons.length];
      next.b.focus(); next.b.click();
    });
    list.append(b); wrap.append(panel);
    return { b, panel, show };
  });
  const root = el("div", {}, list, wrap);
  root.ready = buttons[0].show();
  return root;
}

export async function runView(runId) {
  const prov = await get(`/runs/${encodeURIComponent(runId)}`);
  const labels = await loadScenarioLabels(prov.scenario);
  return tabs([
    { id: "charts", title: t("tab.charts"), draw: (p) => drawCharts(p, runId, labels) },
    { id: "ledger", title: t("tab.ledger"), draw: (p) => drawLedger(p, runId, labels) },
    { id: "map", title: t("tab.map"), draw: async (p) => p.append(await corridorMap(await get(`/runs/${encodeURIComponent(runId)}/map`))) },
    { id: "details", title: t("tab.details"), draw: (p) => p.append(provenanceList(prov, labels), downloads(runId)) },
  ]);
}

// A Cancel button beside a job's progress bar: asks the service to stop the jobs (a queued one
// never runs; a running one stops at its next progress report and its run is stored as failed).
export function cancelButton(jobIds, cancelling = false) {
  const b = el("button", { type: "button", class: "cancel", "data-cancel": "" }, t("status.cancel"));
  const asked = () => { b.disabled = true; b.textContent = t("status.cancelling"); };
  if (cancelling) asked();
  b.addEventListener("click", async () => {
    asked();
    await Promise.all(jobIds().map((id) => api(`/jobs/${encodeURIComponent(id)}`, { method: "DELETE" }).catch(() => {})));
  });
  return b;
}

// The scenario's shipped counterfactuals (what-if policies that were not adopted), one checkbox
// each with its description and its events (title, date); a checked box stands for the ids of
// all its events (some only make sense together). `checked`: ids to show checked.
export function counterfactualChoices(events, labels, prefix, checked = [], onChange = () => {}) {
  const groups = new Map();
  for (const e of events.filter((x) => x.origin === "counterfactual")) {
    if (!groups.has(e.counterfactual)) groups.set(e.counterfactual, []);
    groups.get(e.counterfactual).push(e);
  }
  return [...groups.entries()].map(([name, evs]) => {
    const id = `${prefix}-${name.replace(/[^a-z0-9]/gi, "-")}`;
    const cf = label(labels, "counterfactuals", name);
    const box = el("input", { type: "checkbox", id, "data-counterfactual": name, "data-ids": evs.map((e) => e.id).join(" ") });
    box.checked = evs.some((e) => checked.includes(e.id));
    box.addEventListener("change", onChange);
    return el("div", { class: "event counterfactual" }, box, el("div", {},
      el("label", { for: id, title: `${name}: ${evs.map((e) => e.id).join(", ")}` }, cf || evs[0].name, " ", el("span", { class: "tag" }, t("levers.whatif"))),
      el("p", { class: "small muted" }, label(labels, "counterfactuals", name, "description") || evs[0].notes || evs[0].source),
      el("ul", { class: "small" }, evs.map((e) => el("li", { "data-event": e.id }, `${label(labels, "events", e.id) || e.name} (${fmtMonth(e.start)})`)))));
  });
}

// The event ids of the checked counterfactuals under `root`.
export const pickedEvents = (root) => [...root.querySelectorAll("input[data-ids]:checked")].flatMap((b) => b.dataset.ids.split(" "));

export function scaleNote(scale) {
  if (!scale) return el("p", { class: "small muted" }, t("chart.single"));
  const text = [t("chart.preview", { k: fmt(scale.people_per_agent) })];
  const [a, b] = scale.noise || [];
  if (a && b) {  // the extra noise in numbers: ± at 95 % for a count of a.people, of b.people
    text.push(t("chart.noise", { k: fmt(scale.people_per_agent), n1: fmt(a.people), p1: fmt(100 * a.relative, 1),
      n2: fmt(b.people), p2: fmt(100 * b.relative, 1) }));
  }
  const r = scale.reused;
  if (r) {
    text.push(r.day >= r.days
      ? t("chart.reused_all", { days: fmt(r.days) })
      : t("chart.reused", { date: r.date, day: fmt(r.day), days: fmt(r.days - r.day) }));
  }
  const p = el("p", { class: "note", "data-preview": "true" }, text.join(" "));
  if (r) p.dataset.reused = r.date;
  return p;
}

async function drawCharts(panel, runId, labels) {
  const s = await get(`/runs/${encodeURIComponent(runId)}/series`);
  const [first0, last0] = [s.months[0], s.months.at(-1)];
  const marks = markers(s.events.filter((e) => e.start >= first0 && e.start <= last0.slice(0, 8) + "31"), labels);
  panel.append(scaleNote(s.scale));
  const headline = labels.headline?.length ? labels.headline : s.observables.slice(0, 4).map((o) => o.name);
  const first = s.observables.filter((o) => headline.includes(o.name)).sort((a, b) => headline.indexOf(a.name) - headline.indexOf(b.name));
  const rest = s.observables.filter((o) => !headline.includes(o.name));
  panel.append(el("div", { class: "charts" }, first.map((o) => observableChart(o, s.months, marks, labels, s.scale))));
  if (rest.length) {
    const grid = el("div", { class: "charts" });
    const more = el("details", {}, el("summary", {}, `${t("chart.more")} (${rest.length})`), grid);
    more.addEventListener("toggle", () => {
      if (more.open && !grid.childElementCount) grid.append(...rest.map((o) => observableChart(o, s.months, marks, labels, s.scale)));
    });
    panel.append(more);
  }
}

async function drawLedger(panel, runId, labels) {
  const l = await get(`/runs/${encodeURIComponent(runId)}/ledger`);
  panel.append(el("h2", {}, t("ledger.title")), el("p", { class: "muted" }, t("ledger.intro")), scaleNote(l.scale));
  const head = el("tr", {}, el("th", { scope: "col" }, t("ledger.entry")), l.years.map((y) => el("th", { scope: "col" }, String(y))), el("th", { scope: "col" }, t("ledger.total")));
  const body = l.rows.map((r) => el("tr", {},
    el("th", { scope: "row", title: `${r.name}: ${label(labels, "ledger", r.name, "definition") || ""}` }, label(labels, "ledger", r.name) || r.name),
    r.values.map((v) => el("td", {}, r.unit === "share" ? fmt(v, 3) : fmt(v, r.unit === "days" ? 0 : 0))),
    el("td", {}, r.total == null ? "–" : fmt(r.total, 0))));
  const table = el("table", { class: "data", id: "ledger-table" }, el("caption", {}, t("ledger.title")), el("thead", {}, head), el("tbody", {}, body));
  const csv = [["entry", ...l.years, "total"], ...l.rows.map((r) => [r.name, ...r.values, r.total])];
  const dl = el("button", { type: "button", "data-download": "csv", onclick: () => { const a = document.createElement("a"); a.href = URL.createObjectURL(new Blob([toCSV(csv)], { type: "text/csv" })); a.download = "ledger.csv"; a.click(); } }, `${t("download.csv")}: ${t("ledger.title")}`);
  panel.append(el("div", { class: "scroll" }, table), el("p", {}, dl));
  const defs = el("dl", { class: "small" }, l.rows.flatMap((r) => [el("dt", {}, el("strong", {}, label(labels, "ledger", r.name) || r.name), " ", el("code", { class: "muted" }, r.name)), el("dd", {}, label(labels, "ledger", r.name, "definition") || "")]));
  const chosen = ["stranded_person_days", "deportations_without_screening", "externalization_share", "children_apprehended", "mpp_waiting_person_days", "harm_events"];
  panel.append(el("div", { class: "charts" }, l.rows.filter((r) => chosen.includes(r.name)).map((r) => ledgerChart(r, l.years, labels))), defs);
}

export function provenanceList(p, labels) {
  const row = (k, v) => [el("dt", {}, t(k)), el("dd", {}, v)];
  const evName = (id) => label(labels, "events", id) || id;
  const lev = Object.entries(p.levers || {});
  return el("dl", { class: "provenance" },
    row("prov.scenario", p.scenario), row("prov.created", p.created), row("run.title", `${p.run_id} (${t(`run.kind.${p.kind}`)})`),
    row("prov.seed", String(p.seed)), row("prov.days", `${fmt(p.days)} (${p.start} →)`),
    row("prov.levers", lev.length ? lev.map(([k, v]) => `${label(labels, "levers", k) || k} = ${fmt(v)}`).join("; ") : t("prov.none")),
    row("prov.removed", p.events_removed?.length ? p.events_removed.map(evName).join("; ") : t("prov.none")),
    row("prov.added", p.events_added?.length ? p.events_added.map(evName).join("; ") : t("prov.none")),
    row("prov.scale", String(p.people_per_agent)), row("prov.agents", fmt(p.agents)), row("prov.seconds", fmt(p.seconds, 1)),
    row("prov.calibration", p.calibration_file || t("prov.none")), row("prov.hash", p.scenario_hash || ""), row("prov.code", p.code_version));
}

function downloads(runId) {
  const tables = ["monthly", "observed", "ledger", "waiting", "arrivals", "people_vs_events"];
  return el("div", {}, el("h3", {}, t("download.all")),
    el("p", {}, el("a", { href: `/api/runs/${encodeURIComponent(runId)}/report`, target: "_blank", rel: "noopener", "data-report": "" }, t("download.report"))),
    el("ul", {}, tables.map((tb) => el("li", {}, `${tb}: `,
      el("a", { href: `/api/runs/${encodeURIComponent(runId)}/tables/${tb}?format=csv`, download: "" }, t("download.csv")), " · ",
      el("a", { href: `/api/runs/${encodeURIComponent(runId)}/tables/${tb}?format=parquet`, download: "" }, t("download.parquet"))))));
}
