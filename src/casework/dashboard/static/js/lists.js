// The overdue and due-soon lists (with which cases are under supervision),
// and the list of supervision items in the caller's jurisdiction.

import { $, el, fmt, day, moment, get, request, reference, labelCells } from "./core.js";
import { crumbs } from "./summary.js";

let listState = null;

export function caseLink(reference) {
  return el("a", { href: `#/case/${encodeURIComponent(reference)}`, "data-test": "case-link" }, reference);
}

function supervisionCell(item) {
  if (!item.supervised) return el("td", { "data-col": "supervision" }, "");
  const by = item.supervision_respond_by ? ` · 限 ${day(item.supervision_respond_by).slice(5)} 前回复` : "";
  return el("td", { "data-col": "supervision" },
    el("span", { class: "badge", "data-open": String(item.supervision_open) }, `督办中 ×${item.supervision_open}`), by);
}

async function filterNames(params, terms) {
  const names = [];
  if (params.track) names.push(terms.tracks[params.track]?.label_zh || params.track);
  if (params.stage) names.push(terms.stages[params.stage] || params.stage);
  if (params.category) names.push(terms.categories[params.category] || params.category);
  if (params.body_id) {
    const body = await get(`/bodies/${encodeURIComponent(params.body_id)}`).catch(() => null);
    names.push(body ? body.name_zh : `机构 ${params.body_id}`);
  }
  return names;
}

export async function renderList(which, params) {
  const filters = { division: params.division, track: params.track, stage: params.stage, category: params.category,
    body_id: params.body_id };
  listState = { which, filters, cursor: null };
  const title = which === "overdue" ? "超期清单" : "临期清单";
  const [scope, terms] = await Promise.all([
    get("/backlog/summary", { group_by: "track", division: params.division }), reference()]);
  const extra = await filterNames(params, terms);
  crumbs($("list-crumbs"), scope.scope_path, [title, ...extra].join(" · "));
  $("list-title").textContent = title;
  $("due-list").replaceChildren(el("thead", {}, el("tr", {},
    ["案件编号", "事由", "所在区划", "办理机构", "轨道 / 环节", "时限事项", "到期日",
      which === "overdue" ? "逾期(天)" : "剩余工作日", "督办"].map((h, i) => el("th", { class: i === 7 ? "n" : "" }, h)))),
  el("tbody", { id: "due-rows" }));
  await loadMore();
}

export async function loadMore() {
  const { which, filters, cursor } = listState;
  const body = await get(`/backlog/${which === "overdue" ? "overdue" : "due-soon"}`, { ...filters, cursor, limit: 100 });
  $("list-note").textContent = `截至 ${body.as_of}；临期指到期日不晚于 ${body.due_soon_until}；督办中 = 有未办结的督办事项`;
  const rows = body.items.map((item) => el("tr", { "data-reference": item.reference },
    el("td", {}, caseLink(item.reference)), el("td", {}, item.summary), el("td", {}, item.division_name || item.division_code),
    el("td", {}, item.body_name || "—"), el("td", {}, `${item.track_zh} / ${item.stage_zh}`),
    el("td", {}, item.clock ? item.clock.step_zh : "—"), el("td", {}, item.clock ? day(item.clock.due_on) : "—"),
    el("td", { class: "n " + (which === "overdue" ? "late" : "soon"), "data-col": "days" },
      which === "overdue" ? String(item.days_overdue) : String(item.working_days_left)),
    supervisionCell(item)));
  $("due-rows").append(...rows);
  if (!$("due-rows").children.length) {
    $("due-rows").append(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "清单为空")));
  }
  labelCells($("due-list"));
  listState.cursor = body.next_cursor;
  $("more").hidden = !body.next_cursor;
}

export async function exportList() {
  const { which, filters } = listState;
  const response = await request("GET", "/backlog/export.csv", { params: { list: which, ...filters } });
  const blob = await response.blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `${which === "overdue" ? "超期清单" : "临期清单"}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

// ------------------------------------------------------------------ supervision items

export function supervisionReason(item) {
  if (item.automatic && item.clock) return `超期自动督办：${item.clock.step_zh || item.clock.time_limit}（${day(item.clock.due_on)} 到期）`;
  return item.reason;
}

export const SUPERVISION_STATE_ZH = { open: "督办中", closed: "已办结" };

let supervisionState = null;

export async function renderSupervision(params) {
  const state = params.state === "closed" ? "closed" : params.state === "all" ? null : "open";
  supervisionState = { state, division: params.division || null, cursor: null };
  const scope = await get("/backlog/summary", { group_by: "track", division: params.division });
  crumbs($("supervision-crumbs"), scope.scope_path, "督办事项");
  const division = params.division ? `&division=${params.division}` : "";
  $("supervision-filter").replaceChildren(...[["open", "督办中"], ["closed", "已办结"], ["all", "全部"]].map(([key, label]) =>
    el("a", { class: "chip" + ((state || "all") === key ? " on" : ""), href: `#/supervision?state=${key}${division}`, "data-state": key }, label)));
  $("supervision-list").replaceChildren(el("thead", {}, el("tr", {},
    ["案件编号", "事由", "所在区划", "督办理由", "督办机关", "督办时间", "回复期限", "办理机构回复", "状态"].map((h) => el("th", {}, h)))),
  el("tbody", { id: "supervision-rows" }));
  await moreSupervision();
}

export async function moreSupervision() {
  const { state, division, cursor } = supervisionState;
  const body = await get("/supervision", { state, division, cursor, limit: 50 });
  $("supervision-note").textContent = `共 ${fmt(body.total)} 项（截至 ${body.as_of}）`;
  const rows = body.items.map((item) => el("tr", { "data-item-id": String(item.id), "data-reference": item.reference },
    el("td", {}, caseLink(item.reference)), el("td", {}, item.summary), el("td", {}, item.division_name || item.division_code),
    el("td", {}, supervisionReason(item)), el("td", {}, item.supervising_body ? item.supervising_body.name_zh : "—"),
    el("td", {}, moment(item.opened_at)),
    el("td", { class: item.response_overdue ? "late" : "" }, item.respond_by ? day(item.respond_by) : "—"),
    el("td", { "data-col": "response" }, item.response || (item.state === "open" ? "尚未回复" : "—")),
    el("td", { "data-col": "state" }, SUPERVISION_STATE_ZH[item.state])));
  $("supervision-rows").append(...rows);
  if (!$("supervision-rows").children.length) {
    $("supervision-rows").append(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "没有督办事项")));
  }
  labelCells($("supervision-list"));
  supervisionState.cursor = body.next_cursor;
  $("supervision-more").hidden = !body.next_cursor;
}
