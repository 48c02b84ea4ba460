// Results with bands: ensembles (and their paired counterfactual), forecasts (ex ante or
// conditional on a policy path, said on every output) and the built-in studies.
import { api, get, follow, ApiError } from "./api.js";
import { t, tr, label, fmt, fmtMonth, getLang, loadScenarioLabels } from "./i18n.js";
import { el, observableChart, bandChart, compareChart, markers, unitLabel, figure, tick } from "./charts.js";
import { provenanceList, tabs, cancelButton, counterfactualChoices, pickedEvents } from "./views.js";

const enc = encodeURIComponent;

// ------------------------------------------------------------------------------ shared
function field(id, text, input) {
  return el("div", { class: "lever" }, el("label", { for: id }, text), input);
}

function numberInput(id, value, min, max) {
  return el("input", { type: "number", id, value, min, max: max ?? null, step: 1 });
}

// Submit a job, show its progress, then open the result.
async function submitAndFollow(path, body, status, open) {
  status.replaceChildren(el("span", { class: "state" }, t("status.queued")));
  status.dataset.state = "queued";
  let job;
  try {
    job = await api(path, { json: body });
  } catch (e) {
    status.replaceChildren(el("span", { class: "error", role: "alert" }, e instanceof ApiError && e.status === 429 ? t("status.busy") : `${t("status.failed")}: ${e.message}`));
    status.dataset.state = "failed";
    return;
  }
  if (job.state !== "done") {
    job = await follow(job.id, (j) => {
      const parts = [el("span", { class: "state" }, t(j.state === "queued" ? "status.queued" : "status.running"))];
      if (j.total > 0) parts.push(el("progress", { max: j.total, value: j.done, "aria-label": t("status.running") }), el("span", { class: "small" }, `${fmt(j.done, 1)} / ${fmt(j.total)} ${j.what === "days" ? t("status.days") : t("status.runs")}`));
      if (["queued", "running"].includes(j.state)) parts.push(cancelButton(() => [j.id], j.cancelling));
      status.replaceChildren(...parts);
      status.dataset.state = j.state;
    });
  }
  if (job.state === "done") {
    status.dataset.state = "done";
    open(job.run_id);
  } else if (job.state === "cancelled") {
    status.replaceChildren(el("span", { class: "state" }, t("status.cancelled")));
    status.dataset.state = "cancelled";
  } else {
    status.replaceChildren(el("span", { class: "error", role: "alert" }, `${t("status.failed")}: ${job.error || job.state}`));
    status.dataset.state = "failed";
  }
}

// The notes of a result, as the model wrote them (in English: marked so for the reader).
const notes = (ns) => ns.map((n) => el("p", { class: "small muted", lang: "en" }, n));

function reportLink(runId) {
  return el("p", {}, el("a", { href: `/api/runs/${enc(runId)}/report`, target: "_blank", rel: "noopener", "data-report": "" }, t("download.report")));
}

function storedList(runs, href) {
  if (!runs.length) return el("p", { class: "muted" }, t("home.none"));
  return el("ul", { class: "stored" }, [...runs].reverse().slice(0, 20).map((r) => el("li", {},
    el("a", { href: href(r.run_id) }, r.run_id), ` · ${r.created.replace("T", " ").replace("Z", "")} · ${fmt(r.replicas)} ${t("ensemble.replicas").toLowerCase()}`,
    r.command ? el("code", { class: "small muted" }, ` ${r.command}`) : null)));
}

function bandsCharts(panel, v, labels, opts) {
  const marks = markers(v.events.filter((e) => e.start >= v.months[0] && e.start <= v.months.at(-1).slice(0, 8) + "31"), labels);
  const headline = labels.headline?.length ? labels.headline : v.observables.slice(0, 4).map((o) => o.name);
  const first = v.observables.filter((o) => headline.includes(o.name)).sort((a, b) => headline.indexOf(a.name) - headline.indexOf(b.name));
  const rest = v.observables.filter((o) => !headline.includes(o.name));
  const draw = (o) => observableChart(o, v.months, marks, labels, null, opts);
  panel.append(el("div", { class: "charts" }, first.map(draw)));
  if (rest.length) {
    const grid = el("div", { class: "charts" });
    const more = el("details", {}, el("summary", {}, `${t("chart.more")} (${rest.length})`), grid);
    more.addEventListener("toggle", () => { if (more.open && !grid.childElementCount) grid.append(...rest.map(draw)); });
    panel.append(more);
  }
}

function ledgerBands(panel, v, labels, tag) {
  const rows = v.ledger.rows.map((r) => el("tr", {},
    el("th", { scope: "row", title: `${r.name}: ${label(labels, "ledger", r.name, "definition") || ""}` }, label(labels, "ledger", r.name) || r.name),
    v.ledger.years.map((y, i) => el("td", {}, r.median[i] == null ? "–" : `${fmt(r.median[i], r.name.endsWith("share") ? 3 : 0)} [${fmt(r.lo[i], r.name.endsWith("share") ? 3 : 0)}–${fmt(r.hi[i], r.name.endsWith("share") ? 3 : 0)}]`))));
  panel.append(el("h2", {}, t("ledger.title")), el("p", { class: "muted" }, t("ensemble.ledger_note")),
    tag ? el("p", { class: "tag assumption", "data-assumption": "true" }, tag) : null,
    el("div", { class: "scroll" }, el("table", { class: "data", id: "ledger-bands" }, el("caption", {}, `${t("ledger.title")} — ${t("chart.median")} [${t("chart.band90")}]`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("ledger.entry")), v.ledger.years.map((y) => el("th", { scope: "col" }, String(y))))),
      el("tbody", {}, rows))));
}

function summaryLine(v) {
  return el("p", { class: "muted" }, `${v.provenance.scenario} · ${fmt(v.runs)} ${t("ensemble.runs").toLowerCase()} (${v.sets.length} ${t("ensemble.sets").toLowerCase()} × ${v.seeds.length} ${t("ensemble.replicas").toLowerCase()}) · ${v.provenance.created}`);
}

// ------------------------------------------------------------------------------ ensembles
export async function ensemblePage(main, runId, params = new URLSearchParams()) {
  if (runId) return ensembleResult(main, runId);
  // "as an ensemble": the levers and events of a stored run, with bands
  const from = params.get("from") ? await get(`/runs/${enc(params.get("from"))}`) : null;
  const scenarios = (await get("/scenarios")).filter((s) => s.kind === "corridor");
  const name = from?.scenario || scenarios[0]?.name;
  const [detail, events, labels, stored] = await Promise.all([get(`/scenarios/${enc(name)}`), get(`/scenarios/${enc(name)}/events`), loadScenarioLabels(name), get("/runs?kind=ensemble")]);
  const cfIds = new Set(events.filter((e) => e.origin === "counterfactual").map((e) => e.id));
  const inputs = from ? {
    levers: from.levers || {}, without_events: from.events_removed || [],
    with_events: (from.events_added || []).filter((id) => cfIds.has(id)),
  } : {};
  const fromNote = from ? el("p", { class: "note", "data-from": from.run_id }, t("ensemble.from_note", { run: from.run_id }), " ",
    el("code", { class: "small" }, [...Object.entries(inputs.levers).map(([k, v]) => `${k}=${fmt(v)}`), ...inputs.without_events.map((e) => `−${e}`), ...inputs.with_events.map((e) => `+${e}`)].join(" ") || "–")) : null;
  const replicas = numberInput("ens-replicas", 4, 1, 64);
  const sets = el("select", { id: "ens-sets" }, ["point", "calibrated", "uncalibrated"].map((s) => el("option", { value: s }, t(`ensemble.sets.${s}`))));
  const maxSets = numberInput("ens-max-sets", Math.min(4, detail.calibrated_sets), 1, 64);
  const days = numberInput("ens-days", from?.days || detail.days, 1, detail.days);
  const seed = numberInput("ens-seed", from?.seed ?? 0, 0);
  const status = el("div", { class: "status", role: "status" });
  const cf = el("fieldset", {}, el("legend", {}, t("ensemble.counterfactual")), el("p", { class: "small muted" }, t("ensemble.counterfactual_help")), counterfactualChoices(events, labels, "cf"));
  const form = el("form", { "aria-label": t("ensemble.title"), onsubmit: (ev) => {
    ev.preventDefault();
    const body = { scenario: name, ...inputs, replicas: +replicas.value || 1, sets: sets.value, seed: +seed.value || 0, counterfactual: pickedEvents(cf) };
    if (sets.value === "calibrated") body.max_sets = +maxSets.value || 1;
    if (+days.value && +days.value !== detail.days) body.days = +days.value;
    submitAndFollow("/ensembles", body, status, (id) => { location.hash = `#/ensemble/${enc(id)}`; });
  } },
  el("fieldset", {}, el("legend", {}, t("ensemble.settings")),
    field("ens-replicas", t("ensemble.replicas"), replicas), field("ens-sets", t("ensemble.sets"), sets),
    field("ens-max-sets", `${t("ensemble.max_sets")} (≤ ${detail.calibrated_sets})`, maxSets),
    field("ens-days", t("levers.days"), days), field("ens-seed", t("levers.seed"), seed)),
  cf, el("p", {}, el("button", { type: "submit", class: "primary" }, t("ensemble.run"))));
  main.replaceChildren(el("h1", {}, t("ensemble.title")), el("p", { class: "muted" }, t("ensemble.intro")),
    el("p", { class: "small" }, `${t("prov.scenario")}: ${name}`), fromNote, form, status,
    el("h2", {}, t("ensemble.stored")), storedList(stored, (id) => `#/ensemble/${enc(id)}`));
}

async function ensembleResult(main, runId) {
  const v = await get(`/ensembles/${enc(runId)}`);
  const labels = await loadScenarioLabels(v.provenance.scenario);
  const opts = { bandLabel: t("chart.band90") };
  const panels = [
    { id: "ens-charts", title: t("tab.charts"), draw: (p) => { p.append(el("p", { class: "note", "data-band": "90" }, t("ensemble.band_note"))); bandsCharts(p, v, labels, opts); } },
    { id: "ens-ledger", title: t("tab.ledger"), draw: (p) => ledgerBands(p, v, labels) },
  ];
  const child = v.children.find((c) => c.label === "counterfactual");
  if (child) {
    panels.push({ id: "ens-paired", title: t("ensemble.paired"), draw: async (p) => {
      const c = await get(`/paired?a=${enc(runId)}&b=${enc(child.run_id)}`);
      p.append(el("p", { class: "note" }, c.paired ? t("ensemble.paired_note") : t("compare.unpaired")), ...c.notes.map((n) => el("p", { class: "small muted" }, n)));
      const names = [t("ensemble.history"), t("ensemble.counterfactual")];
      const headline = labels.headline?.length ? labels.headline : c.observables.slice(0, 4).map((o) => o.name);
      p.append(el("div", { class: "charts" }, c.observables.filter((o) => headline.includes(o.name)).map((o) => compareChart({ ...o, unit: v.observables.find((x) => x.name === o.name)?.unit || "events" }, c.months, labels, names))));
    } });
  }
  panels.push({ id: "ens-details", title: t("tab.details"), draw: (p) => p.append(provenanceList(v.provenance, labels), reportLink(runId), ...notes(v.notes)) });
  main.replaceChildren(el("h1", {}, `${t("ensemble.one")} ${runId}`), summaryLine(v), tabs(panels));
  main.dataset.run = runId;
}

// ------------------------------------------------------------------------------ forecasts
export async function forecastPage(main, runId) {
  if (runId) return forecastResult(main, runId);
  const scenarios = (await get("/scenarios")).filter((s) => s.kind === "corridor");
  const name = scenarios[0]?.name;
  const [detail, stored, labels] = await Promise.all([get(`/scenarios/${enc(name)}`), get("/runs?kind=forecast"), loadScenarioLabels(name)]);
  const horizon = detail.calibration_horizon || detail.end;
  const next = new Date(horizon + "T00:00:00Z"); next.setUTCMonth(next.getUTCMonth() + 12);
  const until = el("input", { type: "month", id: "fc-until", value: next.toISOString().slice(0, 7), min: horizon.slice(0, 7) });
  const replicas = numberInput("fc-replicas", 1, 1, 64);
  const maxSets = numberInput("fc-max-sets", Math.min(4, detail.calibrated_sets), 1, 64);
  const seed = numberInput("fc-seed", 0, 0);
  const path = el("select", { id: "fc-path" }, el("option", { value: "" }, t("forecast.exante")), detail.policy_paths.map((p) => el("option", { value: p }, `${t("forecast.conditional")}: ${label(labels, "policy_paths", p) || p}`)));
  const status = el("div", { class: "status", role: "status" });
  const form = el("form", { "aria-label": t("forecast.title"), onsubmit: (ev) => {
    ev.preventDefault();
    const body = { scenario: name, until: until.value, replicas: +replicas.value || 1, max_sets: +maxSets.value || 1, seed: +seed.value || 0 };
    if (path.value) body.policy_path = path.value;
    submitAndFollow("/forecasts", body, status, (id) => { location.hash = `#/forecast/${enc(id)}`; });
  } },
  el("fieldset", {}, el("legend", {}, t("forecast.settings")),
    field("fc-until", t("forecast.until"), until), field("fc-path", t("forecast.policy"), path),
    field("fc-replicas", t("ensemble.replicas"), replicas), field("fc-max-sets", `${t("ensemble.max_sets")} (≤ ${detail.calibrated_sets})`, maxSets),
    field("fc-seed", t("levers.seed"), seed)),
  el("p", { class: "small muted" }, t("forecast.help", { horizon: fmtMonth(horizon) })),
  el("p", {}, el("button", { type: "submit", class: "primary" }, t("forecast.run"))));
  main.replaceChildren(el("h1", {}, t("forecast.title")), el("p", { class: "muted" }, t("forecast.intro")),
    el("p", { class: "small" }, `${t("prov.scenario")}: ${name}`), form, status,
    el("h2", {}, t("forecast.stored")), storedList(stored, (id) => `#/forecast/${enc(id)}`));
}

// What a forecast assumes about policy, in the page's language (every chart and table says it).
function forecastTag(f, labels) {
  if (!f.conditional) return t("forecast.exante_long");
  const path = label(labels, "policy_paths", f.policy_path) || f.policy_path || "–";
  const added = f.added.length ? ` + ${t("forecast.added")}: ${f.added.map((id) => label(labels, "events", id) || id).join(", ")}` : "";
  return `${t("forecast.conditional")}: ${path}${added}`;
}

async function forecastResult(main, runId) {
  const v = await get(`/forecasts/${enc(runId)}`);
  const labels = await loadScenarioLabels(v.provenance.scenario);
  const f = v.forecast;
  const tag = forecastTag(f, labels);
  // the stored label (as its files say it, in English) under the tag, on the English page
  const banner = el("p", { class: `note forecast ${f.conditional ? "conditional" : "exante"}`, "data-forecast": f.conditional ? "conditional" : "exante", title: f.label },
    el("strong", {}, tag), getLang() === "en" ? [el("br", {}), el("span", { class: "small" }, f.label)] : null);
  const panels = [
    { id: "fc-encounters", title: t("forecast.encounters"), draw: (p) => {
      p.append(el("p", { class: "muted" }, t("forecast.encounters_note", { horizon: fmtMonth(f.horizon) })));
      p.append(el("div", { class: "charts" }, f.encounters.map((s) => bandChart({
        title: [s.component, s.citizenship, s.demographic].filter((x) => x && x !== "all" && x !== "nan").map((x) => label(labels, "forecast", x) || x).join(" · ") || t("forecast.encounters"),
        code: `forecast-${s.component}-${s.citizenship}-${s.demographic}`, dates: s.dates, median: s.p50, lo: s.p05, hi: s.p95,
        ylabel: unitLabel("events", "month"), tag }))));
    } },
    { id: "fc-charts", title: t("tab.charts"), draw: (p) => bandsCharts(p, v, labels, { bandLabel: t("chart.band90"), tag, horizon: f.horizon }) },
    { id: "fc-ledger", title: t("tab.ledger"), draw: (p) => ledgerBands(p, v, labels, tag) },
    { id: "fc-details", title: t("tab.details"), draw: (p) => p.append(provenanceList(v.provenance, labels), reportLink(runId),
      el("h3", {}, t("forecast.events")), el("ul", {}, f.events.map((e) => el("li", { title: e.id }, `${label(labels, "events", e.id) || e.name} (${fmtMonth(e.start)})`))),
      ...notes(v.notes)) },
  ];
  main.replaceChildren(el("h1", {}, `${t("forecast.one")} ${runId}`), banner, summaryLine(v), tabs(panels));
  main.dataset.run = runId;
}

// ------------------------------------------------------------------------------ studies
// A small, safe Markdown reader for the studies' summaries (text nodes only, never HTML).
function markdown(text) {
  const out = [];
  let list = null;
  const inline = (s) => {
    const parts = [];
    const re = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*]+\*)/g;
    let last = 0, m;
    while ((m = re.exec(s))) {
      if (m.index > last) parts.push(s.slice(last, m.index));
      const x = m[0];
      parts.push(x.startsWith("**") ? el("strong", {}, x.slice(2, -2)) : x.startsWith("`") ? el("code", {}, x.slice(1, -1)) : el("em", {}, x.slice(1, -1)));
      last = m.index + x.length;
    }
    parts.push(s.slice(last));
    return parts;
  };
  for (const raw of text.split(/\n/)) {
    const line = raw.trimEnd();
    const h = line.match(/^(#{1,4})\s+(.*)$/);
    const li = line.match(/^\s*(?:[-*]|\d+\.)\s+(.*)$/);
    if (li) { if (!list) { list = el("ul", {}); out.push(list); } list.append(el("li", {}, inline(li[1]))); continue; }
    list = null;
    if (h) out.push(el(`h${Math.min(h[1].length + 2, 6)}`, {}, inline(h[2])));
    else if (line.startsWith("|")) out.push(el("pre", { class: "small" }, line));
    else if (line) out.push(el("p", {}, inline(line)));
  }
  return el("div", { class: "summary" }, out);
}

export async function studiesPage(main, runId) {
  if (runId) return studyResult(main, runId);
  const studies = await get("/studies");
  const status = el("div", { class: "status", role: "status" });
  main.replaceChildren(el("h1", {}, t("study.title")), el("p", { class: "muted" }, t("study.intro")), status,
    el("div", { class: "cards" }, studies.map((s) => {
      const runs = numberInput(`st-runs-${s.study}`, 8, 1, 64);
      const go = el("button", { type: "button", class: "primary", "data-study": s.study, onclick: () => submitAndFollow("/studies", { study: s.study, runs: +runs.value || 1 }, status, (id) => { location.hash = `#/studies/${enc(id)}`; }) }, t("study.run"));
      return el("div", { class: "card", "data-study": s.study },
        el("h3", {}, getLang() === "es" ? s.title_es : s.title), el("p", { class: "small muted" }, `${s.study} · ${t(`study.kind.${s.kind}`)} · ${s.scenario}`),
        s.stored.length ? el("p", {}, el("a", { class: "button", href: `#/studies/${enc(s.stored.at(-1))}` }, t("study.open"))) : el("p", { class: "small muted" }, t("study.none")),
        el("p", { class: "small" }, field(`st-runs-${s.study}`, t("study.runs"), runs), go));
    })));
}

// A study's names in the page's language: its study file's labels (Spanish where it has them),
// else the measure's name in the UI table, else what the stored table says.
function studyNames(v, labels) {
  const L = v.labels || {};
  const lang = getLang();
  const variant = (name) => L.variants?.[name]?.[lang] || L.variants?.[name]?.en || name;
  const output = (row) => {
    const [base, place] = String(row.output).split(/:(.*)/s);
    const o = L.outputs?.[base];
    const own = o?.[lang] || (lang === "es" && o ? (o.obs ? label(labels, "observables", o.obs) : tr(`study.measure.${o.measure}`)) : null);
    return own ? (place ? `${own}: ${place}` : own) : row.label || row.output;
  };
  const unit = (u) => (u ? tr(`study.unit.${u}`) || u : "");
  return { variant, output, unit, title: L.title?.[lang] || null };
}

function differencesChart(rows, output, names) {
  const data = rows.filter((r) => r.output === output).map((r) => ({ ...r, name: names.variant(r.variant) }));
  const title = names.output(data[0]);
  const plot = Plot.plot({
    width: 600, height: 60 + 34 * data.length, marginLeft: 200, style: { fontSize: "11px", background: "white" },
    x: { label: `${t("study.difference")} (${names.unit(data[0].unit)}) →`, grid: true, tickFormat: tick },
    y: { label: null, domain: data.map((d) => d.name) },
    marks: [Plot.ruleX([0], { stroke: "#333" }),
      Plot.ruleY(data, { y: "name", x1: "p05", x2: "p95", stroke: "#0072B2", strokeWidth: 4 }),
      Plot.dot(data, { y: "name", x: "median", fill: "#D55E00", r: 4 }),
      Plot.tip(data, Plot.pointerY({ y: "name", x: "median", title: (d) => `${d.name}\n${t("chart.median")}: ${fmt(d.median)}\n${t("chart.band90")}: ${fmt(d.p05)} – ${fmt(d.p95)}` }))],
  });
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", title);
  return figure({ title, code: output, plot, filename: `study-${output}`, caption: t("study.band_note"),
    csv: () => [["variant", "output", "median", "p05", "p95", "baseline_median", "sign"], ...data.map((d) => [d.variant, d.output, d.median, d.p05, d.p95, d.baseline_median, d.sign])] });
}

// A stored table (the room study's game and outcomes), its headings and names translated.
function plainTable(rows, id, names) {
  if (!rows?.length) return null;
  const cols = Object.keys(rows[0]).filter((c) => c !== "label");
  const cell = (r, c) => {
    const x = r[c];
    if (c === "output") return names.output(r);
    if (c === "unit") return names.unit(x);
    if (c === "field") return tr(`study.field.${x}`) || String(x);
    return typeof x === "number" ? fmt(x, Math.abs(x) < 10 ? 3 : 0) : String(x ?? "–");
  };
  return el("div", { class: "scroll" }, el("table", { class: "data", id }, el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col", title: c }, tr(`study.col.${c}`) || c)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, cols.map((c) => el("td", {}, cell(r, c))))))));
}

async function studyResult(main, runId) {
  const v = await get(`/studies/${enc(runId)}`);
  const lang = getLang();
  const names = studyNames(v, await loadScenarioLabels(v.provenance.scenario));
  const file = v.files.includes(`summary.${lang}.md`) ? `summary.${lang}.md` : v.files.find((f) => f.startsWith("summary."));
  const summary = file ? await fetch(`/api/studies/${enc(runId)}/files/${file}`).then((r) => r.text()) : "";
  const diffs = v.tables.differences || [];
  const outputs = [...new Set(diffs.map((r) => r.output))];
  const links = el("p", {}, v.files.flatMap((f) => [el("a", { href: `/api/studies/${enc(runId)}/files/${f}`, target: "_blank", rel: "noopener", "data-file": f }, f), " "]));
  main.replaceChildren(el("h1", {}, `${t("study.one")} ${v.study}`), names.title ? el("p", { class: "lead" }, names.title) : null,
    el("p", { class: "muted" }, `${runId} · ${fmt(v.runs)} ${t("ensemble.runs").toLowerCase()} · ${v.provenance.created}`),
    el("h2", {}, t("study.summary")), summary ? markdown(summary) : el("p", { class: "muted" }, t("study.nosummary")),
    el("h2", {}, t("study.report")), links,
    diffs.length ? el("h2", {}, t("study.differences")) : null,
    diffs.length ? el("p", { class: "note" }, t("study.band_note")) : null,
    el("div", { class: "charts", id: "study-differences" }, outputs.map((o) => differencesChart(diffs, o, names))),
    v.tables.game ? el("h2", {}, t("study.game")) : null, plainTable(v.tables.game, "study-game", names),
    v.tables.outcomes ? el("h2", {}, t("study.outcomes")) : null, plainTable(v.tables.outcomes, "study-outcomes", names),
    ...notes(v.notes));
  main.dataset.run = runId;
}
