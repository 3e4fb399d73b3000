// The map's agency filter, kept across reloads of a wall screen: the set of hidden agencies, with `save()`.
// Storage may be unavailable (private mode): then the filter applies to this page only.
const KEY = "psn.hiddenAgencies";

export function hiddenAgencies() {
  let saved = [];
  try {
    saved = JSON.parse(localStorage.getItem(KEY) || "[]");
  } catch {
    saved = [];
  }
  const hidden = new Set(saved);
  hidden.save = () => {
    try {
      localStorage.setItem(KEY, JSON.stringify([...hidden]));
    } catch {
      // not persisted; the filter still applies to this page
    }
  };
  return hidden;
}
