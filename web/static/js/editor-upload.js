// Uploading a package: the file goes to POST /api/exhibits by XMLHttpRequest, so the
// <progress> bar follows the bytes sent, and the server's verdict is shown in words.
import { csrfToken, fill, messages } from "/static/js/portal.js";

const text = messages();
const form = /** @type {HTMLFormElement} */ (document.getElementById("upload-form"));
const input = /** @type {HTMLInputElement} */ (document.getElementById("package"));
const send = /** @type {HTMLButtonElement} */ (document.getElementById("upload-send"));
const bar = /** @type {HTMLProgressElement} */ (document.getElementById("upload-progress"));
const percent = /** @type {HTMLElement} */ (document.getElementById("upload-percent"));
const verdict = /** @type {HTMLElement} */ (document.getElementById("verdict"));

/** @param {number} value 0..100 */
function progress(value) {
  const rounded = Math.round(value);
  bar.value = rounded;
  bar.textContent = `${rounded}%`;
  percent.textContent = `${rounded}%`;
}

/**
 * Replaces the verdict with a paragraph of ``kind`` (notice, alert or muted) and returns it.
 * @param {"notice" | "alert" | "muted"} kind @param {string} words
 */
function say(kind, words) {
  verdict.replaceChildren();
  const paragraph = document.createElement("p");
  paragraph.className = kind;
  paragraph.textContent = words;
  verdict.append(paragraph);
  return paragraph;
}

/**
 * @param {any} info the server's summary of the version
 * @param {boolean} fresh whether this upload made the version (else it was there already)
 */
function accepted(info, fresh) {
  const scenes = (info.scenes ?? []).map((/** @type {{id: string, title?: Record<string, string>}} */ s) => s.title?.[document.documentElement.lang] ?? s.title?.["zh-CN"] ?? s.id);
  const title = info.title?.[document.documentElement.lang] ?? info.title?.["zh-CN"] ?? info.id;
  const words = fill(text[fresh ? "editor.upload.accepted" : "editor.upload.identical"], {
    title, version: info.version, count: scenes.length, scenes: scenes.join("、"),
  });
  const paragraph = say("notice", words);
  paragraph.dataset.verdict = fresh ? "accepted" : "identical";
  const link = document.createElement("a");
  link.href = `/editor/exhibits/${encodeURIComponent(info.id)}/${encodeURIComponent(info.version)}`;
  link.textContent = text["editor.upload.open"];
  paragraph.append(" ", link);
}

/** @param {number} status @param {any} body */
function refused(status, body) {
  const reason = body && typeof body === "object" && body.reason ? String(body.reason)
    : status === 413 ? "too_large" : status === 409 ? "version_exists" : "";
  const words = text[`editor.refusal.${reason}`] ?? fill(text["editor.refusal.other"], { status });
  const paragraph = say("alert", `${text["editor.upload.refused"]} ${words}`);
  paragraph.dataset.verdict = reason || "refused";
  paragraph.setAttribute("role", "alert");
  const server = body && typeof body === "object" ? body.error : typeof body === "string" ? body : "";
  if (server) {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = text["editor.upload.detail"];
    const words = document.createElement("p");
    words.className = "server-words";
    words.textContent = String(server);
    details.append(summary, words);
    verdict.append(details);
  }
}

/** @param {File} file */
function upload(file) {
  const request = new XMLHttpRequest();
  request.open("POST", "/api/exhibits");
  request.setRequestHeader("X-CSRF-Token", csrfToken());
  request.setRequestHeader("Content-Type", "application/octet-stream");
  request.setRequestHeader("Accept", "application/json");
  request.responseType = "text";
  request.upload.onprogress = (event) => {
    if (event.lengthComputable && event.total > 0) progress((100 * event.loaded) / event.total);
  };
  request.upload.onload = () => {
    progress(100);
    say("muted", text["editor.upload.checking"]);
  };
  request.onload = () => {
    let body = request.responseText;
    try {
      body = JSON.parse(request.responseText);
    } catch {
      // not JSON: shown as it came
    }
    if (request.status === 200 || request.status === 201) accepted(body, request.status === 201);
    else refused(request.status, body);
    send.disabled = false;
  };
  request.onerror = () => {
    say("alert", text["editor.upload.network"]).setAttribute("role", "alert");
    send.disabled = false;
  };
  send.disabled = true;
  progress(0);
  say("muted", fill(text["editor.upload.sending"], { name: file.name }));
  request.send(file);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const file = input.files?.[0];
  if (!file) {
    say("alert", text["editor.upload.choose"]);
    input.focus();
    return;
  }
  upload(file);
});
