// 积案监测: the petition bureau's dashboard. Signs in with a casework account
// and shows what the API returns; no framework, no chart library, nothing
// from the internet (ES modules from this folder, no build step).
// Views: #/summary, #/overdue, #/due-soon, #/supervision, #/case/<reference>.

import { $, session, whenExpired, ROLE_ZH, get } from "./js/core.js";
import { renderSummary } from "./js/summary.js";
import { renderList, loadMore, exportList, renderSupervision, moreSupervision } from "./js/lists.js";
import { renderCase } from "./js/casepage.js";

const VIEWS = ["sign-in-view", "summary-view", "list-view", "supervision-view", "case-view"];

async function signIn(event) {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  const body = JSON.stringify({ username: $("username").value.trim(), password: $("password").value });
  const response = await fetch("/api/v1/auth/token", { method: "POST", headers: { "Content-Type": "application/json" }, body });
  if (response.status === 429) { $("sign-in-error").textContent = "尝试次数过多，请稍后再试"; return; }
  if (!response.ok) { $("sign-in-error").textContent = "用户名或密码错误"; return; }
  session.save(await response.json());
  $("password").value = "";
  if (location.hash && location.hash !== "#/summary") location.hash = "#/summary";  // hashchange routes
  else { history.replaceState(null, "", "#/summary"); await route(); }
}

function signOut() {
  session.clear();
  history.replaceState(null, "", location.pathname);
  route();
}

function parseHash() {
  const [path, query] = (location.hash.slice(1) || "/summary").split("?");
  return { path, params: Object.fromEntries(new URLSearchParams(query || "")) };
}

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  // Before sign-in the page shows the sign-in form and nothing else.
  $("nav").hidden = view === "sign-in-view";
}

let whoFor = null;
async function who() {
  const user = session.user();
  if (whoFor === user.username) return;
  whoFor = user.username;
  $("who").textContent = `${user.username}（${ROLE_ZH[user.role] || user.role}）`;
  if (user.jurisdiction) {
    const place = await get("/divisions", { prefix: user.jurisdiction.padEnd(12, "0") }).catch(() => null);
    const name = place && place.items.length ? place.items[0].name_zh : user.jurisdiction;
    $("who").textContent = `${user.username}（${ROLE_ZH[user.role] || user.role} · ${name}）`;
  }
}

let routing = 0;
async function route() {
  const mine = ++routing;
  $("error").textContent = "";
  delete document.body.dataset.ready;
  if (!session.token()) {
    whoFor = null;
    show("sign-in-view");
    $("username").focus();
    document.body.dataset.ready = "#/sign-in";
    return;
  }
  const { path, params } = parseHash();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.getAttribute("href") === "#" + path);
  try {
    await who();
    if (path === "/overdue" || path === "/due-soon") { show("list-view"); await renderList(path.slice(1), params); }
    else if (path === "/supervision") { show("supervision-view"); await renderSupervision(params); }
    else if (path.startsWith("/case/")) { show("case-view"); await renderCase(decodeURIComponent(path.slice(6))); }
    else { show("summary-view"); await renderSummary(params); }
    if (mine === routing) document.body.dataset.ready = location.hash || "#/summary";
  } catch (e) {
    if (mine === routing) $("error").textContent = "加载失败：" + e.message;
  }
}

whenExpired(() => { session.clear(); route(); });

const report = (e) => { $("error").textContent = e.message; };
$("sign-in").addEventListener("submit", (e) => signIn(e).catch((err) => { $("sign-in-error").textContent = err.message; }));
$("sign-out").addEventListener("click", signOut);
$("more").addEventListener("click", () => loadMore().catch(report));
$("supervision-more").addEventListener("click", () => moreSupervision().catch(report));
$("export").addEventListener("click", () => exportList().catch(report));
window.addEventListener("hashchange", route);
route();

