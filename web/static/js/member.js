// The member's pages: copy buttons (with a visible confirmation), the personal calendar
// feed's address, and a token for the desktop engine's join command.
import { api, messages } from "/static/js/portal.js";

const words = messages();

/** Says ``text`` in the page's status line (read out by screen readers too). @param {string} text */
function say(text) {
  const status = document.getElementById("copy-status");
  if (status) {
    status.textContent = text;
    status.classList.add("shown");
  }
}

/** The text an element holds: an input's value, else its text. @param {Element} element */
function textOf(element) {
  return element instanceof HTMLInputElement ? element.value : (element.textContent ?? "").trim();
}

/** Copies with the Clipboard API; where a browser refuses, selects the text instead so
 * the reader can copy it themselves. @param {Element} element */
async function copy(element) {
  const text = textOf(element);
  if (!text) {
    say(words.copy_failed);
    return;
  }
  try {
    await navigator.clipboard.writeText(text);
    say(words.copied);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(element);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
    say(words.copy_failed);
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", () => {
    const target = document.getElementById(button.getAttribute("data-copy") ?? "");
    if (target) {
      copy(target);
    }
  });
}

/** Fills the calendar feed's address (made on first request) and its webcal:// link. */
async function showCalendar() {
  const field = document.getElementById("calendar-url");
  if (!(field instanceof HTMLInputElement)) {
    return;
  }
  try {
    const feed = await api("GET", "/api/me/calendar");
    const address = new URL(feed.url, window.location.origin);
    field.value = address.href;
    const webcal = document.getElementById("calendar-webcal");
    if (webcal instanceof HTMLAnchorElement) {
      webcal.href = `webcal://${address.host}${address.pathname}`;
      webcal.hidden = false;
    }
  } catch {
    field.placeholder = words.calendar_failed;
  }
}

/**
 * Makes a personal access token and puts it into the engine's command in place of TOKEN.
 * @param {HTMLButtonElement} button
 */
async function makeToken(button) {
  const command = document.getElementById("engine-command");
  if (!command) {
    return;
  }
  button.disabled = true;
  try {
    const made = await api("POST", "/api/auth/tokens", { label: "desktop engine" });
    command.textContent = (command.textContent ?? "").replace("TOKEN", made.token);
    say(words.token_made);
  } catch (error) {
    button.disabled = false;
    say(String(error instanceof Error ? error.message : error));
  }
}

const tokenButton = document.getElementById("make-token");
if (tokenButton instanceof HTMLButtonElement) {
  tokenButton.addEventListener("click", () => makeToken(tokenButton));
}
showCalendar();
