// Deciding a scan on the device, against its copy of the check-in list, when the server cannot
// be asked. The server decides again when the scan reaches it (the earliest scan of a person
// wins); what the device says here is its best knowledge until then.

/** The fields of a list item that the device keeps (nothing else of a person is stored). */
export const KEPT_FIELDS = ["code", "name", "organization", "status", "checked_in_at", "door", "search"];

/** Only what the door needs of a list item from the server. */
export function keptOf(item) {
  const kept = {};
  for (const field of KEPT_FIELDS) {
    if (item[field] !== undefined) kept[field] = item[field];
  }
  return kept;
}

/**
 * The outcome of a scan of `item` (undefined: not on this event's list) at `now` through `door`
 * (`exit`: a device in exit mode): `{outcome, item}` where `item` is the person as changed by a
 * check-in (or as it was).
 */
export function decide(item, now, door, exit = false) {
  if (!item) return { outcome: "unknown", item: null };
  if (item.status === "cancelled") return { outcome: "cancelled", item };
  if (item.status === "waitlisted") return { outcome: "waitlisted", item };
  if (exit) return { outcome: "exited", item };
  if (item.checked_in_at) return { outcome: "already_checked_in", item };
  return { outcome: "checked_in", item: { ...item, checked_in_at: now, door: door || null } };
}

/**
 * The person as the server's answer to a scan leaves them: checked in (by this scan or an
 * earlier one) with the server's time and door.
 */
export function afterResult(item, result) {
  if (!item) return item;
  if (result.outcome === "checked_in" || result.outcome === "already_checked_in") {
    return { ...item, checked_in_at: result.checked_in_at ?? item.checked_in_at, door: result.door ?? item.door ?? null };
  }
  if (result.outcome === "cancelled" || result.outcome === "waitlisted") {
    return { ...item, status: result.outcome, checked_in_at: null };
  }
  return item;
}

/** Checked in of expected (confirmed), and checked in per door ("" for no door named). */
export function counts(items) {
  let expected = 0, checkedIn = 0;
  const doors = new Map();
  for (const item of items) {
    if (item.status !== "confirmed") continue;
    expected += 1;
    if (!item.checked_in_at) continue;
    checkedIn += 1;
    const door = item.door || "";
    doors.set(door, (doors.get(door) || 0) + 1);
  }
  return { expected, checkedIn, doors: [...doors.entries()].sort((a, b) => b[1] - a[1]) };
}

/** Whether a list kept since the event (ending at `endsAt`, ISO) is past keeping at `now` (ms). */
export function expired(endsAt, now, keepMs = 24 * 3600 * 1000) {
  const end = Date.parse(endsAt);
  return Number.isFinite(end) && now > end + keepMs;
}
