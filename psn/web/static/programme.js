// The programme dashboard: reads /api/v1/kpi/programme (every minute) and shows one tile per figure, grouped;
// a figure not available yet is a greyed tile with the server's reason. State on `window.programmeState` for the
// browser tests.
import { api } from "./console/api.js";
import { showSignedIn } from "./header.js";

const $ = (id) => document.getElementById(id);
const GROUPS = { people: "Agencies, units and officers", operations: "Incidents", traffic: "Traffic management",
  training: "Training", security: "Security", network: "The network" };
const state = { loaded: false, figures: [] };
window.programmeState = state;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function number(value) {
  return Number.isInteger(value) ? value.toLocaleString("en") : value.toLocaleString("en", { maximumFractionDigits: 2 });
}

function trend(history) {
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  const top = Math.max(1, ...history.map(([, n]) => n));
  svg.setAttribute("viewBox", `0 0 ${history.length * 4} 40`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `per day over ${history.length} days, most ${top}`);
  history.forEach(([, n], i) => {
    const bar = document.createElementNS(svgNS, "rect");
    const h = (n / top) * 38;
    bar.setAttribute("x", i * 4);
    bar.setAttribute("y", 40 - Math.max(h, 0.5));
    bar.setAttribute("width", 3);
    bar.setAttribute("height", Math.max(h, 0.5));
    svg.append(bar);
  });
  return svg;
}

function tile(f) {
  const card = el("article", f.available ? "tile" : "tile unavailable");
  card.dataset.id = f.id;
  card.append(el("div", "label", f.label));
  if (f.available) {
    const value = el("div", "value", number(f.value));
    value.append(el("small", "", f.unit));
    card.append(value);
    const parts = Object.entries(f.parts || {});
    if (parts.length) card.append(el("div", "parts", parts.map(([k, n]) => `${k} ${number(n)}`).join(" · ")));
    if (f.history?.length) card.append(trend(f.history));
  } else {
    card.append(el("div", "why", `not available yet — ${f.why}`));
  }
  card.append(el("div", "scope", f.scope === "national" ? "national" : `agency: ${f.scope}`));
  card.append(el("div", "source", `source: ${f.source}`));
  return card;
}

function render(body) {
  state.figures = body.figures;
  const scope = body.scope === "national" ? "national totals" : `figures of ${body.scope}`;
  $("generated").textContent = `${scope} · as of ${new Date(body.generated * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const groups = $("groups");
  groups.replaceChildren();
  for (const [key, title] of Object.entries(GROUPS)) {
    const figures = body.figures.filter((f) => f.group === key);
    if (!figures.length) continue;
    const section = el("section", "group");
    section.append(el("h3", "", title));
    const tiles = el("div", "tiles");
    tiles.append(...figures.map(tile));
    section.append(tiles);
    groups.append(section);
  }
}

async function load() {
  const r = await api("/api/v1/kpi/programme");
  if (r.status === 403) {
    $("denied").textContent = `The programme dashboard is not open to you: ${(await r.json()).detail}`;
    $("denied").hidden = false;
    $("generated").textContent = "";
  } else if (r.ok) {
    render(await r.json());
  } else {
    $("generated").textContent = `could not load the figures (HTTP ${r.status}); trying again in a minute`;
  }
  state.loaded = true;
}

showSignedIn();
$("print").addEventListener("click", () => window.print());
load();
setInterval(load, 60000);
