// Charts (Observable Plot, SVG): observables against data, the ledger, paired differences.
// Every chart: plain-language title (code name in a tooltip), axis titles with units, the data
// source under it, numbered policy markers listed below, downloads as PNG, SVG and CSV.
import { t, label, fmt, fmtMonth, getLang } from "./i18n.js";

export const COLOURS = { sim: "#0072B2", obs: "#000000", alt: "#D55E00", mark: "#6b6b6b", b: "#D55E00" };
const WIDTH = 600;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
export { el };

const date = (s) => new Date(s + "T00:00:00Z");
// axis ticks: SI prefixes for large values, plain numbers below 1,000 (no "800m" for 0.8)
export const tick = (v) => (Math.abs(v) >= 1000 ? d3.format("~s")(v) : d3.format("~r")(+v.toPrecision(3)));
const monthTick = (d) => d.toLocaleDateString(getLang() === "es" ? "es-MX" : "en-GB", {
  day: d.getUTCDate() === 1 ? undefined : "numeric", month: "short",
  year: d.getUTCMonth() === 0 && d.getUTCDate() === 1 ? "numeric" : undefined, timeZone: "UTC" });

export function unitLabel(unit, frequency) {
  if (unit === "events" || unit === "people") return t(`unit.${unit}${frequency === "year" ? ".year" : ""}`);
  return t(`unit.${unit}`);
}

// Policy markers: major events in force, families (MPP's 11 events) collapsed to their first date.
export function markers(events, labels) {
  const fam = labels.families || {};
  const seen = new Map();
  for (const e of [...events].sort((a, b) => a.start.localeCompare(b.start))) {
    let id = e.id;
    for (const [f, prefix] of Object.entries(fam)) if (id.startsWith(prefix)) id = f;
    if (!seen.has(id)) seen.set(id, { id, start: e.start, title: label(labels, "events", id) || e.name, whatif: e.origin === "counterfactual" });
  }
  return [...seen.values()].map((m, i) => ({ ...m, n: i + 1, date: date(m.start) }));
}

function shortSource(s) {
  const m = s.match(/\(([^()]*(?:\([^()]*\))?[^()]*)\)\s*$/);
  return (m ? m[1] : s).replace(/^copy of /, "");
}

function markerMarks(marks, top) {
  return [
    Plot.ruleX(marks, { x: "date", stroke: COLOURS.mark, strokeDasharray: "3,3", strokeWidth: 1 }),
    Plot.text(marks, { x: "date", y: top, text: (d) => String(d.n), dy: -2, fontSize: 11, fontWeight: 700, fill: "#333", stroke: "white", strokeWidth: 3 }),
  ];
}

function markerList(marks) {
  if (!marks.length) return null;
  return el("ol", { class: "marks", "aria-label": t("chart.events") },
    marks.map((m) => el("li", { value: m.n }, `${m.title} (${fmtMonth(m.start)})`, m.whatif ? el("span", { class: "tag" }, t("levers.whatif")) : null)));
}

export function figure({ title, code, plot, caption, csv, filename, legend, after, tag }) {
  const fig = el("figure", { class: "chart", "data-name": code || filename });
  fig.append(el("h3", {}, el("abbr", { title: code || "" }, title)));
  if (tag) fig.append(el("p", { class: "tag assumption", "data-assumption": "true" }, tag));
  const named = tag ? `${title} (${tag})` : title;
  if (legend) fig.append(legend);
  fig.append(plot);
  if (after) fig.append(after);
  if (caption) fig.append(el("figcaption", {}, caption));
  const svg = () => (plot.tagName.toLowerCase() === "svg" ? plot : plot.querySelector("svg"));
  fig.append(el("div", { class: "tools", role: "group", "aria-label": `${t("download.label")}: ${title}` },
    el("button", { type: "button", "data-download": "png", onclick: () => downloadPNG(svg(), named, filename) }, t("download.png")),
    el("button", { type: "button", "data-download": "svg", onclick: () => downloadSVG(svg(), named, filename) }, t("download.svg")),
    el("button", { type: "button", "data-download": "csv", onclick: () => downloadCSV(tagged(csv(), tag), filename) }, t("download.csv"))));
  return fig;
}

// A forecast's assumption goes into every row of its CSV (a column), as on every chart.
function tagged(rows, tag) {
  if (!tag) return rows;
  return rows.map((r, i) => [...r, i ? tag : "assumption"]);
}

function legendRow(items) {
  return el("div", { class: "legend" }, items.map(([cls, text]) => el("span", { class: cls }, text)));
}

// One observable of one run: simulated line (+ band), observed dots (monthly) or period bars.
// opts: { bandLabel, tag (a forecast's assumption, on the chart and in its downloads),
// horizon (a date: the calibration horizon, marked) }.
export function observableChart(o, months, marks, labels, scale, opts = {}) {
  const monthly = o.frequency === "month";
  const rows = months.map((m, i) => ({ date: date(m), sim: o.simulated[i], lo: o.band?.lo[i], hi: o.band?.hi[i] }));
  const obs = o.observed.map((r) => ({ start: date(r.start), end: date(r.end), observed: r.observed, simulated: r.simulated, type: r.value_type }));
  const top = Math.max(d3.max(rows, (d) => d.hi ?? d.sim) ?? 0, d3.max(obs, (d) => Math.max(d.observed, d.simulated)) ?? 0) * 1.08 || 1;
  const title = label(labels, "observables", o.name) || o.description || o.name;
  const ylabel = unitLabel(o.unit, o.frequency);
  let marksList = [];
  if (monthly) {
    marksList = [
      o.band ? Plot.areaY(rows, { x: "date", y1: "lo", y2: "hi", fill: COLOURS.sim, fillOpacity: 0.2 }) : null,
      opts.horizon ? Plot.ruleX([date(opts.horizon)], { stroke: COLOURS.alt, strokeWidth: 1.5 }) : null,
      opts.horizon ? Plot.text([date(opts.horizon)], { x: (d) => d, y: top, text: () => t("forecast.after"), textAnchor: "start", dx: 4, dy: 10, fill: COLOURS.alt, fontSize: 11 }) : null,
      Plot.lineY(rows, { x: "date", y: "sim", stroke: COLOURS.sim, strokeWidth: 2 }),
      Plot.dot(obs.filter((d) => (d.end - d.start) < 32 * 864e5), { x: "start", y: "observed", fill: COLOURS.obs, r: 2.2 }),
      Plot.tip(rows, Plot.pointerX({ x: "date", y: "sim", title: (d) => `${fmtMonth(d.date.toISOString().slice(0, 10))}\n${t("chart.simulated")}: ${fmt(d.sim)}` })),
    ];
  } else {
    marksList = [
      Plot.ruleY(obs, { x1: "start", x2: "end", y: "observed", stroke: COLOURS.obs, strokeWidth: 4 }),
      Plot.ruleY(obs, { x1: "start", x2: "end", y: "simulated", stroke: COLOURS.sim, strokeWidth: 2.5 }),
      Plot.tip(obs, Plot.pointerX({ x: "start", y: "observed", title: (d) => `${fmtMonth(d.start.toISOString().slice(0, 10))}–${fmtMonth(d.end.toISOString().slice(0, 10))}\n${t("chart.observed")}: ${fmt(d.observed)}\n${t("chart.simulated")}: ${fmt(d.simulated)}` })),
    ];
  }
  const plot = Plot.plot({
    width: WIDTH, height: 250, marginLeft: 62, marginTop: 18, marginRight: 12,
    style: { fontSize: "11px", background: "white" },
    x: { type: "utc", label: monthly ? t("chart.month") : t("chart.year"), domain: [rows[0]?.date, rows.at(-1)?.date], tickFormat: monthTick },
    y: { label: `↑ ${ylabel}`, grid: true, domain: [0, top], tickFormat: tick },
    marks: [...markerMarks(marks, top), ...marksList.filter(Boolean)],
  });
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", `${title} (${ylabel})`);
  const sources = (o.sources || []).map(shortSource);
  const caption = el("span", {},
    `${t("chart.source")}: ${sources.length ? [...new Set(sources)].slice(0, 2).join("; ") : t("chart.nodata")}`,
    o.note ? ` · ${o.note}` : "");
  const legend = legendRow([["sim", opts.bandLabel ? t("chart.median") : t("chart.simulated")], ...(o.band ? [["sim band", opts.bandLabel || t("chart.band")]] : []), ...(o.observed.length ? [["obs", t("chart.observed")]] : [])]);
  const csv = () => monthly
    ? [["month", "simulated", ...(o.band ? ["band_lo", "band_hi"] : []), "observed"],
       ...rows.map((r, i) => [months[i], r.sim, ...(o.band ? [r.lo, r.hi] : []), o.observed.find((x) => x.start === months[i])?.observed ?? ""])]
    : [["period_start", "period_end", "observed", "simulated"], ...o.observed.map((r) => [r.start, r.end, r.observed, r.simulated])];
  return figure({ title, code: o.name, plot, caption, csv, filename: o.name, legend, after: markerList(marks), tag: opts.tag });
}

// A band over time (an ensemble's ledger entry, a forecast's encounters): median line, 90 % band.
export function bandChart({ title, code, dates, median, lo, hi, ylabel, tag, horizon, observed }) {
  const rows = dates.map((d, i) => ({ date: date(d), m: median[i], lo: lo[i], hi: hi[i] }));
  const obs = (observed || []).map((r) => ({ date: date(r.date), v: r.value }));
  const top = Math.max(d3.max(rows, (d) => d.hi ?? d.m) ?? 0, d3.max(obs, (d) => d.v) ?? 0) * 1.08 || 1;
  const plot = Plot.plot({
    width: WIDTH, height: 230, marginLeft: 62, marginTop: 18, style: { fontSize: "11px", background: "white" },
    x: { type: "utc", label: t("chart.month"), tickFormat: monthTick }, y: { label: `↑ ${ylabel}`, grid: true, domain: [0, top], tickFormat: tick },
    marks: [Plot.areaY(rows, { x: "date", y1: "lo", y2: "hi", fill: COLOURS.alt, fillOpacity: 0.22 }),
      Plot.lineY(rows, { x: "date", y: "m", stroke: COLOURS.alt, strokeWidth: 2 }),
      obs.length ? Plot.dot(obs, { x: "date", y: "v", fill: COLOURS.obs, r: 2 }) : null,
      horizon ? Plot.ruleX([date(horizon)], { stroke: COLOURS.mark, strokeDasharray: "4,3" }) : null,
      Plot.tip(rows, Plot.pointerX({ x: "date", y: "m", title: (d) => `${fmtMonth(d.date.toISOString().slice(0, 10))}\n${t("chart.median")}: ${fmt(d.m)}\n${t("chart.band90")}: ${fmt(d.lo)} – ${fmt(d.hi)}` }))].filter(Boolean),
  });
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", `${title} (${ylabel})`);
  const legend = legendRow([["alt", t("chart.median")], ["alt band", t("chart.band90")], ...(obs.length ? [["obs", t("chart.observed")]] : [])]);
  return figure({ title, code, plot, legend, tag, filename: code,
    csv: () => [["month", "median", "p05", "p95"], ...rows.map((r, i) => [dates[i], r.m, r.lo, r.hi])] });
}

// A ledger entry over the years (bars).
export function ledgerChart(row, years, labels) {
  const title = label(labels, "ledger", row.name) || row.name;
  const data = years.map((y, i) => ({ year: String(y), v: row.values[i] }));
  const plot = Plot.plot({
    width: WIDTH, height: 220, marginLeft: 62, style: { fontSize: "11px", background: "white" },
    x: { label: t("chart.year"), type: "band" },
    y: { label: `↑ ${t(`unit.${row.unit === "people" ? "people.stock" : row.unit}`)}`, grid: true, tickFormat: tick },
    marks: [Plot.barY(data, { x: "year", y: "v", fill: COLOURS.sim }), Plot.ruleY([0]),
      Plot.tip(data, Plot.pointerX({ x: "year", y: "v", title: (d) => `${d.year}: ${fmt(d.v)}` }))],
  });
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", title);
  return figure({ title, code: row.name, plot, caption: label(labels, "ledger", row.name, "definition") || "",
    csv: () => [["year", row.name], ...data.map((d) => [d.year, d.v])], filename: row.name });
}

// Two runs and their paired difference for one observable.
export function compareChart(o, months, labels, names) {
  const title = label(labels, "observables", o.name) || o.name;
  const rows = months.map((m, i) => ({ date: date(m), a: o.a[i], b: o.b[i], d: o.difference[i], lo: o.band?.lo[i], hi: o.band?.hi[i] }));
  const ylabel = unitLabel(o.unit, "month");
  const top = Plot.plot({
    width: WIDTH, height: 200, marginLeft: 62, style: { fontSize: "11px", background: "white" },
    x: { type: "utc", label: null, tickFormat: monthTick }, y: { label: `↑ ${ylabel}`, grid: true, tickFormat: tick },
    marks: [Plot.lineY(rows, { x: "date", y: "a", stroke: COLOURS.sim, strokeWidth: 2 }),
      Plot.lineY(rows, { x: "date", y: "b", stroke: COLOURS.alt, strokeWidth: 2, strokeDasharray: "5,3" })],
  });
  const bottom = Plot.plot({
    width: WIDTH, height: 150, marginLeft: 62, style: { fontSize: "11px", background: "white" },
    x: { type: "utc", label: t("chart.month"), tickFormat: monthTick }, y: { label: `↑ ${t("compare.diff")}`, grid: true, tickFormat: tick },
    marks: [o.band ? Plot.areaY(rows, { x: "date", y1: "lo", y2: "hi", fill: COLOURS.alt, fillOpacity: 0.2 }) : null,
      Plot.ruleY([0]), Plot.lineY(rows, { x: "date", y: "d", stroke: COLOURS.alt, strokeWidth: 1.6 })].filter(Boolean),
  });
  const wrap = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  const h1 = +top.getAttribute("height"), h2 = +bottom.getAttribute("height");
  wrap.setAttribute("viewBox", `0 0 ${WIDTH} ${h1 + h2}`); wrap.setAttribute("width", WIDTH); wrap.setAttribute("height", h1 + h2);
  wrap.setAttribute("role", "img"); wrap.setAttribute("aria-label", `${title}: ${names[0]} / ${names[1]}`);
  bottom.setAttribute("y", h1);
  wrap.append(top, bottom);
  const legend = legendRow([["sim", names[0]], ["alt", names[1]]]);
  const caption = `${t("compare.totals")}: A ${fmt(o.total_a)} · B ${fmt(o.total_b)} · B − A ${fmt(o.total_b - o.total_a)}`;
  return figure({ title, code: o.name, plot: wrap, caption, legend, filename: `compare-${o.name}`,
    csv: () => [["month", "a", "b", "difference", ...(o.band ? ["band_lo", "band_hi"] : [])], ...rows.map((r, i) => [months[i], r.a, r.b, r.d, ...(o.band ? [r.lo, r.hi] : [])])] });
}

// ------------------------------------------------------------------------------ downloads
function save(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

export function svgText(svg, title) {
  const copy = svg.cloneNode(true);
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("font-family", "DejaVu Sans, Arial, sans-serif");
  const tt = document.createElementNS("http://www.w3.org/2000/svg", "title");
  tt.textContent = title;
  copy.prepend(tt);
  return new XMLSerializer().serializeToString(copy);
}

export function downloadSVG(svg, title, name) {
  save(new Blob([svgText(svg, title)], { type: "image/svg+xml" }), `${name}.svg`);
}

export function downloadPNG(svg, title, name) {
  const w = +svg.getAttribute("width") || svg.getBoundingClientRect().width;
  const h = +svg.getAttribute("height") || svg.getBoundingClientRect().height;
  const url = URL.createObjectURL(new Blob([svgText(svg, title)], { type: "image/svg+xml" }));
  const img = new Image();
  img.onload = () => {
    const c = document.createElement("canvas");
    c.width = w * 2; c.height = h * 2;
    const g = c.getContext("2d");
    g.fillStyle = "white"; g.fillRect(0, 0, c.width, c.height);
    g.scale(2, 2); g.drawImage(img, 0, 0, w, h);
    URL.revokeObjectURL(url);
    c.toBlob((b) => save(b, `${name}.png`), "image/png");
  };
  img.src = url;
}

export function toCSV(rows) {
  const cell = (v) => (v == null ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  return rows.map((r) => r.map(cell).join(",")).join("\n") + "\n";
}

export function downloadCSV(rows, name) {
  save(new Blob([toCSV(rows)], { type: "text/csv" }), `${name}.csv`);
}

export { getLang };
