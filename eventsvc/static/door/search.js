// Finding a guest on the device's own list, so that search works without a network.
// Each item carries `search`: space-separated keys in the server's search form (toneless pinyin
// of Chinese names both ways round, "mueller" and "muller" for Müller, the organization, the
// address; docs/architecture.md, "The door"). The typed text is put in the same form and must
// be found within one key; failing that, each typed word within some key ("juergen m").

/** The server's search form: lower-case, ß as ss, no accents, only letters and digits. */
export function searchForm(text) {
  return String(text ?? "").toLowerCase().replaceAll("ß", "ss").normalize("NFKD")
    .replace(/\p{M}/gu, "").replace(/[^\p{L}\p{N}]/gu, "");
}

function keysOf(item) {
  const keys = String(item.search ?? "").split(" ").filter(Boolean);
  // The visible fields too, so that a typed Chinese name finds the person on any list.
  for (const field of [item.name, item.organization]) {
    const key = searchForm(field);
    if (key) keys.push(key);
  }
  return keys;
}

/** Whether the person matches the typed text. */
export function matches(item, query) {
  const whole = searchForm(query);
  if (!whole) return false;
  const keys = item._keys ?? keysOf(item);
  if (keys.some((key) => key.includes(whole))) return true;
  const words = String(query).split(/\s+/).map(searchForm).filter(Boolean);
  return words.length > 1 && words.every((word) => keys.some((key) => key.includes(word)));
}

/** Up to `limit` people matching `query`, those not yet checked in first. */
export function search(items, query, limit = 20) {
  const found = [];
  for (const item of items) {
    if (matches(item, query)) found.push(item);
  }
  found.sort((a, b) => Number(Boolean(a.checked_in_at)) - Number(Boolean(b.checked_in_at))
    || String(a.name).localeCompare(String(b.name)));
  return found.slice(0, limit);
}

/** The item with its keys split once, so that a search of 2,000 people does not split them each time. */
export function withFoldedKeys(item) {
  return { ...item, _keys: keysOf(item) };
}
