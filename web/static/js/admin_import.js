// The roster import page: the chosen file is checked (preview), every problem listed by
// row; when none is left, the same file is imported (commit, bound by its sha256), and
// the temporary passwords are shown once and offered as a CSV sheet.
import { api, fill, messages } from "/static/js/portal.js";

const text = messages();
const form = /** @type {NamedForm | null} */ (document.getElementById("roster-form"));
const result = document.getElementById("roster-result");
const status = document.getElementById("roster-status");
const table = /** @type {HTMLTableElement} */ (document.getElementById("roster-table"));
const commitButton = /** @type {HTMLButtonElement | null} */ (document.getElementById("roster-commit"));
const done = document.getElementById("roster-done");
/** @type {{file: File, orgId: string, sha256: string} | null} the last good preview */
let checked = null;

/**
 * What the preview answers (server/routes/roster.py), as far as the page shows it.
 * @typedef {string | number | null | undefined} Cell
 * @typedef {{row: number, name: string, username: string, role: string, phone?: string | null,
 *   email?: string | null}} RosterPerson
 * @typedef {{row: number, field: string, code: string, message: string,
 *   value?: string | null}} RosterProblem
 * @typedef {{good: boolean, sha256: string, people: RosterPerson[],
 *   problems: RosterProblem[]}} RosterPreview
 */

/** @param {Cell[]} cells @param {boolean} [header] */
function cellRow(cells, header = false) {
  const row = document.createElement("tr");
  for (const value of cells) {
    const cell = document.createElement(header ? "th" : "td");
    if (header) cell.scope = "col";
    cell.textContent = String(value ?? "");
    row.append(cell);
  }
  return row;
}

/** @param {HTMLTableElement} target @param {string[]} header @param {Cell[][]} rows */
function fillTable(target, header, rows) {
  target.tHead.replaceChildren(cellRow(header, true));
  target.tBodies[0].replaceChildren(...rows.map((cells) => cellRow(cells)));
}

/**
 * @param {"preview" | "commit"} step @param {File} file @param {string} orgId
 * @param {string} [sha256]
 */
function upload(step, file, orgId, sha256) {
  const body = new FormData();
  body.append("file", file);
  const query = new URLSearchParams({ org_id: orgId });
  if (sha256) query.set("sha256", sha256);
  return api("POST", `/api/roster/${step}?${query}`, body);
}

/** @param {RosterPreview} preview @param {File} file @param {string} orgId */
function showPreview(preview, file, orgId) {
  result.hidden = false;
  done.hidden = true;
  if (preview.good) {
    checked = { file, orgId, sha256: preview.sha256 };
    status.className = "notice";
    status.textContent = fill(text.good, { count: preview.people.length });
    fillTable(table, [text.row, text.name, text.username, text.role, text.phone, text.email],
      preview.people.map((p) => [p.row, p.name, p.username, text.roles[p.role] ?? p.role,
        p.phone, p.email]));
  } else {
    checked = null;
    status.className = "alert";
    status.textContent = fill(text.bad, { count: preview.problems.length });
    fillTable(table, [text.row, text.field, text.reason, text.value],
      preview.problems.map((p) => [p.row, text.fields[p.field] ?? p.field,
        text.reasons[p.code] ?? p.message, p.value]));
  }
  commitButton.hidden = !checked;
  document.getElementById("result-heading").focus();
}

/** @param {Error} error */
function showFailure(error) {
  checked = null;
  result.hidden = false;
  commitButton.hidden = true;
  status.className = "alert";
  status.textContent = fill(text.failed, { error: error.message });
  table.tHead.replaceChildren();
  table.tBodies[0].replaceChildren();
  document.getElementById("result-heading").focus();
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = form.elements.file.files[0];
  const orgId = form.elements.org_id.value;
  if (!file) return;
  try {
    showPreview(await upload("preview", file, orgId), file, orgId);
  } catch (error) {
    showFailure(error);
  }
});

commitButton?.addEventListener("click", async () => {
  if (!checked) return;
  commitButton.disabled = true;
  try {
    const answer = await upload("commit", checked.file, checked.orgId, checked.sha256);
    result.hidden = true;
    done.hidden = false;
    document.getElementById("roster-summary").textContent =
      fill(text.imported, { count: answer.imported });
    const sheet = new Blob([answer.sheet], { type: "text/csv;charset=utf-8" });
    /** @type {HTMLAnchorElement} */ (document.getElementById("roster-sheet")).href = URL.createObjectURL(sheet);
    fillTable(/** @type {HTMLTableElement} */ (document.getElementById("roster-accounts")),
      [text.row, text.name, text.username, text.password],
      answer.accounts.map((/** @type {{row: number, name: string, username: string,
        password: string}} */ a) => [a.row, a.name, a.username, a.password]));
    form.reset();
    checked = null;
    document.getElementById("done-heading").focus();
  } catch (error) {
    showFailure(error);
  } finally {
    commitButton.disabled = false;
  }
});
