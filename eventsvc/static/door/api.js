// The door's calls to the check-in API, with the organizer's session cookie and the page's CSRF
// token (POSTs carry it in X-CSRFToken). A call that takes too long is given up, so that a scan is
// decided on the device instead of keeping the guest waiting.

export class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }

  /** The server refused the request itself (sending it again would not help). */
  get refused() {
    return this.status >= 400 && this.status < 500 && ![401, 403, 408, 429].includes(this.status) && !this.loggedOut;
  }

  /** The session is gone (logged out, or its CSRF token no longer fits): the scans wait for a new login. */
  get loggedOut() {
    return this.status === 401 || this.status === 403 || (this.body && this.body.error === "csrf");
  }
}

/** The API of one event: `urls` has `list`, `checkins`, `walkIns`, `undo`, `search`. */
export function createApi({ urls, csrfToken, fetch = globalThis.fetch.bind(globalThis) }) {
  async function call(method, url, body, timeoutMs) {
    const controller = new AbortController();
    const timer = timeoutMs ? setTimeout(() => controller.abort(), timeoutMs) : null;
    try {
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
      const response = await fetch(url, {
        method, headers, credentials: "same-origin", cache: "no-store", redirect: "manual",
        body: body === undefined ? undefined : JSON.stringify(body), signal: controller.signal,
      });
      // A redirect is the login page: the session has ended.
      if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
        throw new HttpError(401, null);
      }
      const data = await response.json().catch(() => null);
      if (!response.ok) throw new HttpError(response.status, data);
      return data;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  return {
    /** `{items, cursor}`: the whole list, or what changed since `cursor`. */
    fetchList(cursor) {
      const url = cursor ? `${urls.list}?since=${encodeURIComponent(cursor)}` : urls.list;
      return call("GET", url, undefined, 20000);
    },
    /** The server's results for `scans`, in the same order. */
    async sendScans(scans, timeoutMs = 20000) {
      const data = await call("POST", urls.checkins, { scans }, timeoutMs);
      return data.results;
    },
    search(query) {
      return call("GET", `${urls.search}?q=${encodeURIComponent(query)}`, undefined, 5000);
    },
    walkIn(fields) {
      return call("POST", urls.walkIns, fields, 15000);
    },
    undo(fields) {
      return call("POST", urls.undo, fields, 15000);
    },
    /** The live figures: checked in of expected, inside, per door. */
    stats() {
      return call("GET", urls.stats, undefined, 10000);
    },
  };
}
