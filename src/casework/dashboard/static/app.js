// 积案监测 dashboard: signs in with a casework account and draws what the
// backlog API returns. No framework, no chart library, nothing from the
// internet: charts are small SVGs built here. Text from the API is always set
// with textContent (never innerHTML): case summaries are typed by citizens.
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "casework.dashboard.token";
const USER_KEY = "casework.dashboard.user";
const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

const fmt = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"));
const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");

// ------------------------------------------------------------------ auth

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(path, params) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) v.forEach((item) => url.searchParams.append(k, item));
    else url.searchParams.set(k, v);
  }
  const response = await fetch(url, { headers: { Authorization: "Bearer " + token() } });
  if (response.status === 401) { signOut(); throw new Error("登录已过期，请重新登录"); }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(detail);
  }
  return response;
}

async function signIn(event) {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  const body = JSON.stringify({ username: $("username").value.trim(), password: $("password").value });
  const response = await fetch(API + "/auth/token", {
    method: "POST", headers: { "Content-Type": "application/json" }, body,
  });
  if (!response.ok) { $("sign-in-error").textContent = "用户名或密码错误"; return; }
  const data = await response.json();
  sessionStorage.setItem(TOKEN_KEY, data.access_token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(data.user));
  $("password").value = "";
  location.hash = "#/summary";
  route();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  location.hash = "";
  route();
}

// ------------------------------------------------------------------ routing

function parseHash() {
  const [path, query] = (location.hash.slice(1) || "/summary").split("?");
  return { path, params: Object.fromEntries(new URLSearchParams(query || "")) };
}

function show(view) {
  for (const id of ["sign-in-view", "summary-view", "list-view"]) $(id).hidden = id !== view;
  $("nav").hidden = view === "sign-in-view";
}

async function route() {
  $("error").textContent = "";
  if (!token()) { show("sign-in-view"); $("username").focus(); return; }
  const user = JSON.parse(sessionStorage.getItem(USER_KEY) || "{}");
  $("who").textContent = `${user.username || ""}（辖区 ${user.jurisdiction || "全部"}）`;
  const { path, params } = parseHash();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.getAttribute("href") === "#" + path);
  try {
    if (path === "/overdue" || path === "/due-soon") { show("list-view"); await renderList(path.slice(1), params); }
    else { show("summary-view"); await renderSummary(params); }
    document.body.dataset.ready = location.hash || "#/summary";
  } catch (e) {
    $("error").textContent = "加载失败：" + e.message;
  }
}

// ------------------------------------------------------------------ summary

function crumbs(target, scope, scopeName, page) {
  target.replaceChildren();
  const user = JSON.parse(sessionStorage.getItem(USER_KEY) || "{}");
  const home = user.jurisdiction || "";
  const parts = [el("a", { href: `#/${page}` }, "本辖区")];
  const levels = [2, 4, 6, 9, 12].filter((n) => n > home.length && n <= (scope || "").length);
  for (const n of levels) {
    const prefix = scope.slice(0, n);
    parts.push(" › ", n === scope.length
      ? el("strong", { "data-test": "scope-name" }, scopeName || prefix)
      : el("a", { href: `#/${page}?division=${prefix}` }, prefix));
  }
  target.append(...parts);
}

function barCell(value, max, colour) {
  const s = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", role: "img" });
  s.append(svg("rect", { x: 0, y: 0, width: max ? (100 * value) / max : 0, height: 10, fill: colour }));
  return el("td", { class: "barcell" }, s);
}

function groupTable(table, summary, options) {
  const max = Math.max(1, ...summary.groups.map((g) => g.open));
  const head = el("tr", {}, el("th", {}, options.title), el("th", { class: "n" }, "在办"),
    el("th", { class: "n" }, "超期"), el("th", { class: "n" }, "临期"), el("th", { class: "barcell" }, ""));
  const rows = summary.groups.map((g) => {
    const key = Object.values(g.key)[0];
    let name = g.label;
    if (options.drill && g.drill_down) name = el("a", { href: `#/summary?division=${g.drill_down}`, "data-test": "drill" }, g.label);
    const overdue = options.listLinks && g.overdue
      ? el("a", { href: `#/overdue?${options.param}=${encodeURIComponent(key)}${options.scopeParam || ""}` }, fmt(g.overdue))
      : fmt(g.overdue);
    return el("tr", { "data-key": key === null ? "" : String(key) },
      el("td", {}, name), el("td", { class: "n", "data-col": "open" }, fmt(g.open)),
      el("td", { class: "n" + (g.overdue ? " late" : ""), "data-col": "overdue" }, overdue),
      el("td", { class: "n" + (g.due_soon ? " soon" : ""), "data-col": "due_soon" }, fmt(g.due_soon)),
      barCell(g.open, max, "#3867a8"));
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "暂无在办案件")));
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
}

async function renderSummary(params) {
  const division = params.division || null;
  const get = (path, extra) => api(path, { division, ...extra }).then((r) => r.json());
  const today = new Date();
  const yearAgo = new Date(today.getTime() - 364 * 86400000);
  const trendsFrom = new Date(today.getTime() - 12 * 7 * 86400000);
  const iso = (d) => d.toISOString().slice(0, 10);
  const [byDivision, byTrack, byStage, byBody, aging, trends, metrics] = await Promise.all([
    get("/backlog/summary", { group_by: "division" }).catch(() => null),
    get("/backlog/summary", { group_by: "track" }),
    get("/backlog/summary", { group_by: "stage" }),
    get("/backlog/summary", { group_by: "body" }),
    get("/backlog/aging"),
    get("/backlog/trends", { from: iso(trendsFrom), to: iso(today), interval: "week" }),
    get("/backlog/metrics", { from: iso(yearAgo), to: iso(today) }),
  ]);
  crumbs($("crumbs"), byTrack.scope, byTrack.scope_name, "summary");
  $("total-open").textContent = fmt(byTrack.totals.open);
  $("total-overdue").textContent = fmt(byTrack.totals.overdue);
  $("total-due-soon").textContent = fmt(byTrack.totals.due_soon);
  const scopeParam = division ? `&division=${division}` : "";
  if (byDivision) {
    $("division-title").textContent = `按区划（${byTrack.scope_name || "本辖区"}下一级）`;
    groupTable($("by-division"), byDivision, { title: "区划", drill: true, listLinks: true, param: "division" });
  } else {
    $("division-title").textContent = "按区划";
    $("by-division").replaceChildren(el("tbody", {}, el("tr", {}, el("td", { class: "muted" }, "已是村（社区）一级"))));
  }
  groupTable($("by-track"), byTrack, { title: "办理轨道", listLinks: true, param: "track", scopeParam });
  groupTable($("by-stage"), byStage, { title: "当前环节", listLinks: true, param: "stage", scopeParam });
  groupTable($("by-body"), byBody, { title: "办理机构", listLinks: true, param: "body_id", scopeParam });
  renderAging(aging);
  renderTrends(trends);
  renderMetrics(metrics);
}

function renderAging(aging) {
  const max = Math.max(1, ...aging.buckets.map((b) => b.open));
  const table = el("table", { class: "data" }, el("tbody", {}, aging.buckets.map((b) =>
    el("tr", { "data-key": b.bucket }, el("td", {}, b.bucket === "90+" ? "90天以上" : `${b.bucket}天`),
      el("td", { class: "n", "data-col": "open" }, fmt(b.open)), barCell(b.open, max, "#7a5ea8")))));
  $("aging").replaceChildren(table);
}

function renderTrends(trends) {
  const periods = trends.periods;
  const width = 760, height = 220, pad = 34;
  const max = Math.max(1, ...periods.flatMap((p) => [p.intake.total, p.closed.total]));
  const s = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": "受理与办结趋势" });
  const step = (width - pad * 2) / Math.max(1, periods.length);
  const y = (v) => height - pad - ((height - pad * 2) * v) / max;
  s.append(svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: "#d9dee5" }));
  const label = svg("text", { x: 2, y: pad - 8 }); label.textContent = fmt(max); s.append(label);
  periods.forEach((p, i) => {
    const x = pad + i * step;
    const bw = Math.max(2, step / 2 - 3);
    s.append(svg("rect", { x, y: y(p.intake.total), width: bw, height: height - pad - y(p.intake.total), fill: "#3867a8" }));
    s.append(svg("rect", { x: x + bw + 2, y: y(p.closed.total), width: bw, height: height - pad - y(p.closed.total), fill: "#1e7d4f" }));
    if (i % Math.ceil(periods.length / 6) === 0) {
      const t = svg("text", { x, y: height - pad + 16 }); t.textContent = p.start.slice(5); s.append(t);
    }
  });
  const legend = el("div", { class: "legend" }, el("i", { class: "intake" }), "受理", el("i", { class: "closed" }), "办结");
  const totals = el("p", { class: "muted", "data-test": "trend-totals" },
    `合计：受理 ${fmt(periods.reduce((a, p) => a + p.intake.total, 0))} 件，办结 ${fmt(periods.reduce((a, p) => a + p.closed.total, 0))} 件`);
  $("trends").replaceChildren(s, legend, totals);
}

function renderMetrics(m) {
  const card = (title, value, note, test) => el("div", { class: "metric", "data-test": test },
    el("span", {}, title), el("strong", {}, value), el("small", {}, note));
  const durations = m.days_to_conclusion.map((d) => `${d.track_zh} 平均 ${d.mean_days} 天 / 中位 ${d.median_days} 天`);
  const sat = m.satisfaction;
  $("metrics").replaceChildren(
    card("按期办结率", pct(m.on_time_conclusion_rate.rate),
      `${fmt(m.on_time_conclusion_rate.on_time)} / ${fmt(m.on_time_conclusion_rate.concluded)} 件`, "on-time"),
    card("调解成功率", pct(m.mediation_success_rate.rate),
      `${fmt(m.mediation_success_rate.agreements)} / ${fmt(m.mediation_success_rate.concluded)} 件`, "mediation"),
    card("重复信访率", pct(m.repeat_petition_rate.rate),
      `${fmt(m.repeat_petition_rate.repeats)} / ${fmt(m.repeat_petition_rate.petitions)} 件`, "repeat"),
    card("满意率", sat.available ? pct(sat.satisfied_share) : "—",
      sat.available ? `满意 ${sat.counts.satisfied}，基本满意 ${sat.counts.basically_satisfied}，不满意 ${sat.counts.dissatisfied}` : "暂无评价数据", "satisfaction"),
    card("办结用时", durations.length ? "" : "—", durations.join("；") || "期内无办结", "durations"),
  );
}

// ------------------------------------------------------------------ lists

let listState = null;

async function renderList(which, params) {
  const filters = { division: params.division, track: params.track, stage: params.stage, body_id: params.body_id };
  listState = { which, filters, cursor: null };
  $("list-title").textContent = which === "overdue" ? "超期清单" : "临期清单";
  crumbs($("list-crumbs"), params.division || "", params.division || "", which);
  $("due-list").replaceChildren(el("thead", {}, el("tr", {},
    ["案件编号", "事由", "所在区划", "办理机构", "轨道 / 环节", "时限事项", "到期日",
      which === "overdue" ? "逾期(天)" : "剩余工作日", "督办"].map((h, i) => el("th", { class: i === 7 ? "n" : "" }, h)))),
    el("tbody", { id: "due-rows" }));
  await loadMore();
}

async function loadMore() {
  const { which, filters, cursor } = listState;
  const body = await (await api(`/backlog/${which === "overdue" ? "overdue" : "due-soon"}`,
    { ...filters, cursor, limit: 100 })).json();
  $("list-note").textContent = `截至 ${body.as_of}；临期指到期日不晚于 ${body.due_soon_until}`;
  const rows = body.items.map((item) => el("tr", { "data-reference": item.reference },
    el("td", {}, item.reference), el("td", {}, item.summary), el("td", {}, item.division_name || item.division_code),
    el("td", {}, item.body_name || "—"), el("td", {}, `${item.track_zh} / ${item.stage_zh}`),
    el("td", {}, item.clock ? item.clock.step_zh : "—"), el("td", {}, item.clock ? item.clock.due_on : "—"),
    el("td", { class: "n " + (which === "overdue" ? "late" : "soon"), "data-col": "days" },
      which === "overdue" ? String(item.days_overdue) : String(item.working_days_left)),
    el("td", {}, item.supervised ? "督办中" : "")));
  $("due-rows").append(...rows);
  if (!$("due-rows").children.length) {
    $("due-rows").append(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "清单为空")));
  }
  listState.cursor = body.next_cursor;
  $("more").hidden = !body.next_cursor;
}

async function exportList() {
  const { which, filters } = listState;
  const response = await api("/backlog/export.csv", { list: which, ...filters });
  const blob = await response.blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `${which === "overdue" ? "超期清单" : "临期清单"}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", (e) => signIn(e).catch((err) => { $("sign-in-error").textContent = err.message; }));
  $("sign-out").addEventListener("click", signOut);
  $("more").addEventListener("click", () => loadMore().catch((e) => { $("error").textContent = e.message; }));
  $("export").addEventListener("click", () => exportList().catch((e) => { $("error").textContent = e.message; }));
  window.addEventListener("hashchange", route);
  route();
});
