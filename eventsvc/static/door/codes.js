// What a scanner, a keyboard or a paste hands the door, turned into a check-in code.
// Mirrors services/checkin.py extract_code: the code itself, or a URL holding it as its last
// path segment or in ?code=. The QR codes of the confirmation mail, the registrant's page and
// the badges hold the bare code.

const CODE = /^[A-Za-z0-9_-]{16,64}$/;

/** The check-in code in `text` (trimmed; "" when there is none). */
export function extractCode(text) {
  const value = String(text ?? "").trim();
  if (!value.includes("/") && !value.includes("?")) return value;
  let url;
  try {
    url = new URL(value, "https://door.invalid/");
  } catch {
    return "";
  }
  const fromQuery = url.searchParams.get("code");
  if (fromQuery) return fromQuery.trim();
  const segments = url.pathname.split("/").filter(Boolean);
  return segments.length ? decodeURIComponent(segments[segments.length - 1]) : "";
}

/** Whether `code` has the shape of a check-in code (anything else is answered "unknown"). */
export function isCode(code) {
  return CODE.test(code);
}
