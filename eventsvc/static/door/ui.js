// What the person at the door sees and hears: each answer in place (the whole screen for a
// moment, green, amber or red), the last scans, the counts and arrivals, search results and
// short notices.

import { arrivalsChart } from "./chart.js";

const GREEN = new Set(["checked_in", "exited"]);
const AMBER = new Set(["already_checked_in"]);
const FULL_SCREEN_MS = 1600;
const HISTORY_LENGTH = 30;

/** `text` with `{hole}`s filled from `values`. */
export function fill(text, values) {
  return String(text).replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

/** The colour an outcome is shown in. */
export function tone(outcome) {
  if (GREEN.has(outcome)) return "ok";
  if (AMBER.has(outcome)) return "warn";
  return "stop";
}

export function createUi({ strings, lang, timezone }) {
  const byId = (id) => document.getElementById(id);
  const timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", timeZone: timezone });
  const dayFormat = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: timezone });
  // The chart's times as the dashboard writes them: 24 hours in every language ("18:05").
  const clockFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZone: timezone });
  let audio = null;
  let fullTimer = null;
  let arrivalsShown = "";

  function when(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const sameDay = dayFormat.format(date) === dayFormat.format(new Date());
    return sameDay ? timeFormat.format(date) : `${dayFormat.format(date)} ${timeFormat.format(date)}`;
  }

  /** The sentence for an answer: "Welcome", "Already checked in at 10:02 (door North)", … */
  function sentence(outcome, checkedInAt, door) {
    if (outcome === "already_checked_in") {
      if (!checkedInAt) return fill(strings.already_checked_in, { time: "?" });
      return door ? fill(strings.already_checked_in_door, { time: when(checkedInAt), door })
        : fill(strings.already_checked_in, { time: when(checkedInAt) });
    }
    return strings[outcome] || strings.unknown;
  }

  function fillAnswer(element, answer) {
    element.className = `door-answer door-answer-${tone(answer.outcome)}`;
    element.dataset.outcome = answer.outcome;
    if (answer.offline) element.dataset.offline = "1";
    else delete element.dataset.offline;
    element.replaceChildren();
    const what = document.createElement("p");
    what.className = "door-answer-what";
    what.textContent = sentence(answer.outcome, answer.checked_in_at, answer.door);
    element.append(what);
    if (answer.name) {
      const name = document.createElement("p");
      name.className = "door-answer-name";
      name.textContent = answer.name;
      element.append(name);
    }
    if (answer.organization) {
      const organization = document.createElement("p");
      organization.className = "door-answer-organization";
      organization.textContent = answer.organization;
      element.append(organization);
    }
    if (answer.offline) {
      const offline = document.createElement("p");
      offline.className = "door-answer-offline";
      offline.textContent = strings.offline;
      element.append(offline);
    }
  }

  function signal(outcome) {
    const ok = tone(outcome) === "ok";
    if (navigator.vibrate) navigator.vibrate(ok ? 60 : [120, 80, 120]);
    try {
      audio = audio || new (globalThis.AudioContext || globalThis.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      const beeps = ok ? [[880, 0]] : outcome === "already_checked_in" ? [[520, 0], [520, 0.18]] : [[220, 0], [220, 0.2]];
      for (const [frequency, start] of beeps) {
        const oscillator = audio.createOscillator(), gain = audio.createGain();
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.2, audio.currentTime + start);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + 0.15);
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(audio.currentTime + start);
        oscillator.stop(audio.currentTime + start + 0.16);
      }
    } catch {
      // No sound on this device; the colour says it.
    }
  }

  /** Arrivals per five minutes: the dashboard's chart, and a table of the same for a screen reader. */
  function showArrivals(series) {
    const shown = JSON.stringify(series);
    if (shown === arrivalsShown) return;
    arrivalsShown = shown;
    const box = byId("door-arrivals");
    box.hidden = !series.length;
    box.dataset.total = String(series.reduce((total, item) => total + item.count, 0));
    const time = (iso) => clockFormat.format(new Date(iso));
    byId("door-arrivals-chart").replaceChildren(
      arrivalsChart(series, { title: byId("door-arrivals-title").textContent, time }));
    byId("door-arrivals-rows").replaceChildren(...series.map(({ from, count }) => {
      const row = document.createElement("tr");
      const start = document.createElement("th");
      start.scope = "row";
      start.textContent = time(from);
      const arrivals = document.createElement("td");
      arrivals.textContent = String(count);
      row.append(start, arrivals);
      return row;
    }));
  }

  return {
    when,

    /** Show one answer: the whole screen for a moment, then in place; and add it to the last scans. */
    showAnswer(answer) {
      const slot = byId("door-answer-slot");
      const element = document.createElement("div");
      element.id = "door-answer";
      element.setAttribute("role", "alert");
      fillAnswer(element, answer);
      element.classList.add("door-answer-full");
      element.addEventListener("click", () => element.classList.remove("door-answer-full"));
      slot.replaceChildren(element);
      clearTimeout(fullTimer);
      fullTimer = setTimeout(() => element.classList.remove("door-answer-full"), FULL_SCREEN_MS);
      signal(answer.outcome);

      const item = document.createElement("li");
      item.dataset.scan = answer.id || "";
      fillAnswer(item, answer);
      item.classList.add("door-history-item");
      const history = byId("door-history");
      history.prepend(item);
      while (history.children.length > HISTORY_LENGTH) history.lastElementChild.remove();
      return item;
    },

    /** The server's later word on a scan that was decided on the device. */
    correctAnswer(scanId, answer) {
      for (const element of document.querySelectorAll(`[data-scan="${CSS.escape(scanId)}"]`)) {
        fillAnswer(element, answer);
        element.classList.add("door-history-item");
        element.dataset.synced = "1";
      }
    },

    toast(text) {
      const toast = byId("door-toast");
      toast.textContent = text;
      toast.hidden = false;
      clearTimeout(toast.timer);
      toast.timer = setTimeout(() => { toast.hidden = true; }, 8000);
    },

    state(state, queued) {
      const element = byId("door-state");
      element.dataset.state = state;
      element.dataset.queued = String(queued || 0);
      byId("door-state-text").textContent = strings[`state_${state.replace("-", "_")}`] || state;
      byId("door-queued").textContent = queued ? ` · ${fill(strings.queued, { count: queued })}` : "";
    },

    /** The server's live figures: who is inside now, each door's scans in the last minute, the arrivals. */
    stats(figures) {
      const element = byId("door-inside");
      if (!figures || typeof figures.inside !== "number") return;
      const perMinute = (figures.doors || []).map((door) => {
        const last = (door.scans_per_minute || []).at(-1) || 0;
        return `${door.door || strings.no_door}: ${fill(strings.per_minute, { count: last })}`;
      });
      element.textContent = [fill(strings.inside, { count: figures.inside }), ...perMinute].join(" · ");
      showArrivals(figures.arrivals || []);
    },

    counts({ expected, checkedIn, doors }) {
      byId("door-counts").textContent = fill(strings.counts, { checked_in: checkedIn, expected });
      const list = byId("door-doors");
      list.replaceChildren(...doors.map(([door, count]) => {
        const item = document.createElement("li");
        item.textContent = `${door || strings.no_door}: ${count}`;
        return item;
      }));
    },

    /** Search results, each with a button that checks the person in as a scan would. */
    results(items, onCheckIn, searched) {
      const list = byId("door-results");
      if (searched && !items.length) {
        const none = document.createElement("li");
        none.textContent = strings.no_results;
        list.replaceChildren(none);
        return;
      }
      list.replaceChildren(...items.map((item) => {
        const row = document.createElement("li");
        row.dataset.code = item.code;
        const who = document.createElement("span");
        who.className = "door-result-who";
        const name = document.createElement("strong");
        name.textContent = item.name;
        who.append(name);
        if (item.organization) who.append(document.createElement("br"), item.organization);
        const state = document.createElement("small");
        state.textContent = item.checked_in_at ? fill(strings.checked_in_at, { time: when(item.checked_in_at) })
          : item.status === "confirmed" ? strings.not_checked_in : strings[item.status] || item.status;
        who.append(document.createElement("br"), state);
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = strings.check_in;
        button.setAttribute("aria-label", `${strings.check_in}: ${item.name}`);
        button.addEventListener("click", () => onCheckIn(item.code));
        row.append(who, button);
        return row;
      }));
    },
  };
}
