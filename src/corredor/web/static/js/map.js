// The corridor map (d3-geo, SVG): Natural Earth outlines shipped with the app, labelled places,
// people waiting per border city (circles) and arrivals along the routes (line width) per month,
// with a date slider (keyboard: arrows, Home, End) and a play button.
import { t, fmt, fmtMonth } from "./i18n.js";
import { el, figure } from "./charts.js";

let outlines = null;
async function loadOutlines() {
  if (!outlines) outlines = await (await fetch("/static/geo/corridor_countries.geojson")).json();
  return outlines;
}

const LABELLED = new Set(["origin", "border_city"]);
const BIG = new Set(["Tapachula", "Mexico City", "Guadalajara", "Monterrey", "Villahermosa", "Tenosique", "Acayucan", "Hermosillo", "Veracruz"]);
const COUNTRY_LABELS = [["MEX", "México", -102.5, 23.5], ["USA", "United States", -104, 32.6], ["GTM", "Guatemala", -90.4, 15.6], ["HND", "Honduras", -86.6, 14.9]];

export async function corridorMap(data) {
  const geo = await loadOutlines();
  const W = 900, H = 620;
  const projection = d3.geoConicConformal().parallels([14, 30]).rotate([100, 0])
    .fitExtent([[10, 10], [W - 10, H - 10]], { type: "MultiPoint", coordinates: [[-117.5, 13], [-86, 13], [-117.5, 33.2], [-86, 33.2]] });
  const path = d3.geoPath(projection);
  const places = data.locations.map((p, i) => ({ ...p, i, xy: p.lat == null ? null : projection([p.lon, p.lat]) }));
  const svg = d3.create("svg").attr("class", "map").attr("viewBox", `0 0 ${W} ${H}`).attr("width", W).attr("height", H)
    .attr("role", "img").attr("aria-label", t("map.title"));
  svg.append("rect").attr("width", W).attr("height", H).attr("fill", "#dfeaf2");
  svg.append("g").selectAll("path").data(geo.features).join("path")
    .attr("class", (d) => `country ${d.properties.iso_a3}`).attr("d", path);
  svg.append("g").selectAll("text").data(COUNTRY_LABELS).join("text").attr("class", "country-label")
    .attr("x", (d) => projection([d[2], d[3]])[0]).attr("y", (d) => projection([d[2], d[3]])[1]).attr("text-anchor", "middle").text((d) => d[1]);
  const links = data.links.map(([a, b]) => ({ a: places[a], b: places[b] })).filter((l) => l.a.xy && l.b.xy);
  const routes = svg.append("g").selectAll("line").data(links).join("line").attr("class", "route")
    .attr("x1", (d) => d.a.xy[0]).attr("y1", (d) => d.a.xy[1]).attr("x2", (d) => d.b.xy[0]).attr("y2", (d) => d.b.xy[1]);
  const located = places.filter((p) => p.xy);
  svg.append("g").selectAll("circle").data(located).join("circle").attr("class", "place")
    .attr("cx", (d) => d.xy[0]).attr("cy", (d) => d.xy[1]).attr("r", 2.2);
  const border = located.filter((p) => p.kind === "border_city" && data.waiting[p.name]);
  const circles = svg.append("g").selectAll("circle").data(border).join("circle").attr("class", "waiting")
    .attr("cx", (d) => d.xy[0]).attr("cy", (d) => d.xy[1]);
  circles.append("title");
  svg.append("g").selectAll("text").data(located.filter((p) => LABELLED.has(p.kind) || BIG.has(p.name))).join("text")
    .attr("x", (d) => d.xy[0] + 5).attr("y", (d) => d.xy[1] - 4).text((d) => d.name);

  const maxWait = d3.max(Object.values(data.waiting).flat()) || 1;
  const maxArr = d3.max(Object.values(data.arrivals).flat()) || 1;
  const r = d3.scaleSqrt().domain([0, maxWait]).range([0, 34]);
  const w = d3.scaleSqrt().domain([0, maxArr]).range([0.4, 9]);
  // size legend
  const lg = svg.append("g").attr("transform", `translate(${W - 170},${H - 120})`);
  lg.append("rect").attr("x", -10).attr("y", -18).attr("width", 175).attr("height", 130).attr("fill", "white").attr("fill-opacity", 0.85);
  const ticks = [maxWait / 10, maxWait / 2, maxWait].map((v) => +d3.format(".1~s")(v).replace(/[^0-9.]/g, "") ? v : v);
  lg.selectAll("circle").data(ticks).join("circle").attr("class", "waiting").attr("cx", 35).attr("cy", (d) => 75 - r(d)).attr("r", (d) => r(d));
  lg.selectAll("text.v").data(ticks).join("text").attr("x", 75).attr("y", (d) => 75 - 2 * r(d) + 4).text((d) => d3.format(".2~s")(d));
  lg.append("text").attr("x", 0).attr("y", -4).text(t("map.waiting"));
  lg.append("line").attr("class", "route").attr("x1", 0).attr("x2", 40).attr("y1", 98).attr("y2", 98).attr("stroke-width", w(maxArr / 2));
  lg.append("text").attr("x", 48).attr("y", 102).text(`${d3.format(".2~s")(maxArr / 2)} ${t("map.arrivals")}`);

  const output = el("output", { id: "map-month", for: "map-slider" });
  const slider = el("input", { type: "range", id: "map-slider", min: 0, max: data.months.length - 1, step: 1, value: data.months.length - 1, "aria-label": t("map.month") });
  const play = el("button", { type: "button", "aria-pressed": "false" }, t("map.play"));
  const update = () => {
    const m = +slider.value;
    output.textContent = fmtMonth(data.months[m]);
    slider.setAttribute("aria-valuetext", output.textContent);
    circles.attr("r", (d) => r(data.waiting[d.name][m] || 0));
    circles.select("title").text((d) => `${d.name}: ${fmt(data.waiting[d.name][m])} ${t("map.waiting")}`);
    routes.attr("stroke-width", (d) => w((data.arrivals[d.b.name] || [])[m] || 0));
  };
  slider.addEventListener("input", update);
  let timer = null;
  play.addEventListener("click", () => {
    if (timer) { clearInterval(timer); timer = null; play.textContent = t("map.play"); play.setAttribute("aria-pressed", "false"); return; }
    play.textContent = t("map.pause"); play.setAttribute("aria-pressed", "true");
    if (+slider.value >= data.months.length - 1) slider.value = 0;
    timer = setInterval(() => {
      if (+slider.value >= data.months.length - 1 || !slider.isConnected) { play.click(); return; }
      slider.value = +slider.value + 1; update();
    }, 120);
  });
  // the busiest month for the waiting people, to open on something visible
  const totals = data.months.map((_, m) => d3.sum(Object.values(data.waiting), (v) => v[m] || 0));
  slider.value = d3.maxIndex(totals) >= 0 ? d3.maxIndex(totals) : data.months.length - 1;
  update();
  const controls = el("div", { class: "map-controls" }, play, slider, output);
  const csv = () => [["month", ...border.map((p) => `waiting:${p.name}`)], ...data.months.map((m, i) => [m, ...border.map((p) => data.waiting[p.name][i])])];
  const fig = figure({ title: t("map.title"), code: "map", plot: svg.node(), caption: t("map.source"), csv, filename: "corridor-map", legend: el("p", { class: "small muted" }, t("map.intro")) });
  fig.classList.add("map-wrap");
  fig.insertBefore(controls, fig.querySelector("svg"));
  return fig;
}
