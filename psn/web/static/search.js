// Unit search in the bar: the ids that contain what is typed (at most 8) as you type; Enter takes the first.

export function addUnitSearch(ids, goTo) {
  const input = document.getElementById("search-input");
  const results = document.getElementById("search-results");
  function matches(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    const out = [];
    for (const id of ids()) {
      if (id.toLowerCase().includes(q)) out.push(id);
      if (out.length >= 8) break;
    }
    return out;
  }
  function choose(id) {
    goTo(id);
    results.hidden = true;
    input.blur();
  }
  input.addEventListener("input", () => {
    const found = matches(input.value);
    results.replaceChildren(
      ...found.map((id) => {
        const li = document.createElement("li");
        li.textContent = id;
        li.setAttribute("role", "option");
        li.addEventListener("mousedown", (ev) => {
          ev.preventDefault(); // keep focus so the click lands
          choose(id);
        });
        return li;
      }),
    );
    results.hidden = found.length === 0;
  });
  input.addEventListener("blur", () => (results.hidden = true));
  document.getElementById("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const [first] = matches(input.value);
    if (first) choose(first);
  });
}
