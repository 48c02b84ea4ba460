// The bargaining view: a scenario's threat game (the hegemon and the transit state its
// bargaining: block names) swept over exposure and credibility — the feasible policy space, the
// policy the transit state chooses, and what it costs people. The texts name the two states.
import { api, get, follow } from "./api.js";
import { t, fmt, label, loadScenarioLabels } from "./i18n.js";
import { el, figure, COLOURS, tick } from "./charts.js";

// The two states of a scenario (an entry of /scenarios) as the texts name them: its countries
// in the page's language (the scenario's labels), else generic words.
async function actorNames(info) {
  if (!info?.actors) return { hegemon: t("bargain.hegemon"), transit: t("bargain.transit") };
  const labels = await loadScenarioLabels(info.name);
  const name = (c) => label(labels, "countries", c) ?? c;
  return { hegemon: name(info.actors.hegemon), transit: name(info.actors.transit) };
}

const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

const CRED_COLOURS = ["#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#D55E00", "#0072B2", "#F0E442", "#000000"];

export async function bargainPage(main, runId) {
  // the scenarios whose data ship the game's actors (a bargaining: block naming an episode)
  const listed = await get("/scenarios");
  const offered = listed.filter((s) => s.bargaining).map((s) => s.name);
  const names = async (n) => actorNames(listed.find((s) => s.name === n));
  const scenario = el("select", { id: "bargain-scenario" }, offered.map((n) => el("option", { value: n }, n)));
  const days = el("input", { type: "number", id: "bargain-days", min: 7, max: 365, value: 90 });
  const status = el("div", { class: "status", role: "status" });
  const out = el("div", { id: "bargain-out" });
  const go = el("button", { type: "submit", class: "primary" }, t("bargain.run"));
  const form = el("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    go.disabled = true;
    try {
      let job = await api("/bargain", { json: { scenario: scenario.value, review_days: +days.value || 90 } });
      status.replaceChildren(el("span", { class: "state" }, "…"));
      if (job.state !== "done") job = await follow(job.id, () => {});
      if (job.state === "done") location.hash = `#/bargain/${encodeURIComponent(job.run_id)}`;
      else status.replaceChildren(el("span", { class: "error" }, `${t("status.failed")}: ${job.error}`));
    } catch (e) {
      status.replaceChildren(el("span", { class: "error" }, `${t("status.failed")}: ${e.message}`));
    } finally { go.disabled = false; }
  } }, el("label", { for: "bargain-scenario" }, `${t("bargain.scenario")} `), scenario, " ",
  el("label", { for: "bargain-days" }, `${t("bargain.days")} `), days, " ", go);
  go.disabled = !offered.length;
  const title = el("h1", {});
  const intro = el("p", { class: "muted" });
  const tell = async (n) => {
    const who = await names(n);
    title.textContent = capital(t("bargain.title", who));
    intro.textContent = capital(t("bargain.intro", who));
  };
  scenario.addEventListener("change", () => tell(scenario.value));
  await tell(scenario.value);
  main.replaceChildren(title, intro, form, status, out);
  if (!runId) {
    const latest = (await get("/runs?kind=bargain")).at(-1);
    if (!latest) return;
    runId = latest.run_id;
  }
  const res = await get(`/bargain/${encodeURIComponent(runId)}`);
  days.value = res.provenance.request.review_days;
  if (offered.includes(res.provenance.scenario)) scenario.value = res.provenance.scenario;
  const who = await names(res.provenance.scenario);
  await tell(res.provenance.scenario);
  drawSweep(out, res, who);
}

function drawSweep(out, res, who) {
  const tx = (key) => capital(t(key, who));
  const rows = res.rows;
  const share = res.provenance.export_share_data;
  const creds = [...new Set(rows.map((r) => r.credibility))].sort((a, b) => a - b);
  const colour = (c) => CRED_COLOURS[creds.indexOf(c) % CRED_COLOURS.length];
  const heat = Plot.plot({
    width: 600, height: 260, marginLeft: 70, marginBottom: 44, style: { fontSize: "11px", background: "white" },
    x: { label: tx("bargain.exposure"), type: "band", tickFormat: (v) => fmt(v, 1) },
    y: { label: t("bargain.credibility"), type: "band", reverse: true, tickFormat: (v) => fmt(v, 2) },
    color: { scheme: "viridis", domain: [0, 1], legend: false },
    marks: [Plot.cell(rows, { x: "exposure", y: "credibility", fill: "feasible_share", inset: 0.5 }),
      Plot.text(rows, { x: "exposure", y: "credibility", text: (d) => `${Math.round(100 * d.feasible_share)}%`, fill: (d) => (d.feasible_share > 0.55 ? "black" : "white"), fontSize: 10 })],
  });
  heat.setAttribute("role", "img"); heat.setAttribute("aria-label", tx("bargain.feasible"));
  const csv = () => [Object.keys(rows[0]), ...rows.map((r) => Object.values(r))];
  const legend = () => el("div", { class: "legend" }, creds.map((c) => el("span", { style: `color:${colour(c)}` }, `${t("bargain.credibility")} ${fmt(c, 2)}`)));
  const line = (y, label, unit, extra = []) => {
    const p = Plot.plot({
      width: 600, height: 230, marginLeft: 62, style: { fontSize: "11px", background: "white" },
      x: { label: tx("bargain.exposure"), domain: [0, 1] }, y: { label: `↑ ${unit}`, grid: true, tickFormat: tick, zero: true },
      marks: [Plot.ruleX([share], { stroke: "#444", strokeDasharray: "4,3" }),
        Plot.text([share], { x: (d) => d, frameAnchor: "top", text: () => t("bargain.data"), dy: 4, dx: 4, textAnchor: "start" }),
        ...extra,
        Plot.line(rows, { x: "exposure", y, z: "credibility", stroke: (d) => colour(d.credibility), strokeWidth: 2 }),
        Plot.dot(rows, { x: "exposure", y, fill: (d) => colour(d.credibility), r: 2.5 })],
    });
    p.setAttribute("role", "img"); p.setAttribute("aria-label", label);
    return figure({ title: label, code: y, plot: p, caption: tx("bargain.source"), csv, filename: `bargain-${y}`, legend: legend() });
  };
  out.replaceChildren(
    el("div", { class: "charts" },
      figure({ title: tx("bargain.feasible"), code: "feasible_share", plot: heat, caption: tx("bargain.source"), csv, filename: "bargain-feasible" }),
      line("enforcement_mean", tx("bargain.enforcement"), t("bargain.share"),
        [Plot.line(rows, { x: "exposure", y: "feasible_min_enforcement", z: "credibility", stroke: (d) => colour(d.credibility), strokeDasharray: "2,3", strokeWidth: 1 })]),
      line("stranded", t("bargain.stranded"), t("bargain.people")),
      line("deportations_unscreened", t("bargain.unscreened"), t("bargain.people")),
      line("arrivals_per_day", tx("bargain.arrivals"), t("bargain.perday")),
      line("sanction_probability", t("bargain.sanction"), t("bargain.share"))),
    el("p", { class: "small muted" }, `${t("prov.created")}: ${res.provenance.created} · ${res.provenance.run_id} · ${t("bargain.days")}: ${res.provenance.days}`));
}
