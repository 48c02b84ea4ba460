// Translations: UI strings (i18n/en.json, i18n/es.json) and scenario labels
// (i18n/scenarios/NAME.json: observables, ledger, levers, events in both languages).
const ui = {};
const scenarioLabels = {};
let lang = localStorage.getItem("corredor.lang") || (navigator.language || "en").slice(0, 2);
if (!["en", "es"].includes(lang)) lang = "en";

export function getLang() { return lang; }

export async function loadLang(l) {
  if (!ui[l]) {
    const r = await fetch(`/static/i18n/${l}.json`);
    ui[l] = await r.json();
  }
  lang = l;
  localStorage.setItem("corredor.lang", l);
  document.documentElement.lang = l;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
}

export function t(key, vars = {}) {
  let s = (ui[lang] && ui[lang][key]) ?? (ui.en && ui.en[key]) ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// The string of a key in the current language, or null where neither table has it.
export function tr(key) {
  const s = t(key);
  return s === key ? null : s;
}

export async function loadScenarioLabels(name) {
  if (!(name in scenarioLabels)) {
    const r = await fetch(`/static/i18n/scenarios/${encodeURIComponent(name)}.json`);
    scenarioLabels[name] = r.ok ? await r.json() : { groups: [], families: {}, headline: [], en: {}, es: {} };
  }
  return scenarioLabels[name];
}

// A label of a scenario item in the current language; `kind`: observables, ledger, levers, events.
export function label(labels, kind, name, field = null) {
  const pick = (l) => {
    const v = labels?.[l]?.[kind]?.[name];
    if (v == null) return null;
    return field ? v[field] : (typeof v === "string" ? v : v.title);
  };
  return pick(lang) ?? pick("en");
}

const numberFormats = {};
export function fmt(x, digits = null) {
  if (x == null || Number.isNaN(x)) return "–";
  const key = `${lang}:${digits}`;
  if (!numberFormats[key]) {
    numberFormats[key] = new Intl.NumberFormat(lang === "es" ? "es-MX" : "en-US",
      digits == null ? { maximumFractionDigits: Math.abs(x) < 10 ? 3 : 0 } : { maximumFractionDigits: digits });
  }
  return numberFormats[key].format(x);
}

export function fmtMonth(iso) {
  const d = new Date(iso + (iso.length === 10 ? "T00:00:00Z" : ""));
  return d.toLocaleDateString(lang === "es" ? "es-MX" : "en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
}
