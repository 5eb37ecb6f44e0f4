// The overview: totals, the period, rankings (who is falling behind), the
// shaded tile map of the divisions below, the backlog by track, stage and
// body, aging, intake against closures, and the assessment indexes with the
// previous period beside them.

import {
  $, el, svg, fmt, pct, get, delta, stackedBar, barLegend, session, chosenPeriod, choosePeriod,
  periodDates, checkCustom, PERIOD_ZH,
} from "./core.js";

const LEVEL_ZH = { 2: "省", 4: "市", 6: "区县", 9: "乡镇（街道）", 12: "村（社区）" };
const LEVELS = [2, 4, 6, 9, 12];
const childLevel = (scope) => LEVELS.find((n) => n > scope.length) || null;

export function crumbs(target, scopePath, tail) {
  const home = session.user().jurisdiction || "";
  const path = scopePath.filter((c) => c.prefix.length >= home.length);
  const parts = [];
  if (!path.length) parts.push(el("a", { href: "#/summary" }, "全部"));
  path.forEach((c, i) => {
    if (i) parts.push(el("span", { class: "sep" }, "›"));
    const last = i === path.length - 1 && !tail;
    const href = c.prefix.length <= home.length ? "#/summary" : `#/summary?division=${c.prefix}`;
    parts.push(last ? el("strong", { "data-test": "scope-name" }, c.name) : el("a", { href, "data-prefix": c.prefix }, c.name));
  });
  if (tail) parts.push(el("span", { class: "sep" }, "›"), el("strong", { "data-test": "crumb-tail" }, tail));
  target.replaceChildren(...parts);
}

function hashWith(params, changes) {
  const merged = { ...params, ...changes };
  const query = new URLSearchParams(Object.entries(merged).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  return "#/summary" + (query.toString() ? "?" + query : "");
}

// ------------------------------------------------------------------ period bar

// The period in the address (a link can be shared), else the last one chosen.
function periodChoice(params) {
  let choice = null;
  if (params.period === "custom" && !checkCustom(params.from, params.to)) choice = { kind: "custom", from: params.from, to: params.to };
  else if (["month", "quarter", "year"].includes(params.period)) choice = { kind: params.period };
  if (!choice) return chosenPeriod();
  choosePeriod(choice);
  return choice;
}

function periodBar(dates, choice, params) {
  const go = (chosen) => {
    choosePeriod(chosen);
    location.hash = hashWith(params, { period: chosen.kind, from: chosen.from || null, to: chosen.to || null });
  };
  const [nowName, beforeName] = PERIOD_ZH[choice.kind];
  const buttons = ["month", "quarter", "year", "custom"].map((kind) => el("button", {
    type: "button", class: "chip" + (choice.kind === kind ? " on" : ""), "data-period": kind,
    "aria-pressed": String(choice.kind === kind),
    onclick: () => {
      if (kind === "custom") { $("custom-period").hidden = false; $("period-from").focus(); return; }
      go({ kind });
    },
  }, PERIOD_ZH[kind][0]));
  const error = el("span", { class: "error", id: "period-error", role: "alert" });
  const custom = el("form", { id: "custom-period", class: "custom-period", hidden: choice.kind !== "custom",
    onsubmit: (e) => {
      e.preventDefault();
      const from = $("period-from").value, to = $("period-to").value;
      const problem = checkCustom(from, to);
      if (problem) { error.textContent = problem; return; }
      go({ kind: "custom", from, to });
    } },
  el("label", {}, "自", el("input", { type: "date", id: "period-from", min: "1990-01-01", max: "2100-12-31", value: dates.from })),
  el("label", {}, "至", el("input", { type: "date", id: "period-to", min: "1990-01-01", max: "2100-12-31", value: dates.to })),
  el("button", { type: "submit", id: "period-apply" }, "应用"), error);
  const label = el("p", { class: "muted period-label" },
    el("span", { "data-test": "period-label" }, `${nowName}：${dates.from} 至 ${dates.to}`), "；",
    el("span", { "data-test": "previous-label" }, `${beforeName}：${dates.previousFrom} 至 ${dates.previousTo}`),
    "（趋势、办结率和考核指标按所选期间统计；在办、超期、临期按今天统计）");
  $("period").replaceChildren(el("div", { class: "period-chips" }, el("span", { class: "muted" }, "统计期间"), buttons), custom, label);
}

// ------------------------------------------------------------------ rankings

function rankTabs(scope) {
  const tabs = [];
  const child = childLevel(scope);
  if (child) tabs.push([`division:${child}`, `按${LEVEL_ZH[child]}`]);
  const grandchild = child && LEVELS.find((n) => n > child);
  if (grandchild) tabs.push([`division:${grandchild}`, `按${LEVEL_ZH[grandchild]}`]);
  tabs.push(["body", "按办理机构"], ["category", "按类别"]);
  return tabs;
}

function rankingTable(body, params, scope) {
  const max = Math.max(1, ...body.rows.map((r) => r.open));
  const drillParam = body.by === "division" ? "division" : body.by === "body" ? "body_id" : "category";
  const head = el("tr", {}, ["名次", "名称", "在办", "超期", "临期", "超期率", "在办构成", "本期办结（按期/办结）", "按期办结率",
    "上期按期办结率", "较上期"].map((h, i) => el("th", { class: i >= 2 && i !== 6 ? "n" : i === 6 ? "barcell" : "" }, h)));
  const rows = body.rows.map((r) => {
    let name = r.label;
    if (r.drill_down) name = el("a", { href: hashWith(params, { division: r.drill_down }), "data-test": "drill" }, r.label);
    const overdueLink = r.overdue && r.key !== null
      ? el("a", { href: `#/overdue?${drillParam}=${encodeURIComponent(r.key)}${drillParam !== "division" && scope ? `&division=${scope}` : ""}` }, fmt(r.overdue))
      : fmt(r.overdue);
    return el("tr", { "data-key": r.key === null ? "" : r.key },
      el("td", { class: "n rank", "data-col": "rank" }, r.rank === null ? "—" : String(r.rank)),
      el("td", { "data-col": "label" }, name),
      el("td", { class: "n", "data-col": "open" }, fmt(r.open)),
      el("td", { class: "n" + (r.overdue ? " late" : ""), "data-col": "overdue" }, overdueLink),
      el("td", { class: "n" + (r.due_soon ? " soon" : ""), "data-col": "due_soon" }, fmt(r.due_soon)),
      el("td", { class: "n", "data-col": "overdue_rate" }, pct(r.overdue_rate)),
      el("td", { class: "barcell" }, stackedBar(r.open, r.overdue, r.due_soon, max)),
      el("td", { class: "n", "data-col": "concluded" }, `${fmt(r.on_time)} / ${fmt(r.concluded)}`),
      el("td", { class: "n", "data-col": "on_time_rate" }, pct(r.on_time_rate)),
      el("td", { class: "n", "data-col": "previous_on_time_rate" }, pct(r.previous_on_time_rate),
        el("small", { class: "muted" }, ` (${fmt(r.previous_on_time)}/${fmt(r.previous_concluded)})`)),
      el("td", { class: "n", "data-col": "change" }, delta(r.on_time_rate, r.previous_on_time_rate, { higherIsBetter: true })));
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 11, class: "muted" }, "暂无数据")));
  const t = body.totals;
  const foot = el("tr", { class: "total" }, el("td", {}), el("td", {}, "合计"), el("td", { class: "n" }, fmt(t.open)),
    el("td", { class: "n" }, fmt(t.overdue)), el("td", { class: "n" }, fmt(t.due_soon)), el("td", { class: "n", "data-col": "overdue_rate" }, pct(t.overdue_rate)),
    el("td", {}), el("td", { class: "n" }, `${fmt(t.on_time)} / ${fmt(t.concluded)}`), el("td", { class: "n", "data-col": "on_time_rate" }, pct(t.on_time_rate)),
    el("td", { class: "n" }, pct(t.previous_on_time_rate)), el("td", { class: "n" }, delta(t.on_time_rate, t.previous_on_time_rate, { higherIsBetter: true })));
  return el("table", { class: "data", "data-test": "rankings", "data-by": body.by, "data-sort": body.sort },
    el("thead", {}, head), el("tbody", {}, rows), el("tfoot", {}, foot));
}

function renderRankings(body, params, scope, rankKey, sort) {
  const tabs = rankTabs(scope).map(([key, label]) => el("a", {
    class: "chip" + (key === rankKey ? " on" : ""), href: hashWith(params, { rank: key }), "data-rank": key }, label));
  const sorts = [["overdue_rate", "按超期率"], ["on_time_rate", "按按期办结率"]].map(([key, label]) => el("a", {
    class: "chip" + (key === sort ? " on" : ""), href: hashWith(params, { sort: key }), "data-sort": key }, label));
  const order = sort === "overdue_rate" ? "超期率从高到低" : "按期办结率从低到高";
  $("rankings").replaceChildren(
    el("div", { class: "chips" }, tabs, el("span", { class: "gap" }), sorts),
    el("p", { class: "muted" }, `落后者在前（${order}）；超期率 = 超期 ÷ 在办（按今天）；按期办结率按所选期间，上期为 ${body.previous.from} 至 ${body.previous.to}。`),
    el("div", { class: "scroll" }, rankingTable(body, params, scope)), barLegend());
}

// ------------------------------------------------------------------ the tile map

const SHADES = [[0, "#e3efe0", "#1d2633"], [0.1, "#fbd9bd", "#1d2633"], [0.25, "#f2a173", "#1d2633"],
  [0.5, "#d9583a", "#ffffff"], [1.01, "#9e2216", "#ffffff"]];

function shade(row) {
  if (!row.open) return ["#eef0f3", "#5f6b7a"];
  if (!row.overdue) return [SHADES[0][1], SHADES[0][2]];
  const band = SHADES.slice(1).find(([upTo]) => row.overdue_rate <= upTo);
  return [band[1], band[2]];
}

function renderMap(body, params) {
  const rows = [...body.rows].sort((a, b) => (a.key || "").localeCompare(b.key || ""));
  if (!rows.length) { $("map").replaceChildren(el("p", { class: "muted" }, "下级区划暂无数据")); return; }
  const w = 168, h = 84, gap = 8;
  // As many columns as fit the card (two on a phone), at most four for a dozen, six for more.
  const fit = Math.max(1, Math.floor(($("map").clientWidth || 700) / 150));  // tiles may shrink a little
  const cols = Math.max(1, Math.min(rows.length, rows.length <= 12 ? 4 : 6, fit));
  const height = Math.ceil(rows.length / cols) * (h + gap);
  // Drawn at its own size (a county of two townships stays small), narrower on a phone.
  const s = svg("svg", { viewBox: `0 0 ${cols * (w + gap)} ${height}`, width: cols * (w + gap), class: "tilemap", role: "img",
    "aria-label": `${body.scope_name || ""}下级区划超期率分布` });
  rows.forEach((r, i) => {
    const x = (i % cols) * (w + gap), y = Math.floor(i / cols) * (h + gap);
    const [fill, ink] = shade(r);
    const tile = svg("g", {},
      svg("title", {}, `${r.label}：在办 ${r.open}，超期 ${r.overdue}，临期 ${r.due_soon}，超期率 ${pct(r.overdue_rate)}`),
      svg("rect", { x, y, width: w, height: h, rx: 6, fill, stroke: "#ffffff", "stroke-width": 2 }),
      svg("text", { x: x + 10, y: y + 24, class: "tile-name", fill: ink }, r.label),
      svg("text", { x: x + 10, y: y + 48, class: "tile-rate", fill: ink }, r.open ? `超期率 ${pct(r.overdue_rate)}` : "无在办案件"),
      svg("text", { x: x + 10, y: y + 70, class: "tile-count", fill: ink }, `在办 ${fmt(r.open)} · 超期 ${fmt(r.overdue)}`));
    if (r.drill_down) {
      s.append(svg("a", { href: hashWith(params, { division: r.drill_down }), "data-key": r.key, class: "tile" }, tile));
    } else {
      tile.setAttribute("data-key", r.key || "");
      s.append(tile);
    }
  });
  const legend = el("div", { class: "legend shades" }, "超期率：",
    ...[["#eef0f3", "无在办"], ["#e3efe0", "0"], ["#fbd9bd", "≤10%"], ["#f2a173", "≤25%"], ["#d9583a", "≤50%"], ["#9e2216", ">50%"]]
      .map(([colour, text]) => el("span", {}, svgSwatch(colour), text)));
  $("map").replaceChildren(s, legend);
}

function svgSwatch(colour) {
  return svg("svg", { viewBox: "0 0 10 10", width: 12, height: 12, class: "swatch" }, svg("rect", { width: 10, height: 10, fill: colour }));
}

// ------------------------------------------------------------------ groups, aging, trends, metrics

function groupTable(table, summary, options) {
  const max = Math.max(1, ...summary.groups.map((g) => g.open));
  const head = el("tr", {}, el("th", {}, options.title), el("th", { class: "n" }, "在办"),
    el("th", { class: "n" }, "超期"), el("th", { class: "n" }, "临期"), el("th", { class: "barcell" }, ""));
  const rows = summary.groups.map((g) => {
    const key = Object.values(g.key)[0];
    const overdue = g.overdue
      ? el("a", { href: `#/overdue?${options.param}=${encodeURIComponent(key)}${options.scopeParam || ""}` }, fmt(g.overdue))
      : fmt(g.overdue);
    return el("tr", { "data-key": key === null ? "" : String(key) },
      el("td", {}, g.label), el("td", { class: "n", "data-col": "open" }, fmt(g.open)),
      el("td", { class: "n" + (g.overdue ? " late" : ""), "data-col": "overdue" }, overdue),
      el("td", { class: "n" + (g.due_soon ? " soon" : ""), "data-col": "due_soon" }, fmt(g.due_soon)),
      el("td", { class: "barcell" }, stackedBar(g.open, g.overdue, g.due_soon, max)));
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "暂无在办案件")));
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
}

function renderAging(aging) {
  const max = Math.max(1, ...aging.buckets.map((b) => b.open));
  const table = el("table", { class: "data" }, el("tbody", {}, aging.buckets.map((b) => {
    const bar = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none" },
      svg("rect", { x: 0, y: 0, width: (100 * b.open) / max, height: 10, fill: "#7a5ea8" }));
    return el("tr", { "data-key": b.bucket }, el("td", {}, b.bucket === "90+" ? "90天以上" : `${b.bucket}天`),
      el("td", { class: "n", "data-col": "open" }, fmt(b.open)), el("td", { class: "barcell" }, bar));
  })));
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
  s.append(svg("text", { x: 2, y: pad - 8 }, fmt(max)));
  periods.forEach((p, i) => {
    const x = pad + i * step;
    const bw = Math.max(2, step / 2 - 3);
    s.append(svg("rect", { x, y: y(p.intake.total), width: bw, height: height - pad - y(p.intake.total), fill: "#3867a8" }));
    s.append(svg("rect", { x: x + bw + 2, y: y(p.closed.total), width: bw, height: height - pad - y(p.closed.total), fill: "#1e7d4f" }));
    if (i % Math.ceil(periods.length / 6) === 0) s.append(svg("text", { x, y: height - pad + 16 }, p.start.slice(trends.interval === "week" ? 5 : 0, 10)));
  });
  const legend = el("div", { class: "legend" }, el("i", { class: "intake" }), "受理", el("i", { class: "closed" }), "办结");
  const totals = el("p", { class: "muted", "data-test": "trend-totals" },
    `合计：受理 ${fmt(periods.reduce((a, p) => a + p.intake.total, 0))} 件，办结 ${fmt(periods.reduce((a, p) => a + p.closed.total, 0))} 件`);
  $("trends-title").textContent = `受理与办结（${trends.from} 至 ${trends.to}，按${trends.interval === "week" ? "周" : "月"}）`;
  $("trends").replaceChildren(s, legend, totals);
}

function renderMetrics(now, before, names) {
  const card = (title, test, value, previous, counts, higherIsBetter) => el("div", { class: "metric", "data-test": test },
    el("span", {}, title), el("strong", { "data-col": "value" }, pct(value)),
    el("small", { "data-col": "counts" }, counts),
    el("small", {}, `${names[1]} `, el("b", { "data-col": "previous" }, pct(previous)), " ", delta(value, previous, { higherIsBetter })));
  const sat = (m) => (m.satisfaction.available ? m.satisfaction.satisfied_share : null);
  const durations = now.days_to_conclusion.map((d) => `${d.track_zh} 平均 ${d.mean_days} 天 / 中位 ${d.median_days} 天`);
  $("metrics-title").textContent = `考核指标（${names[0]} ${now.from} 至 ${now.to}，${names[1]} ${before.from} 至 ${before.to}）`;
  $("metrics").replaceChildren(
    card("按期办结率", "metric-on-time", now.on_time_conclusion_rate.rate, before.on_time_conclusion_rate.rate,
      `${fmt(now.on_time_conclusion_rate.on_time)} / ${fmt(now.on_time_conclusion_rate.concluded)} 件`, true),
    card("调解成功率", "metric-mediation", now.mediation_success_rate.rate, before.mediation_success_rate.rate,
      `${fmt(now.mediation_success_rate.agreements)} / ${fmt(now.mediation_success_rate.concluded)} 件`, true),
    card("重复信访率", "metric-repeat", now.repeat_petition_rate.rate, before.repeat_petition_rate.rate,
      `${fmt(now.repeat_petition_rate.repeats)} / ${fmt(now.repeat_petition_rate.petitions)} 件`, false),
    card("满意率", "metric-satisfaction", sat(now), sat(before), now.satisfaction.available
      ? `满意 ${now.satisfaction.counts.satisfied}，基本满意 ${now.satisfaction.counts.basically_satisfied}，不满意 ${now.satisfaction.counts.dissatisfied}`
      : "暂无评价数据", true),
    el("div", { class: "metric", "data-test": "metric-durations" }, el("span", {}, "办结用时"),
      el("small", {}, durations.join("；") || "期内无办结")),
  );
}

// ------------------------------------------------------------------ the page

export async function renderSummary(params) {
  const division = params.division || null;
  const choice = periodChoice(params);
  const byTrack = await get("/backlog/summary", { group_by: "track", division });
  const scope = byTrack.scope || "";
  const dates = periodDates(choice, byTrack.as_of);
  const names = PERIOD_ZH[choice.kind];
  const span = (new Date(dates.to) - new Date(dates.from)) / 86400000;
  const child = childLevel(scope);
  const rankKey = params.rank && rankTabs(scope).some(([k]) => k === params.rank) ? params.rank : rankTabs(scope)[0][0];
  const sort = params.sort === "on_time_rate" ? "on_time_rate" : "overdue_rate";
  const [by, depth] = rankKey.split(":");
  const period = { from: dates.from, to: dates.to };
  const previous = { from: dates.previousFrom, to: dates.previousTo };
  // The map is the ranking of the level below: one request when the table shows that level too.
  const mapIsTable = by === "division" && Number(depth) === child;
  const [byStage, byBody, aging, trends, now, before, ranked, mapOnly, supervised] = await Promise.all([
    get("/backlog/summary", { group_by: "stage", division }),
    get("/backlog/summary", { group_by: "body", division }),
    get("/backlog/aging", { division }),
    get("/backlog/trends", { ...period, interval: span > 92 ? "month" : "week", division }),
    get("/backlog/metrics", { ...period, division }),
    get("/backlog/metrics", { ...previous, division }),
    get("/backlog/rankings", { by, depth, sort, ...period, previous_from: previous.from, previous_to: previous.to, division }),
    child && !mapIsTable ? get("/backlog/rankings", { by: "division", ...period, division }) : Promise.resolve(null),
    get("/supervision", { state: "open", limit: 1, division }),
  ]);
  const mapped = mapIsTable ? ranked : mapOnly;
  crumbs($("crumbs"), byTrack.scope_path);
  periodBar(dates, choice, params);
  const t = byTrack.totals;
  $("total-open").textContent = fmt(t.open);
  $("total-overdue").textContent = fmt(t.overdue);
  $("total-overdue-rate").textContent = t.open ? `超期率 ${pct(t.overdue / t.open)}` : "";
  $("total-due-soon").textContent = fmt(t.due_soon);
  $("total-supervised").textContent = fmt(supervised.total);
  const within = division ? `division=${division}` : "";
  $("supervised-link").setAttribute("href", `#/supervision?state=open${within ? "&" + within : ""}`);
  $("overdue-link").setAttribute("href", `#/overdue${within ? "?" + within : ""}`);
  $("due-soon-link").setAttribute("href", `#/due-soon${within ? "?" + within : ""}`);
  $("rankings-title").textContent = `排名（${byTrack.scope_name || "本辖区"}）`;
  renderRankings(ranked, params, scope, rankKey, sort);
  $("map-card").hidden = !mapped;
  if (mapped) {
    $("map-title").textContent = `${byTrack.scope_name || ""}各${LEVEL_ZH[child]}超期率分布（点击进入）`;
    renderMap(mapped, params);
  }
  const scopeParam = division ? `&division=${division}` : "";
  groupTable($("by-track"), byTrack, { title: "办理轨道", param: "track", scopeParam });
  groupTable($("by-stage"), byStage, { title: "当前环节", param: "stage", scopeParam });
  groupTable($("by-body"), byBody, { title: "办理机构", param: "body_id", scopeParam });
  renderAging(aging);
  renderTrends(trends);
  renderMetrics(now, before, names);
}
