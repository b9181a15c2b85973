// The LRS clients page: a new client's secret is shown once, right here; a client is
// revoked after the administrator confirms.
import { api, fill, messages } from "/static/js/portal.js";

const text = messages();
const form = /** @type {NamedForm | null} */ (document.getElementById("lrs-form"));
const error = document.getElementById("lrs-error");
const tbody = document.querySelector("#lrs-table tbody");

/** @param {string} message */
function say(message) {
  error.textContent = message;
  error.hidden = !message;
}

/** @param {string} key @param {string} name */
function revokeButton(key, name) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "revoke";
  button.dataset.key = key;
  button.dataset.name = name;
  button.textContent = text.revoke;
  return button;
}

/** @param {string} kind @param {string} words */
function badge(kind, words) {
  const span = document.createElement("span");
  span.className = `badge ${kind}`;
  span.textContent = words;
  return span;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const scopes = [.../** @type {NodeListOf<HTMLInputElement>} */ (
    form.querySelectorAll("input[name=scopes]:checked"))].map((b) => b.value);
  if (scopes.length === 0) {
    say(text.pick);
    return;
  }
  try {
    const made = await api("POST", "/api/lrs-clients", { name: form.elements.name.value, scopes });
    say("");
    document.getElementById("lrs-key").textContent = made.key;
    document.getElementById("lrs-secret-value").textContent = made.secret;
    document.getElementById("lrs-secret").hidden = false;
    document.getElementById("lrs-secret-heading").focus();
    tbody.querySelector("tr.empty")?.remove();
    const row = document.createElement("tr");
    const cells = [made.name, made.key, made.scopes.join(" ")].map((value, index) => {
      const cell = document.createElement("td");
      if (index === 1) {
        const code = document.createElement("code");
        code.textContent = value;
        cell.append(code);
      } else {
        cell.textContent = value;
      }
      return cell;
    });
    const state = document.createElement("td");
    state.append(badge("ok", text.active));
    const action = document.createElement("td");
    action.append(revokeButton(made.key, made.name));
    row.append(...cells, state, action);
    tbody.prepend(row);
    form.reset();
  } catch (failure) {
    say(failure.message);
  }
});

tbody.addEventListener("click", async (event) => {
  const button = /** @type {HTMLButtonElement | null} */ (
    /** @type {Element} */ (event.target).closest("button.revoke"));
  if (!button) return;
  if (!window.confirm(fill(text.confirm, { name: button.dataset.name }))) return;
  try {
    await api("DELETE", `/api/lrs-clients/${encodeURIComponent(button.dataset.key)}`);
    const row = button.closest("tr");
    row.children[3].replaceChildren(badge("warn", text.revoked));
    button.remove();
    say("");
  } catch (failure) {
    say(failure.message);
  }
});
