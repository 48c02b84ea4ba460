// Corredor's web app: a hash router over the pages. No build step, no network but this service.
import { loadLang, getLang, t } from "./i18n.js";
import { home, scenarioPage, runPage, historyPage, comparePage, setRouter } from "./pages.js";
import { el } from "./charts.js";
import { bargainPage } from "./bargain.js";
import { ensemblePage, forecastPage, studiesPage } from "./bands.js";

const main = document.getElementById("main");

async function route() {
  const [path, query] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  document.querySelectorAll("header nav a").forEach((a) => {
    const here = a.getAttribute("href") === `#/${parts[0] || ""}` || (a.getAttribute("href") === "#/" && parts[0] === "scenario");
    here ? a.setAttribute("aria-current", "page") : a.removeAttribute("aria-current");
  });
  main.replaceChildren(el("p", { class: "loading" }, "…"));
  delete main.dataset.run;
  try {
    if (parts[0] === "scenario" && parts[1]) await scenarioPage(main, parts[1], params);
    else if (parts[0] === "run" && parts[1]) await runPage(main, parts[1]);
    else if (parts[0] === "history") await historyPage(main);
    else if (parts[0] === "compare") await comparePage(main, params);
    else if (parts[0] === "bargain") await bargainPage(main, parts[1]);
    else if (parts[0] === "ensemble") await ensemblePage(main, parts[1], params);
    else if (parts[0] === "forecast") await forecastPage(main, parts[1]);
    else if (parts[0] === "studies") await studiesPage(main, parts[1]);
    else await home(main);
  } catch (e) {
    main.replaceChildren(el("p", { class: "error", role: "alert" }, `${t("error.load")}: ${e.message}`));
  }
  document.title = `Corredor — ${main.querySelector("h1")?.textContent || ""}`;
}

async function start() {
  await loadLang(getLang());
  const button = document.getElementById("lang");
  const label = () => { button.textContent = t("lang.switch"); button.setAttribute("aria-label", `${t("lang.label")}: ${t("lang.switch")}`); };
  label();
  button.addEventListener("click", async () => {
    await loadLang(getLang() === "en" ? "es" : "en");
    label();
    route();
  });
  setRouter(route);
  window.addEventListener("hashchange", route);
  route();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
