// The committee's dashboard: draws its charts (ECharts) from the same API the page's tables
// come from. The tables stay the text alternative. ECharts is fetched only when the charts
// come near the screen (on a phone: when asked for), so the figures come first.
import { api, messages } from "/static/js/portal.js";

const RED = "#a3131a";
const GOLD = "#b7791f";
const BLUE = "#1a4fa0";
const BRANCHES_DRAWN = 20; // the chart shows the branches furthest behind; the table all

const words = messages();
const holder = document.getElementById("dashboard");

/**
 * What the dashboard APIs answer (server/routes/dashboard.py), as far as the charts read it.
 * @typedef {{month: string, hours: number, active: number}} TrendMonth
 * @typedef {{name: string, hours_to_date_per_member: number, due_per_member: number}} BranchRow
 * @typedef {{title: string, members: number}} ExhibitRow
 * @typedef {{trend: TrendMonth[], branches: BranchRow[], exhibits: ExhibitRow[]}} Overview
 * @typedef {{months: {month: string, hours: number, facts: number}[]}} MemberYear
 */

/**
 * The chart in element ``id`` (null when the page has none), drawn with ``option``.
 * @param {string} id @param {import("echarts").EChartsOption} option @param {number} [height]
 */
function chart(id, option, height) {
  const element = document.getElementById(id);
  if (!element) return null;
  if (height) element.style.height = `${height}px`;
  const drawn = window.echarts.init(element, null, { renderer: "canvas" });
  drawn.setOption({ animation: false, textStyle: { fontFamily: "inherit" }, ...option });
  window.addEventListener("resize", () => drawn.resize());
  return drawn;
}

const grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
const legend = { top: 0 };
const shortMonth = (/** @type {string} */ month) => String(Number(month.slice(5)));

/** @param {Overview} view */
function drawOverview(view) {
  chart("chart-trend", {
    grid, legend, tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: view.trend.map((m) => shortMonth(m.month)) },
    yAxis: [{ type: "value", name: words.hours_axis }, { type: "value", name: words.people_axis, minInterval: 1 }],
    series: [
      { name: words.hours, type: "line", data: view.trend.map((m) => m.hours), color: RED, symbolSize: 6 },
      { name: words.active, type: "line", yAxisIndex: 1, data: view.trend.map((m) => m.active), color: BLUE, symbolSize: 6 },
    ],
  });
  const branches = view.branches.slice(0, BRANCHES_DRAWN).reverse();
  if (branches.length) {
    chart("chart-branches", {
      grid, legend, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", name: words.hours_axis },
      yAxis: { type: "category", data: branches.map((b) => b.name), axisLabel: { width: 110, overflow: "truncate" } },
      series: [
        { name: words.hours_to_date, type: "bar", data: branches.map((b) => b.hours_to_date_per_member), color: RED },
        { name: words.due, type: "bar", data: branches.map((b) => b.due_per_member), color: GOLD },
      ],
    }, Math.max(240, branches.length * 44 + 70));
  }
  const exhibits = view.exhibits.slice().reverse();
  chart("chart-exhibits", {
    grid, legend, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value", name: words.people_axis, minInterval: 1 },
    yAxis: { type: "category", data: exhibits.map((e) => e.title), axisLabel: { width: 110, overflow: "truncate" } },
    series: [{ name: words.members_credited, type: "bar", data: exhibits.map((e) => e.members), color: RED }],
  }, Math.max(240, exhibits.length * 36 + 70));
}

/** @param {MemberYear} year */
function drawMember(year) {
  chart("chart-member", {
    grid, legend, tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: year.months.map((m) => shortMonth(m.month)) },
    yAxis: [{ type: "value", name: words.hours_axis }, { type: "value", name: words.facts, minInterval: 1 }],
    series: [
      { name: words.hours, type: "bar", data: year.months.map((m) => m.hours), color: RED },
      { name: words.facts, type: "line", yAxisIndex: 1, data: year.months.map((m) => m.facts), color: BLUE, symbolSize: 6 },
    ],
  });
}

const CHARTS = "/vendor/echarts.min.js";

/**
 * Resolves once ``element`` comes near the screen.
 * @param {Element} element @returns {Promise<void>}
 */
function near(element) {
  return new Promise((resolve) => {
    const watch = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        watch.disconnect();
        resolve();
      }
    }, { rootMargin: "300px" });
    watch.observe(element);
  });
}

// On a phone the tables carry the figures and the charts come on a tap: the chart library
// costs a phone's CPU more than a second, and its data allowance
const NARROW = window.matchMedia("(max-width: 40rem)");

/**
 * Resolves once the reader asks for the charts.
 * @param {Element} before @returns {Promise<void>}
 */
function tapped(before) {
  return new Promise((resolve) => {
    const button = document.createElement("button");
    button.type = "button";
    button.id = "show-charts";
    button.textContent = words.show;
    button.addEventListener("click", () => {
      button.remove();
      resolve();
    });
    before.before(button);
  });
}

/** @param {Element} first */
function wanted(first) {
  return NARROW.matches ? tapped(first) : near(first);
}

/** Runs the script at ``src``. @param {string} src */
function load(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(src));
    document.head.append(script);
  });
}

async function main() {
  if (!holder) return;
  try {
    await wanted(document.querySelector(".chart") ?? holder);
    if (!window.echarts) await load(CHARTS);
    const data = await api("GET", holder.dataset.api);
    if (holder.dataset.kind === "member") drawMember(data);
    else drawOverview(data);
    holder.dataset.drawn = "true";
  } catch (error) {
    const alert = document.createElement("p");
    alert.className = "alert";
    alert.setAttribute("role", "alert");
    alert.textContent = words.load_failed + error.message;
    holder.append(alert);
  }
}

main();
