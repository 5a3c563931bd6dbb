// Finding a guest on the device's own list, so that search works without a network.
// The server sends each person's search keys: names, organization and address folded to
// lower-case ASCII (toneless pinyin for Chinese, "mueller" and "muller" for Müller). Here the
// typed text is folded the same way and every word of it must be found in the keys; the words
// run together ("wangli") are tried as well.

/** Lower-case, without accents, ß as ss: how the keys are written. */
export function fold(text) {
  return String(text ?? "")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}@.]+/gu, " ")
    .trim();
}

function keysOf(item) {
  const keys = item.search_keys ?? item.search ?? item.keys ?? [];
  const parts = Array.isArray(keys) ? keys : [keys];
  // The visible fields too: a typed Chinese name or a part of it finds the person at once.
  parts.push(item.name ?? "", item.organization ?? "");
  return fold(parts.join(" "));
}

/** Whether the person matches the typed text. */
export function matches(item, query) {
  const words = fold(query).split(" ").filter(Boolean);
  if (!words.length) return false;
  const keys = item._folded ?? keysOf(item);
  if (words.every((word) => keys.includes(word))) return true;
  const joined = words.join("");
  return joined.length > 2 && keys.replace(/ /g, "").includes(joined);
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

/** The item with its folded keys kept, so that a search of 2,000 people does not fold each time. */
export function withFoldedKeys(item) {
  return { ...item, _folded: keysOf(item) };
}
