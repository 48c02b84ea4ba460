// Pages: scenarios (home), a scenario's levers with the two-step answer, a run, the run
// history, compare.
import { api, get, follow, ApiError } from "./api.js";
import { t, label, fmt, fmtMonth, loadScenarioLabels } from "./i18n.js";
import { el, compareChart, markers } from "./charts.js";
import { runView, provenanceList, scaleNote, tabs, cancelButton, counterfactualChoices, pickedEvents } from "./views.js";

const enc = encodeURIComponent;
const announce = (msg) => { document.getElementById("live").textContent = msg; };

// ------------------------------------------------------------------------------ home
export async function home(main) {
  const [scenarios, runs] = await Promise.all([get("/scenarios"), get("/runs")]);
  const corridor = scenarios.filter((s) => s.kind === "corridor");
  main.replaceChildren(
    el("h1", {}, t("app.title")), el("p", { class: "muted" }, t("app.tagline")),
    el("h2", {}, t("home.scenarios")),
    el("div", { class: "cards" }, corridor.map((s) => el("div", { class: "card" },
      el("h3", {}, s.name), el("p", {}, s.description),
      el("p", { class: "small muted" }, `${t("period")}: ${fmtMonth(s.start)} – ${fmtMonth(s.end)}`),
      el("a", { class: "button primary", href: `#/scenario/${enc(s.name)}` }, t("home.open"))))),
    el("p", { class: "small muted" }, t("home.flee")),
    el("h2", {}, t("home.recent")),
    runs.length ? runTable(runs.slice(-8).reverse(), false) : el("p", {}, t("home.none")));
}

// ------------------------------------------------------------------------------ scenario
export async function scenarioPage(main, name, params) {
  const [detail, levers, events, labels] = await Promise.all([
    get(`/scenarios/${enc(name)}`), get(`/scenarios/${enc(name)}/levers`), get(`/scenarios/${enc(name)}/events`), loadScenarioLabels(name)]);
  const byName = Object.fromEntries(levers.map((l) => [l.name, l]));
  const state = {
    values: {}, off: new Set(), gen: 0, jobs: [],
    days: params.get("days") ? +params.get("days") : null, seed: params.get("seed") ? +params.get("seed") : 0,
  };
  const familyIds = (id) => {
    const prefix = labels.families?.[id];
    return prefix ? events.filter((e) => e.id.startsWith(prefix)).map((e) => e.id) : [id];
  };
  const eventById = Object.fromEntries(events.map((e) => [e.id, e]));
  const status = el("div", { class: "status", role: "status" });
  const results = el("div", { id: "results" });
  const groups = (labels.groups?.length ? labels.groups : [{ id: "levers", levers: levers.filter((l) => l.status === "lever").map((l) => l.name), events: events.map((e) => e.id) }]);
  const form = el("form", { "aria-label": t("levers.title"), onsubmit: (ev) => { ev.preventDefault(); ask(); } });
  let debounce = null;
  const changed = () => { clearTimeout(debounce); debounce = setTimeout(ask, 350); };
  // the two states of the scenario's bargaining: block, for the group titles that name them
  const country = (c) => label(labels, "countries", c) ?? c;
  const who = detail.actors ? { hegemon: country(detail.actors.hegemon), transit: country(detail.actors.transit) }
    : { hegemon: t("bargain.hegemon"), transit: t("bargain.transit") };
  for (const g of groups) {
    const title = t(`group.${g.id}`, who);
    const fs = el("fieldset", { "data-group": g.id }, el("legend", {}, title.charAt(0).toUpperCase() + title.slice(1)));
    for (const n of g.levers.filter((x) => byName[x])) fs.append(leverControl(byName[n], labels, state, changed));
    // the history's events here; the counterfactuals below, each with its description
    const evs = g.events.filter((id) => (eventById[id] || labels.families?.[id]) && eventById[familyIds(id)[0]]?.origin !== "counterfactual");
    if (evs.length) {
      fs.append(el("h3", { class: "small" }, t("levers.events")));
      for (const id of evs) {
        const ids = familyIds(id);
        const first = eventById[ids[0]];
        if (!first) continue;
        const box = el("input", { type: "checkbox", id: `ev-${id}`, "data-event": id });
        box.checked = true;
        box.addEventListener("change", () => {
          for (const x of ids) box.checked ? state.off.delete(x) : state.off.add(x);
          changed();
        });
        const title = label(labels, "events", id) || first.name;
        fs.append(el("div", { class: "event" }, box, el("label", { for: `ev-${id}`, title: `${ids.join(", ")}: ${first.notes || first.name}` },
          title, ` (${fmtMonth(first.start)})`,
          first.source ? el("span", { class: "small muted" }, " · ", sourceLink(first.source)) : null)));
      }
    }
    form.append(fs);
  }
  const whatif = el("fieldset", { "data-group": "counterfactuals" }, el("legend", {}, t("levers.counterfactuals")),
    el("p", { class: "small muted" }, t("levers.counterfactuals_help")), counterfactualChoices(events, labels, "ev", [], changed));
  if (whatif.querySelector("input")) form.append(whatif);
  const days = el("input", { type: "number", id: "days", min: 1, max: detail.days, value: state.days ?? detail.days });
  days.addEventListener("change", () => { state.days = +days.value || null; changed(); });
  const seed = el("input", { type: "number", id: "seed", min: 0, value: state.seed });
  seed.addEventListener("change", () => { state.seed = +seed.value || 0; changed(); });
  // the levers from a date (empty: from the start); a preview then reuses the days before it
  const from = el("input", { type: "date", id: "levers-from", min: detail.start, max: detail.end, value: state.from ?? "" });
  from.addEventListener("change", () => { state.from = from.value || null; changed(); });
  form.append(el("fieldset", {}, el("legend", {}, "⚙"),
    el("div", { class: "lever" }, el("label", { for: "levers-from" }, t("levers.from")), from,
      el("p", { class: "small muted" }, t("levers.from_help"))),
    el("div", { class: "lever" }, el("label", { for: "days" }, t("levers.days")), days),
    el("div", { class: "lever" }, el("label", { for: "seed" }, t("levers.seed")), seed)));
  const reset = el("button", { type: "button", onclick: () => { route(); } }, t("levers.reset"));
  const runBtn = el("button", { type: "submit", class: "primary" }, t("levers.run"));
  form.append(el("p", {}, runBtn, " ", reset));
  main.replaceChildren(
    el("h1", {}, detail.name, el("span", { class: "small muted" }, ` · ${fmtMonth(detail.start)} – ${fmtMonth(detail.end)}`)),
    el("p", { class: "muted" }, detail.description),
    el("div", { class: "layout" },
      el("aside", { class: "levers" }, el("h2", {}, t("levers.title")), el("p", { class: "small muted" }, t("levers.intro")), form),
      el("section", { "aria-label": "results" }, status, results)));

  const request = () => ({
    scenario: name, seed: state.seed, ...(state.days && state.days !== detail.days ? { days: state.days } : {}),
    levers: Object.fromEntries(Object.entries(state.values).filter(([k, v]) => v !== byName[k].value)),
    without_events: [...state.off], with_events: pickedEvents(whatif),
  });
  const withFrom = (body) => (state.from && Object.keys(body.levers).length ? { ...body, levers_from: state.from } : body);

  const show = async (runId, gen) => {
    if (gen !== state.gen) return;
    const view = await runView(runId);
    if (gen !== state.gen) return;
    results.replaceChildren(view);
    results.dataset.run = runId;
    await view.ready;
  };
  const setStatus = (text, job = null, extra = null) => {
    const parts = [el("span", { class: "state" }, text)];
    if (job && job.total > 0 && job.state !== "done") {
      parts.push(el("progress", { max: job.total, value: job.done, "aria-label": t("status.running") }),
        el("span", { class: "small" }, `${fmt(job.done)} / ${fmt(job.total)} ${t("status.days")}`));
    }
    if (job && ["queued", "running"].includes(job.state)) parts.push(cancelButton(() => state.jobs, job.cancelling));
    if (extra) parts.push(extra);
    status.replaceChildren(...parts);
    status.dataset.state = job?.state || "";
  };

  async function ask() {
    const gen = ++state.gen;
    delete status.dataset.preview; // set again only when this request's preview is shown
    for (const j of state.jobs) api(`/jobs/${enc(j)}`, { method: "DELETE" }).catch(() => {});
    state.jobs = [];
    const body = withFrom(request());
    let full;
    try {
      full = await api("/runs", { json: body });
    } catch (e) {
      setStatus(e instanceof ApiError && e.status === 429 ? t("status.busy") : `${t("status.failed")}: ${e.message}`);
      status.dataset.state = "failed";
      return;
    }
    if (full.state === "done") {
      setStatus(t("status.cached"), full, el("a", { href: `#/run/${enc(full.run_id)}` }, full.run_id));
      status.dataset.state = "cached";
      announce(t("status.cached"));
      await show(full.run_id, gen);
      return;
    }
    state.jobs.push(full.id);
    setStatus(t("status.preview"), full);
    results.classList.add("stale");
    let previewShown = false;
    const preview = api("/runs", { json: { ...body, preview: true } }).then(async (p) => {
      state.jobs.push(p.id);
      const done = p.state === "done" ? p : await follow(p.id, () => {});
      if (done.state === "done" && gen === state.gen && !finished) {
        previewShown = true;
        await show(done.run_id, gen);
        status.dataset.preview = done.run_id;
        announce(t("status.preview_ready"));
      }
    }).catch(() => {});
    let finished = false;
    const last = await follow(full.id, (job) => {
      if (gen !== state.gen || finished) return;
      const text = job.state === "queued" ? t("status.queued") : previewShown ? t("status.preview_ready") : t("status.running");
      setStatus(text, job);
    });
    finished = true;
    if (gen !== state.gen) return;
    if (last.state === "done") {
      setStatus(t("status.done"), last, el("a", { href: `#/run/${enc(last.run_id)}` }, last.run_id));
      status.dataset.state = "done";
      announce(t("status.done"));
      await show(last.run_id, gen);
    } else if (last.state === "cancelled") {
      setStatus(t("status.cancelled"), last);
      announce(t("status.cancelled"));
    } else {
      setStatus(`${t("status.failed")}: ${last.error || last.state}`, last);
    }
    await preview;
  }
  ask();
}

function sourceLink(src) {
  const m = src.match(/https?:\/\/[^\s)]+/);
  if (!m) return src.slice(0, 80);
  let host = m[0];
  try { host = new URL(m[0]).hostname.replace(/^www\./, ""); } catch { /* keep it */ }
  return el("a", { href: m[0], rel: "noreferrer noopener", target: "_blank" }, host);
}

function leverControl(l, labels, state, changed) {
  const id = `lever-${l.name}`;
  const title = label(labels, "levers", l.name) || l.name;
  const meaning = label(labels, "levers", l.name, "meaning") || l.description;
  const [lo, hi] = l.range;
  const step = stepFor(lo, hi);
  const range = el("input", { type: "range", id, min: lo, max: hi, step, value: l.value, "aria-describedby": `${id}-meta` });
  const num = el("input", { type: "number", min: lo, max: hi, step: "any", value: round(l.value), "aria-label": `${title} (${l.unit || ""})` });
  const wrap = el("div", { class: "lever", "data-lever": l.name });
  const set = (v, fromNum) => {
    v = Math.min(hi, Math.max(lo, +v));
    state.values[l.name] = v;
    if (fromNum) range.value = v; else num.value = round(v);
    wrap.classList.toggle("changed", Math.abs(v - l.value) > 1e-12);
    changed();
  };
  range.addEventListener("change", () => set(range.value, false));
  range.addEventListener("input", () => { num.value = round(+range.value); });
  num.addEventListener("change", () => set(num.value, true));
  wrap.append(
    el("label", { for: id, title: `${l.name} (${l.status})` }, title),
    el("div", { class: "row" }, range, num, el("span", { class: "small" }, l.unit || "")),
    el("div", { class: "meta", id: `${id}-meta` }, meaning, " · ",
      `${t("levers.historical")}: ${fmt(l.value)} ${l.unit || ""} · ${t("levers.range")}: ${fmt(lo)}–${fmt(hi)} · ${t("levers.source")}: `,
      l.source ? sourceLink(l.source) : t("levers.nosource")));
  return wrap;
}

const round = (v) => +(+v).toPrecision(4);
function stepFor(lo, hi) {
  const span = hi - lo;
  return span > 0 ? 10 ** Math.floor(Math.log10(span / 200)) : 1;
}

// ------------------------------------------------------------------------------ run
const PAGES = { bargain: "bargain", ensemble: "ensemble", forecast: "forecast", study: "studies" };
export const runHref = (r) => `#/${PAGES[r.kind] || "run"}/${enc(r.run_id)}`;

export async function runPage(main, runId) {
  const prov = await get(`/runs/${enc(runId)}`);
  if (PAGES[prov.kind]) { location.hash = runHref(prov); return; }
  if (!["run", "preview"].includes(prov.kind)) {  // calibrations, sensitivity, Flee runs…
    const labels = await loadScenarioLabels(prov.scenario);
    main.replaceChildren(el("h1", {}, `${t("run.title")} ${runId}`), el("p", { class: "muted" }, `${prov.scenario} · ${t(`run.kind.${prov.kind}`)} · ${prov.created}`),
      el("p", { class: "note" }, t("run.other")), provenanceList(prov, labels));
    return;
  }
  main.replaceChildren(
    el("h1", {}, `${t("run.title")} ${runId}`),
    el("p", { class: "muted" }, `${prov.scenario} · ${t(`run.kind.${prov.kind}`)} · ${prov.created}`,
      " · ", el("a", { href: `#/compare?a=${enc(runId)}` }, t("compare.baseline")),
      " · ", el("a", { href: `#/ensemble?from=${enc(runId)}`, "data-as-ensemble": "" }, t("ensemble.from_run"))),
    await runView(runId));
}

// ------------------------------------------------------------------------------ history
function runTable(runs, selectable) {
  const rows = runs.map((r) => el("tr", { "data-run": r.run_id },
    selectable ? el("td", {}, el("input", { type: "checkbox", "aria-label": `${t("history.select")} ${r.run_id}`, value: r.run_id, class: "pick" })) : null,
    el("td", {}, el("a", { href: runHref(r) }, r.run_id)),
    el("td", {}, t(`run.kind.${r.kind}`), ["running", "failed"].includes(r.status) ? el("span", { class: `tag status-${r.status}`, title: r.error || "" }, t(`run.status.${r.status}`)) : null),
    el("td", {}, r.created.replace("T", " ").replace("Z", "")),
    el("td", {}, r.seed == null ? "–" : String(r.seed)), el("td", {}, fmt(r.days)), el("td", {}, String(r.people_per_agent)),
    el("td", { class: "small" }, [...Object.entries(r.levers || {}).map(([k, v]) => `${k}=${fmt(v)}`), ...(r.events_removed || []).map((e) => `−${e}`), ...(r.events_added || []).map((e) => `+${e}`)].join(" ") || "–"),
    selectable ? el("td", {}, el("button", { type: "button", class: "delete", "data-run": r.run_id }, t("history.delete"))) : null));
  const head = [selectable ? "" : null, t("run.title"), t("history.kind"), t("prov.created"), t("prov.seed"), t("prov.days"), t("prov.scale"), t("prov.levers"), selectable ? "" : null].filter((x) => x !== null);
  return el("div", { class: "scroll" }, el("table", { class: "data", id: "runs" }, el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, rows)));
}

export async function historyPage(main) {
  const runs = (await get("/runs")).reverse();
  const compare = el("button", { type: "button", class: "primary", disabled: "" }, t("history.compare"));
  main.replaceChildren(el("h1", {}, t("history.title")), el("p", {}, compare), runs.length ? runTable(runs, true) : el("p", {}, t("home.none")));
  const picked = () => [...main.querySelectorAll("input.pick:checked")].map((x) => x.value);
  main.addEventListener("change", () => { compare.disabled = picked().length !== 2; });
  compare.addEventListener("click", () => { const [a, b] = picked(); location.hash = `#/compare?a=${enc(a)}&b=${enc(b)}`; });
  main.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button.delete");
    if (!b || !confirm(t("history.confirm"))) return;
    await api(`/runs/${enc(b.dataset.run)}`, { method: "DELETE" });
    b.closest("tr").remove();
  });
}

// ------------------------------------------------------------------------------ compare
export async function comparePage(main, params) {
  let a = params.get("a"), b = params.get("b");
  const runs = await get("/runs");
  if (a && !b) {  // a variant against its baseline: the newest run of the scenario without changes, same seed
    const pa = runs.find((r) => r.run_id === a);
    const base = runs.filter((r) => pa && r.scenario === pa.scenario && r.run_id !== a && r.seed === pa.seed && r.kind === "run" && !Object.keys(r.levers || {}).length && !(r.events_removed || []).length && !(r.events_added || []).length).at(-1);
    if (base) { b = a; a = base.run_id; }
  }
  const pick = (id, value) => el("select", { id }, el("option", { value: "" }, "—"), [...runs].reverse().map((r) => { const o = el("option", { value: r.run_id }, `${r.run_id} (${t(`run.kind.${r.kind}`)})`); if (r.run_id === value) o.selected = true; return o; }));
  const sa = pick("cmp-a", a), sb = pick("cmp-b", b);
  const go = el("button", { type: "button", class: "primary", onclick: () => { location.hash = `#/compare?a=${enc(sa.value)}&b=${enc(sb.value)}`; } }, t("nav.compare"));
  const form = el("p", {}, el("label", { for: "cmp-a" }, `${t("compare.a")} `), sa, " ", el("label", { for: "cmp-b" }, `${t("compare.b")} `), sb, " ", go);
  main.replaceChildren(el("h1", {}, t("compare.title")), form);
  if (!a || !b) { main.append(el("p", {}, t("compare.pick"))); return; }
  const single = [a, b].every((id) => ["run", "preview"].includes(runs.find((r) => r.run_id === id)?.kind));
  // two single runs: side by side; ensembles and forecasts: the paired difference with its band
  const c = await get(single ? `/compare?a=${enc(a)}&b=${enc(b)}` : `/paired?a=${enc(a)}&b=${enc(b)}`);
  const labels = await loadScenarioLabels(c.a.scenario);
  main.append(el("p", { class: "note" }, c.paired ? t("compare.paired") : t("compare.unpaired")), scaleNote(c.scale));
  const names = [`A: ${a}`, `B: ${b}`];
  const headline = labels.headline?.length ? labels.headline : c.observables.slice(0, 4).map((o) => o.name);
  const first = c.observables.filter((o) => headline.includes(o.name));
  const rest = c.observables.filter((o) => !headline.includes(o.name));
  const ledgerRows = c.ledger.rows.map((r) => el("tr", {},
    el("th", { scope: "row", title: r.name }, label(labels, "ledger", r.name) || r.name),
    el("td", {}, fmt(r.total_a)), el("td", {}, fmt(r.total_b)),
    el("td", {}, r.total_a == null || r.total_b == null ? "–" : fmt(r.total_b - r.total_a))));
  main.append(tabs([
    { id: "cmp-charts", title: t("tab.charts"), draw: (p) => {
      p.append(el("div", { class: "charts" }, first.map((o) => compareChart(o, c.months, labels, names))));
      const grid = el("div", { class: "charts" });
      const more = el("details", {}, el("summary", {}, `${t("chart.more")} (${rest.length})`), grid);
      more.addEventListener("toggle", () => { if (more.open && !grid.childElementCount) grid.append(...rest.map((o) => compareChart(o, c.months, labels, names))); });
      p.append(more);
    } },
    { id: "cmp-ledger", title: t("tab.ledger"), draw: (p) => p.append(el("div", { class: "scroll" }, el("table", { class: "data", id: "compare-ledger" },
      el("caption", {}, `${t("ledger.title")} — ${t("compare.totals")}`),
      el("thead", {}, el("tr", {}, [t("ledger.entry"), "A", "B", "B − A"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, ledgerRows)))) },
    { id: "cmp-details", title: t("tab.details"), draw: (p) => p.append(el("h3", {}, names[0]), provenanceList(c.a, labels), el("h3", {}, names[1]), provenanceList(c.b, labels)) },
  ]));
}

let route = () => {};
export function setRouter(fn) { route = fn; }
