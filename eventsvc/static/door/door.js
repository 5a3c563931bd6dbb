// The door app: wires the camera, the code field, the device's list, the sync and the page.
// Each concern lives in its own module; this one only connects them.

import { createApi } from "./api.js";
import { extractCode, isCode } from "./codes.js";
import { afterResult, counts, decide } from "./decide.js";
import { repeatFilter } from "./repeats.js";
import { startScanner } from "./scanner.js";
import { search, withFoldedKeys } from "./search.js";
import { memoryStore } from "./memory-store.js";
import { openStore } from "./store.js";
import { createSync } from "./sync.js";
import { createUi, fill } from "./ui.js";

const SYNC_EVERY_MS = 3000;
/** How long an online scan may wait for the server before the device decides it. */
const ANSWER_WITHIN_MS = 2500;

const config = JSON.parse(document.getElementById("door").dataset.config);
const csrfToken = document.getElementById("door").dataset.csrf;
const strings = config.strings;
const ui = createUi({ strings, lang: config.lang, timezone: config.timezone });
const api = createApi({ urls: config.urls, csrfToken });
const seen = repeatFilter(4000);
const codeField = document.getElementById("door-code");
const doorField = document.getElementById("door-name");
const exitField = document.getElementById("door-exit-mode");
let people = new Map();   // code -> item with folded search keys, the device's list in memory
let store = null;
let sequence = 0;
let online = navigator.onLine;

function deviceId() {
  let id = localStorage.getItem("eventsvc-door-device");
  if (!id) {
    id = newId();
    localStorage.setItem("eventsvc-door-device", id);
  }
  return id;
}

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function doorName() {
  return doorField.value.trim() || null;
}

function remember(item) {
  people.set(item.code, withFoldedKeys(item));
}

function refreshCounts() {
  ui.counts(counts(people.values()));
}

async function refreshQueued() {
  ui.state(online ? "online" : "offline", store ? await store.countQueued() : 0);
}

// Scans are answered one after another, in the order they came.
let chain = Promise.resolve();
function scan(text) {
  const code = extractCode(text);
  if (!code || seen(code)) return chain;
  chain = chain.then(() => answer(code)).catch((error) => console.error(error));
  return chain;
}

async function answer(code) {
  const now = new Date().toISOString();
  const base = { id: newId(), code, scanned_at: now, door: doorName(), device: deviceId() };
  if (exitField.checked) base.exit = true;
  if (!isCode(code)) {
    ui.showAnswer({ ...base, outcome: "unknown", offline: true });
    return;
  }
  if (online && navigator.onLine) {
    try {
      const [result] = await api.sendScans([{ ...base, offline: false }], ANSWER_WITHIN_MS);
      const item = afterResult(people.get(code), result);
      if (item) {
        remember(item);
        await store.put(item);
        refreshCounts();
      }
      if (result.error) ui.toast(result.message || result.error);
      ui.showAnswer({ ...base, ...result, outcome: result.outcome || "unknown", id: base.id,
        name: result.name ?? item?.name, organization: item?.organization, offline: false });
      return;
    } catch (error) {
      if (error.refused) {
        ui.showAnswer({ ...base, outcome: "unknown", offline: false });
        return;
      }
      // No answer in time: the device decides, and the scan (same id) goes up with the next sync.
    }
  }
  const decided = decide(people.get(code), now, base.door, Boolean(base.exit));
  if (decided.outcome === "checked_in") {
    remember(decided.item);
    await store.put(decided.item);
    refreshCounts();
  }
  await store.enqueue({ ...base, offline: true, seq: Date.now() * 1000 + (sequence++ % 1000) });
  const item = decided.item;
  ui.showAnswer({ ...base, outcome: decided.outcome, name: item?.name, organization: item?.organization,
    checked_in_at: item?.checked_in_at, door: item?.door, offline: true });
  refreshQueued();
}

async function onResults(scans, results) {
  scans.forEach((sent, index) => {
    const result = results[index];
    if (!result) return;
    if (result.error) {
      ui.toast(`${result.message || result.error} (${people.get(sent.code)?.name || sent.code})`);
      return;
    }
    const item = afterResult(people.get(sent.code), result);
    if (item) remember(item);
    if (result.outcome === "already_checked_in" && sent.offline) {
      // Another door let this person in first (the earliest scan wins).
      ui.correctAnswer(sent.id, { ...result, name: result.name ?? item?.name, organization: item?.organization });
      ui.toast(fill(strings.later_already, { name: result.name ?? item?.name ?? sent.code,
        time: ui.when(result.checked_in_at), door: result.door || strings.no_door }));
    } else {
      ui.correctAnswer(sent.id, { ...result, name: result.name ?? item?.name, organization: item?.organization });
    }
  });
  refreshCounts();
}

function createDoorSync() {
  return createSync({
    api,
    store,
    onResults,
    onRefused: (scans) => ui.toast(fill(strings.refused, { count: scans.length })),
    onItems: (items) => {
      for (const item of items) remember(item);
      refreshCounts();
    },
    onState: (state) => {
      online = state === "online";
      store.countQueued().then((queued) => ui.state(state, queued));
      if (online) api.stats().then(ui.stats).catch(() => {});
    },
  });
}

function startCamera() {
  const video = document.getElementById("door-video");
  const note = document.getElementById("door-camera-note");
  const button = document.getElementById("door-camera-start");
  startScanner(video, scan, { workerUrl: config.urls.worker }).then((scanner) => {
    note.hidden = true;
    button.hidden = true;
    document.getElementById("door-camera").dataset.decoder = scanner.decoder;
  }).catch((error) => {
    note.textContent = strings.camera_off;
    note.hidden = false;
    // Not allowed without a tap on some browsers: offer the button; no camera at all: no button.
    button.hidden = error && error.message === "no-camera";
  });
}

function wireForms() {
  document.getElementById("door-scan").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = codeField.value;
    codeField.value = "";
    scan(text);
  });
  doorField.value = localStorage.getItem("eventsvc-door-name") || "";
  doorField.addEventListener("input", () => localStorage.setItem("eventsvc-door-name", doorField.value.trim()));
  exitField.checked = localStorage.getItem("eventsvc-door-exit") === "1";
  exitField.addEventListener("change", () => localStorage.setItem("eventsvc-door-exit", exitField.checked ? "1" : ""));
  document.getElementById("door-camera-start").addEventListener("click", startCamera);

  const query = document.getElementById("door-q");
  const runSearch = () => {
    const text = query.value.trim();
    ui.results(text ? search(people.values(), text) : [], (code) => scan(code), Boolean(text));
  };
  query.addEventListener("input", runSearch);
  document.getElementById("door-search").addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch();
  });

  // A hand scanner types into whatever has the focus; with nothing focused, its keys go to the code field.
  document.addEventListener("keydown", (event) => {
    const active = document.activeElement;
    if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey
        && (!active || active === document.body)) {
      codeField.focus();
    }
  });
  wireManaging();
}

function formError(id, error) {
  const element = document.getElementById(id);
  const detail = error?.body?.errors ? Object.values(error.body.errors).flat().join(" ")
    : error?.body?.error || error?.body?.message || error?.message || "";
  element.textContent = fill(strings.failed, { reason: detail });
  element.hidden = false;
}

function wireManaging() {
  const walkIn = document.getElementById("door-walk-in-form");
  if (walkIn) {
    walkIn.addEventListener("submit", async (event) => {
      event.preventDefault();
      document.getElementById("door-walk-in-error").hidden = true;
      const fields = Object.fromEntries(new FormData(walkIn));
      fields.privacy_consent = walkIn.elements.privacy_consent.checked;
      try {
        const data = await api.walkIn({ ...fields, door: doorName(), device: deviceId() });
        const item = data.item || data.registration || data;
        if (item && item.code) {
          remember(item);
          await store.put(item);
          refreshCounts();
        }
        ui.showAnswer({ outcome: data.outcome || "checked_in", name: item?.name, organization: item?.organization,
          checked_in_at: item?.checked_in_at, door: item?.door, offline: false });
        ui.toast(fill(strings.walk_in_done, { name: item?.name || "" }));
        walkIn.reset();
      } catch (error) {
        formError("door-walk-in-error", error);
      }
    });
  }
  const undo = document.getElementById("door-undo-form");
  if (undo) {
    undo.addEventListener("submit", async (event) => {
      event.preventDefault();
      document.getElementById("door-undo-error").hidden = true;
      const code = extractCode(undo.elements.undo_code.value);
      try {
        const data = await api.undo({ code, reason: undo.elements.reason.value.trim(), door: doorName(),
          device: deviceId() });
        const before = people.get(code);
        const item = data.item || (before && { ...before, checked_in_at: null, door: null });
        if (item) {
          remember(item);
          await store.put(item);
          refreshCounts();
        }
        ui.toast(fill(strings.undone, { name: item?.name || code }));
        undo.reset();
      } catch (error) {
        formError("door-undo-error", error);
      }
    });
  }
}

async function main() {
  try {
    store = await openStore(config.slug, { account: config.account, endsAt: config.endsAt });
  } catch {
    store = memoryStore();
  }
  wireForms();
  startCamera();
  for (const item of await store.all()) remember(item);
  refreshCounts();
  const sync = createDoorSync();
  await refreshQueued();
  await sync.sync();
  setInterval(() => sync.sync(), SYNC_EVERY_MS);
  window.addEventListener("online", () => { online = true; sync.sync(); });
  window.addEventListener("offline", () => { online = false; refreshQueued(); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.urls.serviceWorker, { scope: config.urls.serviceWorkerScope })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => registration.active?.postMessage({ keepPage: location.href.split("#")[0] }))
      .catch(() => {});
  }
  guardLogout(sync);
  document.getElementById("door").dataset.ready = "1";
}

/** Logging out clears the device's list and queue: send what waits first, or ask. */
function guardLogout(sync) {
  const form = document.querySelector('form[action$="/organizer/logout"]');
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    if (form.dataset.confirmed) return;
    event.preventDefault();
    await sync.sync();
    const queued = await store.countQueued();
    if (!queued || window.confirm(fill(strings.logout_unsent, { count: queued }))) {
      form.dataset.confirmed = "1";
      form.requestSubmit();
    }
  });
}

main();
