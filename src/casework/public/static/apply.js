// The citizen's page: fill, prove work (the ALTCHA widget), submit, keep the
// receipt, look the case up. Only this service's own API is called.

const $ = (id) => document.getElementById(id);
const STAGES = {
  received: "已收到", submitted_online: "网上提交待登记", registered: "已登记", forwarded: "已转送交办",
  supplement_requested: "需要补正材料", accepted: "已受理", handling: "办理中", concluded: "已办结",
  not_accepted: "不予受理",
};
const FIELD_WORDS = {
  category: "事项类别", division_code: "事项发生地", summary: "标题", description: "具体情况和请求",
  "applicant.name": "姓名", "applicant.phone": "手机号码", altcha: "验证", petition_type: "信访类型",
};
let services = [];
let idempotencyKey = crypto.randomUUID();

function kind() { return document.querySelector("input[name=kind]:checked").value; }

function fillCategories() {
  const select = $("category");
  select.replaceChildren();
  for (const s of services.filter((s) => s.service_code.startsWith(kind() + "."))) {
    select.append(new Option(s.service_name, s.service_code.split(".")[1]));
  }
  $("petition-type-field").hidden = kind() !== "petition";
}

async function load() {
  const [svc, places] = await Promise.all([
    fetch("/open311/v2/services.json").then((r) => r.json()),
    fetch("/api/v1/public/places").then((r) => r.json()),
  ]);
  services = svc;
  fillCategories();
  const select = $("division_code");
  select.append(new Option("请选择", ""));
  for (const p of places.items) select.append(new Option(p.path_zh, p.code));
}

function clearErrors() {
  for (const p of document.querySelectorAll("#apply-form .error")) p.textContent = "";
}

function showErrors(problem) {
  const errors = problem.errors || [];
  for (const e of errors) {
    const slot = document.querySelector(`#apply-form .error[data-for="${e.field}"]`);
    const words = `${FIELD_WORDS[e.field] || e.field}：${e.message}`;
    if (slot) slot.textContent = words; else $("form-error").textContent += words + "；";
  }
  if (!errors.length) $("form-error").textContent = problem.detail || "提交失败，请稍后重试";
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const form = $("apply-form");
  const solution = form.querySelector("input[name=altcha]")?.value;
  if (!solution) { document.querySelector('.error[data-for="altcha"]').textContent = "请先完成“我不是机器人”验证"; return; }
  const body = {
    kind: kind(), category: $("category").value, division_code: $("division_code").value,
    summary: $("summary").value.trim(), description: $("description").value.trim(),
    applicant: { name: $("name").value.trim(), phone: $("phone").value.trim() },
    sms_consent: $("sms_consent").checked, altcha: solution,
  };
  if (body.kind === "petition") body.petition_type = $("petition_type").value;
  if ($("respondent").value.trim()) body.respondent = { kind: "person", name: $("respondent").value.trim() };
  $("submit").disabled = true;
  try {
    const response = await fetch("/api/v1/public/applications", {
      method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (response.status === 201 || response.status === 200) {
      $("receipt-reference").textContent = answer.reference;
      $("receipt-code").textContent = answer.receipt_code;
      $("receipt-message").textContent = answer.message_zh;
      $("receipt").hidden = false;
      form.hidden = true;
      $("lookup-reference").value = answer.reference;
      $("receipt").focus();
      return;
    }
    if (response.status === 429) $("form-error").textContent = "提交过于频繁，请稍后再试";
    else showErrors(answer);
    idempotencyKey = crypto.randomUUID();
    $("altcha").reset(); // a solution is accepted once
  } catch {
    $("form-error").textContent = "网络异常，请稍后重试（再次提交不会重复）";
  } finally {
    $("submit").disabled = false;
  }
}

async function lookup(event) {
  event.preventDefault();
  $("lookup-error").textContent = "";
  const response = await fetch("/api/v1/public/lookup", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ reference: $("lookup-reference").value.trim(), receipt_code: $("lookup-code").value.trim() }),
  });
  if (response.status !== 200) {
    $("lookup-error").textContent = response.status === 429 ? "查询过于频繁，请稍后再试" : "受理编号或查询码不正确";
    $("progress").hidden = true;
    return;
  }
  const view = await response.json();
  const list = $("stages");
  list.replaceChildren();
  for (const s of view.stages) {
    const li = document.createElement("li");
    li.dataset.stage = s.stage;
    li.textContent = `${STAGES[s.stage] || s.stage}${s.at || s.since ? "（" + (s.at || s.since).slice(0, 10) + "）" : ""}`;
    if (s.current) li.className = "current";
    if (s.missing) li.textContent += `：${s.missing}`;
    list.append(li);
  }
  $("progress-body").textContent = view.handling_body ? `办理机构：${view.handling_body.name_zh}` : "";
  $("progress").hidden = false;
}

for (const radio of document.querySelectorAll("input[name=kind]")) radio.addEventListener("change", fillCategories);
$("apply-form").addEventListener("submit", submit);
$("lookup-form").addEventListener("submit", lookup);
load().catch(() => { $("form-error").textContent = "页面加载失败，请刷新重试"; });
