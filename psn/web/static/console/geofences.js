// Geofences: the dispatcher draws a polygon on the map (a click per corner, "Finish" once there are three or
// more), names it and says whom it watches (agencies and/or units); psn raises an enter/exit event when a
// watched unit crosses it (they show in the event list). The agency's fences stay drawn on the map, dashed,
// each with its name; a fence is deleted from the list.
import { send } from "./api.js";
import { AGENCIES, agencyInfo, el, fill } from "./util.js";

const $ = (id) => document.getElementById(id);

export function createGeofences(ctx) {
  const view = $("view-geofences");
  const layer = L.layerGroup().addTo(ctx.map);
  let fences = [];
  let corners = null; // [[lat, lon], …] while drawing
  let sketch = null;
  let error = "";

  function drawFences() {
    layer.clearLayers();
    for (const f of fences) {
      L.polygon(f.polygon.map(([lon, lat]) => [lat, lon]), { color: "#6a3d9a", weight: 2, dashArray: "6 4",
        fillOpacity: 0.06, interactive: false }).bindTooltip(f.name, { permanent: false }).addTo(layer);
    }
  }

  function drawSketch() {
    sketch?.remove();
    sketch = corners?.length ? L.polyline(corners, { color: "#6a3d9a", weight: 3 }).addTo(ctx.map) : null;
  }

  function setDrawing(on) {
    corners = on ? [] : null;
    ctx.map.getContainer().classList.toggle("picking", on);
    if (on) ctx.showOnMap(() => {});
    drawSketch();
    render();
  }

  async function save(form) {
    const units = form.units.value.split(/[\s,]+/).filter(Boolean);
    const agencies = [...form.querySelectorAll("input[name=agency]:checked")].map((i) => i.value);
    const body = { name: form.fence.value, polygon: corners.map(([lat, lon]) => [lon, lat]), units, agencies };
    const r = await send("POST", "/api/v1/geofences", body);
    if (!r.ok) {
      error = r.error;
      return render();
    }
    error = "";
    setDrawing(false);
    await load();
  }

  async function remove(fence) {
    const r = await send("DELETE", `/api/v1/geofences/${fence.id}`);
    error = r.ok ? "" : r.error;
    await load();
  }

  function drawingForm() {
    const ready = corners.length >= 3;
    const form = el("form.geofence-form", { onsubmit: (ev) => { ev.preventDefault(); if (ready) save(form); } },
      el("p.muted", {}, ready ? `${corners.length} corners: finish, or click on for more.`
        : `Click the fence's corners on the map (${corners.length} of at least 3).`),
      el("label.field", {}, "Name ", el("input", { name: "fence", required: true, maxLength: 100 })),
      el("fieldset.field", {}, el("legend", {}, "Watch agencies"),
        Object.keys(AGENCIES).map((a) => el("label.check", {}, el("input", { type: "checkbox", name: "agency",
          value: a }), ` ${agencyInfo(a).label}`))),
      el("label.field", {}, "Watch units ", el("input", { name: "units", placeholder: "police/P-101, nemo/N-102" })),
      el("div.actions", {}, el("button.primary", { type: "submit", disabled: !ready }, "Finish fence"),
        el("button", { type: "button", onclick: () => setDrawing(false) }, "Cancel")));
    return form;
  }

  function render() {
    fill(view,
      el("h2#geofences-title", {}, "Geofences"),
      error && el("p.form-error", { role: "alert" }, error),
      corners ? drawingForm() : el("button.primary", { type: "button", onclick: () => setDrawing(true) },
        "Draw a fence"),
      fences.length ? el("ul.fence-list", {}, fences.map((f) => el("li", {},
        el("b", {}, f.name), " ",
        el("span.muted", {}, [...f.agencies.map((a) => agencyInfo(a).label), ...f.units].join(", ") || "nothing"),
        " ", el("button", { type: "button", onclick: () => ctx.showOnMap(() => ctx.map.fitBounds(
          f.polygon.map(([lon, lat]) => [lat, lon]))) }, "Show"),
        el("button", { type: "button", "aria-label": `Delete fence ${f.name}`, onclick: () => remove(f) }, "Delete"))))
        : el("p.muted", {}, "No geofences yet."));
  }

  async function load() {
    const r = await send("GET", "/api/v1/geofences");
    if (r.ok) fences = r.body.geofences;
    drawFences();
    render();
  }

  ctx.map.on("click", (e) => {
    if (!corners) return;
    corners.push([e.latlng.lat, e.latlng.lng]);
    drawSketch();
    render();
  });

  return {
    open() {
      ctx.show("geofences");
      load();
    },
    load,
    cancel() {
      if (!corners) return false;
      setDrawing(false);
      return true;
    },
  };
}
