// The inbox page: mark one notice or all of them read (through the notifications API),
// keep the unread count in step, and write each notice's time in the reader's own zone.
import { api, fill, messages } from "/static/js/portal.js";

const words = messages();
const count = document.getElementById("unread-count");
const status = document.getElementById("inbox-status");
const markAll = /** @type {HTMLButtonElement | null} */ (document.getElementById("mark-all"));

/** @param {number} unread */
function showUnread(unread) {
  count.dataset.unread = String(unread);
  count.textContent = unread ? fill(words.unread_count, { count: unread }) : words.all_read;
  count.classList.toggle("warn", unread > 0);
  count.classList.toggle("ok", unread === 0);
  if (unread === 0 && markAll) {
    markAll.remove();
  }
}

/** @param {Element} card */
function showRead(card) {
  card.classList.remove("unread");
  card.querySelector(".unread-mark")?.remove();
  card.querySelector(".mark-read")?.remove();
}

/** @param {Error} error */
function fail(error) {
  status.textContent = fill(words.failed, { error: error.message });
  status.hidden = false;
}

for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (
  document.querySelectorAll(".mark-read"))) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const answer = await api("POST", `/api/notifications/${button.dataset.id}/read`);
      const card = button.closest(".notice-card");
      const next = /** @type {HTMLElement | null | undefined} */ (
        card.nextElementSibling?.querySelector(".mark-read, a"));
      showRead(card);
      showUnread(answer.unread);
      (next ?? document.getElementById("main")).focus();
    } catch (error) {
      button.disabled = false;
      fail(error);
    }
  });
}

markAll?.addEventListener("click", async () => {
  markAll.disabled = true;
  try {
    const answer = await api("POST", "/api/notifications/read-all");
    document.querySelectorAll(".notice-card.unread").forEach(showRead);
    showUnread(answer.unread);
    count.focus();
  } catch (error) {
    markAll.disabled = false;
    fail(error);
  }
});

const clock = new Intl.DateTimeFormat(words.lang, { dateStyle: "medium", timeStyle: "short" });
for (const time of document.querySelectorAll("time[datetime]")) {
  const moment = new Date(time.getAttribute("datetime"));
  if (!Number.isNaN(moment.getTime())) {
    time.textContent = clock.format(moment);
  }
}
