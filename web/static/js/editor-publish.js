// Publish and unpublish buttons on the editor's pages: each button names its version's API
// path (data-api) and state (data-published); the badge beside it follows the answer.
import { api, fill, messages } from "/static/js/portal.js";

const text = messages();

/** @param {HTMLButtonElement} button @param {boolean} published */
function show(button, published) {
  button.dataset.published = String(published);
  button.textContent = text[published ? "editor.action.unpublish" : "editor.action.publish"];
  button.classList.toggle("primary", !published);
  button.removeAttribute("aria-label");
  const holder = button.closest(".version, .editor-head");
  const badge = holder?.querySelector("[data-state]");
  if (badge) {
    badge.textContent = text[published ? "editor.state.published" : "editor.state.draft"];
    badge.classList.toggle("ok", published);
    badge.classList.toggle("warn", !published);
  }
}

/** @param {HTMLButtonElement} button */
async function toggle(button) {
  const error = document.getElementById("publish-error");
  const publish = button.dataset.published !== "true";
  button.disabled = true;
  try {
    const answer = await api("POST", `${button.dataset.api}/${publish ? "publish" : "unpublish"}`);
    show(button, Boolean(answer.published));
    if (error) error.hidden = true;
  } catch (failure) {
    if (error) {
      error.textContent = fill(text["editor.action.failed"], { reason: String(failure.message) });
      error.hidden = false;
    }
  } finally {
    button.disabled = false;
    button.focus();
  }
}

for (const button of document.querySelectorAll("button[data-api]")) {
  button.addEventListener("click", () => toggle(/** @type {HTMLButtonElement} */ (button)));
}
