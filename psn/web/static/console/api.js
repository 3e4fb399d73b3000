// Every HTTP call of the map and the console: a missing or expired session sends the user to sign in;
// errors come back as the server's {"detail"} so a form can show it beside the field it names.

export const signIn = () => location.assign("/login");

export async function api(path, init) {
  const r = await fetch(path, init);
  if (r.status === 401) signIn();
  return r;
}

export async function apiJSON(path) {
  const r = await api(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

// A JSON request: {ok, status, body, error}; error is the server's detail as one readable line.
export async function send(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await api(path, init);
  } catch (err) {
    return { ok: false, status: 0, body: null, error: `network: ${err.message}`, field: null };
  }
  const data = await r.json().catch(() => null);
  if (r.ok) return { ok: true, status: r.status, body: data, error: null, field: null };
  const { error, field } = describe(data?.detail, r.status);
  return { ok: false, status: r.status, body: data, error, field };
}

// FastAPI's validation detail is a list of {loc, msg}; psn's own is a sentence that starts with, or
// quotes, the field ("notes: must not be empty", "bad_field: 'priority' must be 1–4").
function describe(detail, status) {
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const loc = (first.loc || []).filter((p) => p !== "body");
    return { error: `${loc.join(".") || "request"}: ${first.msg}`, field: String(loc[0] ?? "") || null };
  }
  const error = typeof detail === "string" && detail ? detail : `HTTP ${status}`;
  return { error, field: null };
}

// Which of `fields` an error names first (as a whole word), or null.
export function fieldNamed(error, fields) {
  let best = null;
  let at = Infinity;
  for (const f of fields) {
    const m = new RegExp(`\\b${f}\\b`).exec(error);
    if (m && m.index < at) [best, at] = [f, m.index];
  }
  return best;
}

let me = null;
// Who is signed in ({name, agency, roles, unit}), fetched once for the whole page (again after a failure).
export const whoAmI = () =>
  (me ??= apiJSON("/api/v1/auth/me").catch((err) => {
    me = null;
    throw err;
  }));
