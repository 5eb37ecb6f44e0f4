// Shared pieces of the dashboard: DOM helpers, the API client with the
// session's token, the signed-in user, the reference terms (Chinese labels)
// and the period the chief chose. Text from the API is always set with
// textContent (never innerHTML): case summaries are typed by citizens.

export const API = "/api/v1";
const TOKEN_KEY = "casework.dashboard.token";
const USER_KEY = "casework.dashboard.user";
const EXPIRES_KEY = "casework.dashboard.expires";
const PERIOD_KEY = "casework.dashboard.period";
const SVG_NS = "http://www.w3.org/2000/svg";

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const fmt = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"));
export const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");
export const day = (iso) => (iso ? String(iso).slice(0, 10) : "—");
export const moment = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—");

// A change between two rates, in percentage points, with its direction.
export function delta(now, before, { higherIsBetter }) {
  if (now === null || now === undefined || before === null || before === undefined) return el("span", { class: "muted" }, "—");
  const points = (now - before) * 100;
  if (Math.abs(points) < 0.05) return el("span", { class: "muted" }, "持平");
  const better = higherIsBetter ? points > 0 : points < 0;
  return el("span", { class: better ? "better" : "worse" }, `${points > 0 ? "▲" : "▼"} ${Math.abs(points).toFixed(1)} 个百分点`);
}

// A bar showing overdue and due-soon as parts of the open cases.
export function stackedBar(open, overdue, dueSoon, max) {
  const s = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", role: "img",
    "aria-label": `在办 ${open}，其中超期 ${overdue}，临期 ${dueSoon}` });
  const scale = max ? 100 / max : 0;
  const parts = [[overdue, "#c0392b"], [dueSoon, "#d68910"], [Math.max(0, open - overdue - dueSoon), "#3867a8"]];
  let x = 0;
  for (const [n, colour] of parts) {
    if (!n) continue;
    s.append(svg("rect", { x, y: 0, width: n * scale, height: 10, fill: colour }));
    x += n * scale;
  }
  return s;
}

// On a phone a "stack" table shows each row as a small card: every cell is
// labelled with its column's heading (CSS shows data-label before it).
export function labelCells(table) {
  const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, i) => { if (headings[i] && !cell.hasAttribute("colspan")) cell.setAttribute("data-label", headings[i]); });
  }
  table.classList.add("stack");
  return table;
}

export const barLegend = () => el("div", { class: "legend" },
  el("i", { class: "overdue" }), "超期", el("i", { class: "soon" }), "临期", el("i", { class: "rest" }), "其他在办");

// ------------------------------------------------------------------ session

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  user: () => JSON.parse(sessionStorage.getItem(USER_KEY) || "{}"),
  save(data) {
    sessionStorage.setItem(TOKEN_KEY, data.access_token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(data.user));
    sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + data.expires_in * 1000));
  },
  clear() {
    for (const key of [TOKEN_KEY, USER_KEY, EXPIRES_KEY]) sessionStorage.removeItem(key);
  },
};

let onExpired = () => {};
export function whenExpired(callback) { onExpired = callback; }

// Access tokens are short (30 minutes by default): renew one that is about
// to end, while it is still valid (POST /auth/refresh), so a chief's morning
// is not cut off.
let refreshing = null;
async function freshToken() {
  const expires = Number(sessionStorage.getItem(EXPIRES_KEY) || 0);
  if (expires && Date.now() > expires - 5 * 60 * 1000 && Date.now() < expires) {
    refreshing = refreshing || fetch(API + "/auth/refresh", { method: "POST", headers: { Authorization: "Bearer " + session.token() } })
      .then(async (r) => { if (r.ok) session.save(await r.json()); })
      .finally(() => { refreshing = null; });
    await refreshing;
  }
  return session.token();
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function request(method, path, { params, body, ifMatch } = {}) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) v.forEach((item) => url.searchParams.append(k, item));
    else url.searchParams.set(k, v);
  }
  const headers = { Authorization: "Bearer " + (await freshToken()) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) { onExpired(); throw new ApiError(401, { detail: "登录已过期，请重新登录" }); }
  if (!response.ok) {
    let problem = { detail: response.statusText };
    try { problem = await response.json(); } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  return response;
}

export const get = (path, params) => request("GET", path, { params }).then((r) => r.json());

// ------------------------------------------------------------------ reference terms

let terms = null;
export async function reference() {
  if (!terms) {
    const ref = await get("/reference");
    terms = {
      tracks: Object.fromEntries(ref.terms.tracks.map((t) => [t.code, t])),
      stages: Object.fromEntries(ref.terms.stages.map((s) => [s.code, s.label_zh])),
      statuses: Object.fromEntries(ref.terms.statuses.map((s) => [s.code, s.label_zh])),
      categories: Object.fromEntries(ref.categories.map((c) => [c.code, c.label_zh])),
      limits: Object.fromEntries(ref.time_limits.map((l) => [l.code, l.step_zh])),
    };
  }
  return terms;
}

export const WHOSE_ZH = { body: "办理机关", party: "当事人", court: "法院" };
export const CLOCK_STATUS_ZH = {
  running: "计时中", due_soon: "临期", breached: "已超期", paused: "已暂停", lapsed: "期限已届满",
  met: "按期完成", late: "逾期完成", deemed: "依法视为", not_applicable: "不适用",
};
export const ROLE_ZH = { clerk: "登记员", mediator: "调解员", officer: "经办人", supervisor: "督办人", admin: "管理员", auditor: "审计" };
export const PARTY_ROLE_ZH = { applicant: "申请人", respondent: "被申请人", third_party: "第三人", agent: "代理人" };
export const KIND_ZH = { petition: "信访", dispute: "矛盾纠纷" };
export const RISK_ZH = { low: "低", medium: "中", high: "高", critical: "重大" };
export const ACTION_ZH = {
  accept: "受理", decline: "不予受理", assign: "转送交办", record_session: "记录调解", pause_clock: "暂停计时",
  resume_clock: "恢复计时", extend_deadline: "延长期限", conclude: "办结", escalate: "转入后续程序",
  request_review: "申请复查", request_re_review: "申请复核", supervise: "督办", close: "结案", reopen: "重新办理",
  request_supplement: "要求补正", supplement_received: "补正材料已收到", withdraw: "撤回", give_guidance: "告知救济途径",
  convert_to_ordinary: "转为普通程序", find_same_matter: "认定为同一事项", find_new_matter: "认定为新事项",
  forward: "转送", return_matter: "退回", report_back: "办结报告", record_return_visit: "回访",
  assign_leader: "领导包案", record_leader_action: "包案领导办理情况",
};
export const EVENT_ZH = {
  case_registered: "登记", routing_decided: "分流", clock_started: "时限开始计算", clock_stopped: "时限停止",
  clock_due_soon: "时限临期提醒", clock_breached: "时限超期", clock_paused: "暂停计时", clock_resumed: "恢复计时",
  clock_recomputed: "时限重新计算", breach_withdrawn: "撤销超期标记", effective_on_corrected: "更正生效日期", deadline_extended: "延长期限",
  late_extension_recorded: "逾期后登记的延期", accepted: "受理", not_accepted: "不予受理", assigned: "转送交办",
  concluded: "办结", escalated: "转入后续程序", closed: "结案", reopened: "重新办理", withdrawn: "撤回",
  terminated: "终结", supervised: "督办", supervision_responded: "督办回复", supervision_closed: "督办办结",
  session_recorded: "记录调解", supplement_requested: "要求补正", supplement_received: "补正材料已收到",
  guidance_given: "告知救济途径", procedure_converted: "转为普通程序", deemed_accepted: "依法视为受理",
  deemed_withdrawn: "依法视为撤回", notice_issued: "出具文书", notice_served: "文书送达", notice_service_corrected: "更正送达",
  late_application_flagged: "逾期申请", late_application_accepted: "逾期申请予以受理", window_not_counted: "期间不计入",
  agreement_recorded: "调解协议", agreement_performance_updated: "协议履行情况", confirmation_applied: "申请司法确认",
  confirmation_accepted: "法院受理司法确认", confirmation_ruled: "司法确认裁定", reconsideration_decision_recorded: "复议决定",
  litigation_linked: "关联诉讼", litigation_updated: "诉讼进展", hearing_recorded: "庭审记录", legal_aid_applied: "申请法律援助",
  legal_aid_decided: "法律援助决定", lawyer_assigned: "指派法律援助人员", legal_aid_concluded: "法律援助结束",
  legal_aid_objection_received: "法律援助异议", legal_aid_objection_decided: "法律援助异议决定",
  personal_data_revealed: "查看个人信息", feedback_received: "当事人评价", court_step_recorded: "法院程序节点",
  forwarded: "转送", returned: "退回", completion_reported: "办结报告", finding_made: "同一事项认定",
  return_visit_recorded: "回访", leader_assigned: "领导包案", leader_action_recorded: "包案领导办理情况",
  arbitration_applied: "申请劳动仲裁", arbitration_updated: "劳动仲裁进展", legal_aid_papers_completed: "法律援助材料补齐",
  legal_aid_priority: "法律援助先行提供",
};

// ------------------------------------------------------------------ the period

// Dates are Beijing dates as the service counts them: "today" is the
// service's (its as_of), so a demo with a moved clock stays consistent.
const iso = (d) => d.toISOString().slice(0, 10);
const utc = (s) => new Date(s + "T00:00:00Z");
const addDays = (s, n) => iso(new Date(utc(s).getTime() + n * 86400000));
const firstOfMonth = (y, m) => iso(new Date(Date.UTC(y, m, 1)));

export const PERIOD_LIMITS = { earliest: "1990-01-01", latest: "2100-12-31", maxDays: 366 * 5 };
export const PERIOD_ZH = { month: ["本月", "上月"], quarter: ["本季度", "上季度"], year: ["本年", "上年"], custom: ["自定义", "上期"] };

export function choosePeriod(choice) { sessionStorage.setItem(PERIOD_KEY, JSON.stringify(choice)); }
export function chosenPeriod() { return JSON.parse(sessionStorage.getItem(PERIOD_KEY) || '{"kind":"month"}'); }

// {from, to, previousFrom, previousTo} for a choice on the service's today.
export function periodDates(choice, today) {
  const [y, m] = [Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1];
  if (choice.kind === "custom") {
    const days = (utc(choice.to) - utc(choice.from)) / 86400000;
    const previousTo = addDays(choice.from, -1);
    return { from: choice.from, to: choice.to, previousFrom: addDays(previousTo, -days), previousTo };
  }
  const months = choice.kind === "month" ? 1 : choice.kind === "quarter" ? 3 : 12;
  const startMonth = choice.kind === "month" ? m : choice.kind === "quarter" ? m - (m % 3) : 0;
  const from = firstOfMonth(y, startMonth);
  return { from, to: today, previousFrom: firstOfMonth(y, startMonth - months), previousTo: addDays(from, -1) };
}

// The limits /backlog/metrics and /trends enforce, said before asking.
export function checkCustom(from, to) {
  if (!from || !to) return "请选择起止日期";
  if (from < PERIOD_LIMITS.earliest || to > PERIOD_LIMITS.latest) return "日期须在 1990-01-01 至 2100-12-31 之间";
  if (from > to) return "开始日期不能晚于结束日期";
  if ((utc(to) - utc(from)) / 86400000 > PERIOD_LIMITS.maxDays) return "自定义区间最长 5 年";
  return null;
}
