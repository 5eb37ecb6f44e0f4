// One case, read-only: parties masked as the API masks them, proceedings
// with their clocks (whose clock, due date, state), supervision items, the
// records, the timeline, and what the signed-in user may do. Supervision is
// worked from here: a supervisor opens an item (the case action
// `supervise`) and closes one; the handling body answers one.

import {
  $, el, day, moment, get, request, reference, ApiError, session, labelCells, WHOSE_ZH, CLOCK_STATUS_ZH, ROLE_ZH,
  PARTY_ROLE_ZH, KIND_ZH, RISK_ZH, ACTION_ZH, EVENT_ZH,
} from "./core.js";
import { crumbs } from "./summary.js";
import { caseLink, supervisionReason, SUPERVISION_STATE_ZH } from "./lists.js";

const RECORD_ZH = {
  sessions: "调解记录", agreements: "调解协议", judicial_confirmations: "司法确认", reconsideration_decisions: "复议决定",
  lawsuits: "诉讼", arbitrations: "劳动仲裁", legal_aid: "法律援助", notices: "文书与送达",
};
const FIELD_ZH = {
  name_zh: "文书", issued_on: "出具日期", held_on: "调解日期", location: "地点", mediator: "调解员", notes: "记录",
  terms: "协议内容", signed_on: "签订日期", effective_on: "生效日期", performance: "履行情况", court: "法院",
  applied_on: "申请日期", accepted_on: "受理日期", ruled_on: "裁定日期", result: "结果", decision_type: "决定",
  decided_on: "决定日期", case_number: "案号", stage: "阶段", filed_on: "立案日期", centre: "法律援助中心",
  decision: "决定", aid_type: "援助形式", lawyer: "法律援助人员", outcome: "结果", commission: "仲裁委员会",
  cause: "案由", result_on: "结果日期", served_on: "送达日期",
};
const PROCEEDING_COUNT = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

// The case page keeps the case's ETag: every write sends it (If-Match) and
// gets the next one back.
let current = null;

function field(label, value, test) {
  return el("div", { class: "field" }, el("span", {}, label), el("strong", test ? { "data-test": test } : {}, value ?? "—"));
}

function clockRow(clock) {
  const late = clock.status === "breached" || clock.status === "late";
  const left = clock.state === "stopped" ? (clock.stopped_on ? `${day(clock.stopped_on)} 停止` : "")
    : clock.status === "paused" ? `暂停：${clock.pause_reason || ""}`
      : clock.working_days_left === null || clock.working_days_left === undefined ? ""
        : clock.working_days_left >= 0 ? `剩余 ${clock.working_days_left} 个工作日` : `已超 ${-clock.working_days_left} 个工作日`;
  return el("tr", { "data-clock-id": String(clock.id), "data-time-limit": clock.time_limit },
    el("td", {}, clock.step_zh, el("small", { class: "muted block" }, clock.source)),
    el("td", { "data-col": "whose" }, WHOSE_ZH[clock.whose] || clock.whose),
    el("td", { class: "n" }, `${clock.length} ${{ days: "日", working_days: "个工作日", months: "个月", years: "年" }[clock.unit] || clock.unit}`,
      clock.extended_by ? `（延长 ${clock.extended_by} 日）` : ""),
    el("td", {}, day(clock.started_on)),
    el("td", { "data-col": "due_on" }, day(clock.due_on), clock.provisional ? el("small", { class: "badge soft", title: clock.calendar_note || "" }, "暂定") : ""),
    el("td", { class: late ? "late" : clock.status === "due_soon" ? "soon" : "", "data-col": "status", "data-status": clock.status },
      CLOCK_STATUS_ZH[clock.status] || clock.status),
    el("td", { class: "muted" }, left));
}

function proceedingBlock(p, terms, isCurrent) {
  const track = terms.tracks[p.track];
  const outcome = p.outcome ? (track?.outcomes.find((o) => o.code === p.outcome)?.label_zh || p.outcome) : null;
  const head = el("h3", {}, `第${PROCEEDING_COUNT[p.seq] || p.seq}程序 · ${track?.label_zh || p.track}`,
    isCurrent ? el("span", { class: "badge" }, "当前") : "");
  const facts = el("p", { class: "muted" }, [
    `办理机构：${p.body ? p.body.name_zh : "—"}`, `状态：${terms.stages[p.state] || p.state}`, outcome ? `结果：${outcome}` : null,
    `开启：${moment(p.opened_at)}`, p.accepted_at ? `受理：${moment(p.accepted_at)}` : null,
    p.concluded_at ? `办结：${moment(p.concluded_at)}` : null].filter(Boolean).join("　"));
  const clocks = p.clocks.length
    ? el("div", { class: "scroll" }, labelCells(el("table", { class: "data clocks", "data-test": `clocks-${p.seq}` },
      el("thead", {}, el("tr", {}, ["时限事项", "谁的时限", "期限", "起算日", "到期日", "状态", "说明"].map((h) => el("th", {}, h)))),
      el("tbody", {}, p.clocks.map(clockRow)))))
    : el("p", { class: "muted" }, "本程序没有法定时限");
  return el("section", { class: "proceeding", "data-proceeding": String(p.seq) }, head, facts, clocks);
}

function recordsBlock(detail) {
  const parts = [];
  for (const [kind, label] of Object.entries(RECORD_ZH)) {
    const items = detail[kind] || [];
    if (!items.length) continue;
    parts.push(el("h3", {}, `${label}（${items.length}）`), el("ul", { class: "records", "data-kind": kind }, items.map((item) => {
      const facts = Object.entries(FIELD_ZH).filter(([k]) => item[k] !== null && item[k] !== undefined && item[k] !== "" && typeof item[k] !== "object")
        .map(([k, zh]) => `${zh}：${/_on$/.test(k) ? day(item[k]) : item[k]}`);
      if (kind === "notices") facts.push(item.served ? `已送达（${day(item.service.served_on)}）` : "未送达");
      return el("li", {}, facts.join("；") || `记录 ${item.id}`);
    })));
  }
  return parts.length ? parts : [el("p", { class: "muted" }, "没有记录")];
}

// A few words on what an event was about, in the page's words: the track
// and body routed to, the step a clock is for, the item a supervision event
// is about, the reason someone gave.
function about(e, terms) {
  const d = e.data || {};
  if (e.type === "routing_decided") return [terms.tracks[d.track]?.label_zh, d.body?.name_zh].filter(Boolean).join(" · ");
  if (d.time_limit) return terms.limits[d.time_limit] || d.time_limit;
  if (d.reason) return d.reason;
  if (d.supervision_id) return `督办事项 #${d.supervision_id}${d.late ? "（逾期回复）" : ""}`;
  if (d.outcome) return Object.values(terms.tracks).flatMap((t) => t.outcomes).find((o) => o.code === d.outcome)?.label_zh || d.outcome;
  return "";
}

function timeline(events, terms) {
  return el("ol", { class: "timeline", "data-test": "timeline" }, events.map((e) => {
    const said = about(e, terms);
    return el("li", { "data-type": e.type },
      el("time", {}, moment(e.at)), el("strong", {}, EVENT_ZH[e.type] || e.type),
      el("span", { class: "muted" }, e.actor ? ` · ${e.actor}（${ROLE_ZH[e.actor_role] || e.actor_role}）` : " · 系统"),
      said ? el("span", { class: "muted" }, ` · ${said}`) : "");
  }));
}

// ------------------------------------------------------------------ supervision

function supervisionItem(item) {
  const node = el("li", { class: "supervision " + item.state, "data-item-id": String(item.id), "data-state": item.state },
    el("div", { class: "item-head" },
      el("span", { class: "badge" + (item.state === "open" ? "" : " soft"), "data-col": "state" }, SUPERVISION_STATE_ZH[item.state]),
      el("strong", { "data-col": "reason" }, supervisionReason(item))),
    el("p", { class: "muted" }, [
      `督办机关：${item.supervising_body ? item.supervising_body.name_zh : "—"}`,
      `发起：${item.opened_by || "系统（超期自动督办）"}，${moment(item.opened_at)}`,
      item.respond_by ? `回复期限：${day(item.respond_by)}${item.response_overdue ? "（已逾期未回复）" : ""}` : "未设回复期限",
      `被督办：${item.handling_body ? item.handling_body.name_zh : "—"}`].join("　")),
    el("p", { "data-col": "response" }, item.response
      ? [el("b", {}, "办理机构回复："), item.response, el("span", { class: "muted" }, `（${item.responded_by}，${moment(item.responded_at)}）`)]
      : el("span", { class: "muted" }, "尚未回复")),
    item.state === "closed" ? el("p", { class: "muted", "data-col": "closed" },
      `办结：${item.closed_by || "系统"}，${moment(item.closed_at)}；${item.closed_reason || ""}`) : "");
  if (item.allowed_actions.includes("respond")) {
    node.append(itemForm(item, "response", "回复督办", "回复内容", "提交回复"));
  }
  if (item.allowed_actions.includes("close")) {
    node.append(itemForm(item, "close", "办结督办", "办结意见（如：回复属实，予以办结）", "办结"));
  }
  return node;
}

function itemForm(item, what, legend, placeholder, submit) {
  const error = el("p", { class: "error", role: "alert" });
  const text = el("textarea", { name: what, rows: 2, maxlength: 2000, required: true, placeholder, "data-test": `${what}-text` });
  return el("form", { class: "inline-form", "data-form": what, onsubmit: (e) => {
    e.preventDefault();
    const body = what === "response" ? { response: text.value } : { reason: text.value };
    write(`/cases/${encodeURIComponent(current.reference)}/supervision/${item.id}/${what}`, body, error);
  } }, el("fieldset", {}, el("legend", {}, legend), text, el("button", { type: "submit", "data-test": `${what}-submit` }, submit), error));
}

function superviseForm() {
  const error = el("p", { class: "error", role: "alert", id: "supervise-error" });
  return el("form", { id: "supervise-form", class: "inline-form", onsubmit: (e) => {
    e.preventDefault();
    const body = { reason: $("supervise-reason").value };
    if ($("supervise-respond-by").value) body.respond_by = $("supervise-respond-by").value;
    write(`/cases/${encodeURIComponent(current.reference)}/actions/supervise`, body, error);
  } }, el("fieldset", {}, el("legend", {}, "发起督办"),
    el("label", {}, "督办理由", el("textarea", { id: "supervise-reason", rows: 2, maxlength: 2000, required: true,
      placeholder: "如：超期未受理，请说明原因并限期办理" })),
    el("label", {}, "回复期限", el("input", { type: "date", id: "supervise-respond-by", min: current.as_of })),
    el("button", { type: "submit", id: "supervise-submit" }, "发起督办"), error));
}

async function write(path, body, errorNode) {
  errorNode.textContent = "";
  $("case-message").textContent = "";
  try {
    await request("POST", path, { body, ifMatch: current.etag });
  } catch (e) {
    if (e instanceof ApiError && e.status === 412) {
      await renderCase(current.reference);
      $("case-message").textContent = "案件已被他人更新，页面已重新载入，请核对后再次提交";
    } else {
      errorNode.textContent = `未能提交：${e.message}`;
    }
    return;
  }
  await renderCase(current.reference);
  $("case-message").textContent = "已提交";
}

// ------------------------------------------------------------------ the page

export async function renderCase(ref) {
  const path = `/cases/${encodeURIComponent(ref)}`;
  const response = await request("GET", path);
  const detail = await response.json();
  const [events, supervision, terms, place] = await Promise.all([
    get(path + "/events"), get(path + "/supervision"), reference(),
    get("/backlog/summary", { group_by: "track", division: detail.division_code }).catch(() => null),
  ]);
  $("case-message").textContent = "";
  current = { reference: detail.reference, etag: response.headers.get("ETag"), as_of: place ? place.as_of : null };
  crumbs($("case-crumbs"), place ? place.scope_path : [], `案件 ${detail.reference}`);
  const placeName = place && place.scope_path.length ? place.scope_path.slice(-1)[0].name : detail.division_code;
  const open = supervision.items.filter((i) => i.state === "open").length;
  $("case-head").replaceChildren(
    el("h2", {}, el("span", { "data-test": "case-reference" }, detail.reference), " ", detail.summary),
    el("div", { class: "fields" },
      field("类型", KIND_ZH[detail.kind] || detail.kind), field("类别", terms.categories[detail.category] || detail.category),
      field("所在区划", placeName), field("登记时间", moment(detail.received_at)),
      field("状态", terms.statuses[detail.status] || detail.status, "case-status"),
      field("当前程序", `${terms.tracks[detail.track]?.label_zh || detail.track} · ${terms.stages[detail.stage] || detail.stage}`),
      field("办理机构", detail.proceeding?.body?.name_zh), field("下一到期日", day(detail.next_due_on), "next-due"),
      field("人数", detail.collective ? `${detail.headcount}（群体性）` : detail.headcount),
      field("风险等级", RISK_ZH[detail.risk_level] || detail.risk_level),
      field("督办", open ? `督办中 ×${open}` : "无", "case-supervised")),
    detail.description ? el("p", { class: "description" }, detail.description) : "",
    detail.related_case ? el("p", {}, "关联的已终结事项：", caseLink(detail.related_case)) : "",
    detail.possible_repeats.length ? el("p", { "data-test": "possible-repeats" }, "可能重复的案件：",
      detail.possible_repeats.map((r, i) => [i ? "、" : "", caseLink(r.reference)])) : "");
  const actions = detail.allowed_actions;
  $("case-actions").replaceChildren(
    el("p", { class: "muted" }, `${session.user().username}（${ROLE_ZH[session.user().role] || session.user().role}）可执行的操作：`),
    actions.length
      ? el("ul", { class: "chips", "data-test": "allowed-actions" }, actions.map((a) => el("li", { class: "chip", "data-action": a }, ACTION_ZH[a] || a)))
      : el("p", { class: "muted", "data-test": "allowed-actions" }, "当前没有可执行的操作"),
    el("p", { class: "muted" }, "本页只读；督办在此办理，其余操作请在业务系统中办理。"),
    actions.includes("supervise") ? superviseForm() : "");
  $("case-parties").replaceChildren(el("div", { class: "scroll" }, labelCells(el("table", { class: "data", "data-test": "parties" },
    el("thead", {}, el("tr", {}, ["序号", "身份", "类型", "姓名/名称", "身份证号", "电话", "地址"].map((h) => el("th", {}, h)))),
    el("tbody", {}, detail.parties.map((p) => el("tr", {},
      el("td", {}, String(p.position)), el("td", {}, PARTY_ROLE_ZH[p.role] || p.role),
      el("td", {}, { person: "自然人", organization: "组织", agency: "行政机关" }[p.kind] || p.kind),
      el("td", {}, p.name), el("td", { "data-col": "id_number" }, p.id_number || "—"),
      el("td", { "data-col": "phone" }, p.phone || "—"), el("td", {}, p.address || "—"))))))),
  el("p", { class: "muted" }, "个人信息已按规定遮蔽。"));
  $("case-proceedings").replaceChildren(...[...detail.proceedings].reverse()
    .map((p) => proceedingBlock(p, terms, p.id === detail.proceeding?.id)));
  $("case-supervision").replaceChildren(supervision.items.length
    ? el("ul", { class: "supervision-items", "data-test": "supervision" }, supervision.items.map(supervisionItem))
    : el("p", { class: "muted", "data-test": "supervision" }, "没有督办事项"));
  $("case-records").replaceChildren(...recordsBlock(detail));
  $("case-timeline").replaceChildren(timeline([...events.items].reverse(), terms));
}
