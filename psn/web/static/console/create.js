// The new-incident form in the side panel (never a modal: the map stays usable). The location comes from
// a click on the map (crosshair cursor, then a draggable pin), a Belize place name (autocomplete from
// /api/v1/places) or typed coordinates; all three keep each other in step. A server error is shown beside
// the field it names.
import { fieldNamed, send } from "./api.js";
import { TYPES } from "./incidents.js";
import { AGENCIES, agencyTag, el } from "./util.js";

const $ = (id) => document.getElementById(id);
const FIELDS = ["type", "priority", "lat", "lon", "place", "address", "notes", "partners"];

export function createForm(ctx) {
  const form = $("view-create");
  const f = form.elements;
  const list = $("place-list");
  let pin = null;
  let picking = false;

  f.type.replaceChildren(...Object.entries(TYPES).map(([v, label]) => el("option", { value: v }, label)));
  form.querySelector(".priorities").prepend(...[1, 2, 3, 4].flatMap((p) => [
    el("input", { type: "radio", name: "priority", value: String(p), id: `prio-${p}`, defaultChecked: p === 2 }),
    el(`label.prio-btn.p${p}`, { for: `prio-${p}` }, `P${p}`),
  ]));
  ctx.on("me", (me) => {
    const partners = form.querySelector(".partners");
    partners.prepend(...Object.keys(AGENCIES).filter((a) => a !== me.agency).map((a) =>
      el("label.check", {}, el("input", { type: "checkbox", name: "partners", value: a }), agencyTag(a))));
  });

  // ------------------------------------------------------------ location
  const pinIcon = L.divIcon({ className: "new-pin", html: "<b></b>", iconSize: [36, 40], iconAnchor: [18, 38] });
  function setPin(lat, lon, { fromCoords = false } = {}) {
    if (!fromCoords) {
      f.lat.value = lat.toFixed(5);
      f.lon.value = lon.toFixed(5);
    }
    if (!pin) {
      pin = L.marker([lat, lon], { icon: pinIcon, draggable: true, keyboard: false, pane: "incidents" }).addTo(ctx.map);
      pin.on("dragend", () => {
        const p = pin.getLatLng();
        setPin(p.lat, p.lng);
      });
    } else pin.setLatLng([lat, lon]);
  }
  function clearPin() {
    pin?.remove();
    pin = null;
  }
  function setPicking(on) {
    if (on) ctx.showOnMap(() => {});
    else if (picking) ctx.unfold();
    picking = on;
    ctx.map.getContainer().classList.toggle("picking", on);
    $("pick-on-map").setAttribute("aria-pressed", String(on));
    $("pick-on-map").textContent = on ? "Click the incident's place on the map… (Esc)" : "Click on the map";
  }
  ctx.map.on("click", (e) => {
    if (!picking) return;
    setPin(e.latlng.lat, e.latlng.lng);
    setPicking(false);
  });
  $("pick-on-map").addEventListener("click", () => setPicking(!picking));
  for (const name of ["lat", "lon"]) {
    f[name].addEventListener("input", () => {
      const lat = Number(f.lat.value);
      const lon = Number(f.lon.value);
      if (f.lat.value.trim() && f.lon.value.trim() && Number.isFinite(lat) && Number.isFinite(lon)) {
        setPin(lat, lon, { fromCoords: true });
      }
    });
  }

  // Place names: suggestions as you type; picking one sets the coordinates and the pin.
  let asked = 0;
  f.place.addEventListener("input", async () => {
    const q = f.place.value.trim();
    const ticket = ++asked;
    if (q.length < 2) return showPlaces([]);
    const r = await send("GET", `/api/v1/places?q=${encodeURIComponent(q)}`);
    if (ticket === asked) showPlaces(r.ok ? r.body.places : []);
  });
  function showPlaces(places) {
    list.replaceChildren(...places.map((p) => el("li", {
      role: "option",
      onmousedown: (ev) => {
        ev.preventDefault();
        choosePlace(p);
      },
    }, el("b", {}, p.name), el("span.muted", {}, ` ${p.kind || ""}`))));
    list.hidden = places.length === 0;
    f.place.setAttribute("aria-expanded", String(!list.hidden));
  }
  function choosePlace(p) {
    f.place.value = p.name;
    showPlaces([]);
    setPin(p.lat, p.lon);
    ctx.map.setView([p.lat, p.lon], Math.max(ctx.map.getZoom(), 13));
  }
  f.place.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !list.hidden) {
      ev.preventDefault();
      list.firstChild?.dispatchEvent(new MouseEvent("mousedown"));
    }
  });
  f.place.addEventListener("blur", () => showPlaces([]));

  // ------------------------------------------------------------ submit
  function showError(field, message) {
    const slot = field && form.querySelector(`.field-error[data-field="${field}"]`);
    (slot || form.querySelector(".form-error")).textContent = message;
    (f[field]?.length && !(f[field] instanceof HTMLSelectElement) ? f[field][0] : f[field])?.focus?.();
  }
  function clearErrors() {
    for (const e of form.querySelectorAll(".field-error, .form-error")) e.textContent = "";
  }

  function body() {
    const out = {
      type: f.type.value,
      priority: Number(form.querySelector("input[name=priority]:checked")?.value),
      notes: f.notes.value.trim(),
      partners: [...form.querySelectorAll("input[name=partners]:checked")].map((b) => b.value),
    };
    for (const k of ["address", "place"]) if (f[k].value.trim()) out[k] = f[k].value.trim();
    // Typed coordinates go as numbers; anything else as typed, for the server to name what is wrong.
    for (const k of ["lat", "lon"]) {
      const v = f[k].value.trim();
      if (v) out[k] = Number.isFinite(Number(v)) ? Number(v) : v;
    }
    return out;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    const b = body();
    if (b.lat === undefined && b.lon === undefined && !b.place) {
      return showError("place", "Where? Click the map, pick a place or type coordinates.");
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    const r = await send("POST", "/api/v1/incidents", b);
    submit.disabled = false;
    if (!r.ok) return showError(fieldNamed(r.field ?? r.error, FIELDS), r.error);
    reset();
    ctx.incidents.set(r.body.id, r.body);
    ctx.openIncident(r.body.id);
  });
  form.querySelector(".cancel").addEventListener("click", () => ctx.show("queue"));

  function reset() {
    form.reset();
    clearErrors();
    clearPin();
    setPicking(false);
  }
  ctx.on("view", (v) => v !== "create" && reset());

  return {
    // Prefilled ({type, lat, lon, notes}: a suggested incident) the place is set; otherwise the dispatcher
    // picks it on the map.
    open(prefill) {
      ctx.show("create");
      if (prefill) {
        f.type.value = prefill.type;
        f.notes.value = prefill.notes;
        setPin(prefill.lat, prefill.lon);
        ctx.map.setView([prefill.lat, prefill.lon], Math.max(ctx.map.getZoom(), 13));
      } else setPicking(true); // the fastest way to say where: one click on the map
      f.type.focus();
    },
    // Esc while picking cancels the pick only; returns whether it did.
    cancelPick() {
      if (!picking) return false;
      setPicking(false);
      return true;
    },
  };
}
