// What every page's scripts share: requests that carry the session's CSRF token, and the
// page's messages (a JSON block the template fills from the message catalogue).

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

/**
 * A request to RedHall's API; resolves to the parsed JSON, rejects with the server's words.
 * @param {string} method @param {string} url
 * @param {unknown} [body] FormData as it is, anything else as JSON
 * @returns {Promise<any>}
 */
export async function api(method, url, body) {
  /** @type {RequestInit & {headers: Record<string, string>}} */
  const init = { method, headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
                 credentials: "same-origin" };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const type = response.headers.get("Content-Type") ?? "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = typeof data === "object" && data && data.error ? data.error : String(data);
    throw new Error(message || `${response.status}`);
  }
  return data;
}

/** The CSRF token of this page's session (for forms a script builds). */
export function csrfToken() {
  return csrf;
}

/** The messages a page's template put in <script type="application/json" id="messages">. */
export function messages() {
  const block = document.getElementById("messages");
  return block ? JSON.parse(block.textContent) : {};
}

/** ``text`` with each {name} replaced from ``values``. @param {string} text @param {Record<string, unknown>} [values] */
export function fill(text, values = {}) {
  return text.replace(/\{(\w+)\}/g, (whole, /** @type {string} */ name) => (name in values ? String(values[name]) : whole));
}
