// The import page (#/import, administrators): drop files, see how each column would load
// (the dry run of `kesou ingest`), change what a column loads into or which table a file
// holds, load with progress, then read the summary and download the rejects. Every change
// of the mapping plans again, so what is shown is what loading will do.
// The API is /api/imports (dashboards/src/api/imports.rs).

import { ApiError, api } from "./api.js";
import { errorBox } from "./ask.js";
import { h, mount, stamp } from "./dom.js";
import { fieldLabel, integer, lang, t } from "./i18n.js";

const TABLES = ["customers", "orders", "interactions", "meta"];

/** The columns of orders and interactions by name (a customer's are the app's field labels). */
const EVENT_LABELS = {
  zh: {
    orders: { id: "订单编号", customer_id: "客户编号", order_date: "下单日期", amount: "订单金额", product: "产品" },
    interactions: { id: "记录编号", customer_id: "客户编号", ts: "时间", channel: "渠道", kind: "类型", note: "内容" },
    meta: { key: "键", value: "值" },
  },
  en: {
    orders: { id: "Order ID", customer_id: "Customer ID", order_date: "Order date", amount: "Amount", product: "Product" },
    interactions: { id: "Record ID", customer_id: "Customer ID", ts: "Time", channel: "Channel", kind: "Kind", note: "Note" },
    meta: { key: "Key", value: "Value" },
  },
};

/** A target column as a person reads it: its label, and its name when they differ. */
function targetLabel(table, name) {
  const own = (EVENT_LABELS[lang() === "en" ? "en" : "zh"][table] || {})[name];
  const label = own || fieldLabel(name);
  return label === name ? name : `${label} (${name})`;
}
const POLL_MS = 400;

/** PUTs one file's bytes; errors in the API's shape. */
async function sendFile(id, file) {
  const res = await fetch(`/api/imports/${id}/files/${encodeURIComponent(file.name)}`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", "accept-language": lang() === "en" ? "en" : "zh-CN" },
    body: file,
  });
  if (!res.ok) {
    let code = "internal";
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      code = body.error.code;
      message = body.error.message;
    } catch {
      // not JSON: the status line
    }
    throw new ApiError(res.status, code, message);
  }
  return res.json();
}

/** The name a mapping gives a planned file: as shown (`book.xlsx#sheet`). */
const mappingName = (plan) => plan.file;

export function importView(main) {
  document.title = `${t("import_title")} · ${t("brand")}`;
  const state = { id: null, plan: null, mapping: { file: [] }, busy: false };
  const input = h("input", { type: "file", id: "im-files", multiple: true, accept: ".xlsx,.xls,.ods,.csv,.tsv,.txt,.jsonl,.json,.parquet" });
  const drop = h(
    "label",
    { class: "dropzone", for: "im-files", id: "im-drop" },
    h("span", { class: "dropzone-title" }, t("import_drop")),
    h("span", { class: "dropzone-hint" }, t("import_formats")),
    input,
  );
  const list = h("ul", { class: "import-files", id: "im-list", "aria-live": "polite" });
  const planBox = h("div", { id: "im-plan" });
  const loadButton = h("button", { type: "button", class: "primary", id: "im-load", disabled: true }, t("import_load"));
  const discard = h("button", { type: "button", class: "secondary", id: "im-discard", disabled: true }, t("import_discard"));
  const progress = h("div", { id: "im-progress", class: "import-progress", role: "status", "aria-live": "polite" });
  const result = h("div", { id: "im-result" });
  const errors = h("div", { class: "error", id: "im-error" });
  const page = h(
    "section",
    { class: "import" },
    h("h1", null, t("import_title")),
    h("p", { class: "hint" }, t("import_intro")),
    drop,
    list,
    errors,
    planBox,
    h("div", { class: "import-actions" }, loadButton, discard),
    progress,
    result,
  );
  mount(main, page);
  stamp(page, location.hash, "import");

  const fail = (err) => {
    mount(errors, errorBox(err));
    state.busy = false;
    loadButton.disabled = !state.plan;
  };

  async function add(files) {
    if (!files.length || state.busy) return;
    mount(errors);
    mount(result);
    state.busy = true;
    loadButton.disabled = true;
    try {
      if (!state.id) state.id = (await api.post("/api/imports", {})).id;
      discard.disabled = false;
      for (const file of files) {
        const item = h("li", null, h("span", { class: "file-name" }, file.name), " ", h("span", { class: "muted" }, t("import_sending")));
        list.append(item);
        await sendFile(state.id, file);
        mount(item, h("span", { class: "file-name" }, file.name), " ", h("span", { class: "muted" }, sizeOf(file.size)));
      }
      await replan();
    } catch (err) {
      fail(err);
    }
  }

  async function replan() {
    state.busy = true;
    mount(planBox, h("p", { class: "status" }, t("import_planning")));
    try {
      state.plan = await api.post(`/api/imports/${state.id}/plan`, { mapping: state.mapping });
      drawPlan();
      state.busy = false;
      loadButton.disabled = !state.plan.files.some((f) => f.table && !f.missing.length);
    } catch (err) {
      mount(planBox);
      fail(err);
    }
  }

  /** The person's choice for a file, made when they first change something in it. */
  function choiceFor(plan) {
    let choice = state.mapping.file.find((f) => f.name === mappingName(plan));
    if (!choice) {
      choice = { name: mappingName(plan), columns: {} };
      state.mapping.file.push(choice);
    }
    return choice;
  }

  function drawPlan() {
    const files = state.plan.files;
    mount(
      planBox,
      files.map((plan, i) => filePlan(plan, i)),
    );
    planBox.dataset.planned = String(files.length);
    stamp(planBox, location.hash, "import-plan");
  }

  function filePlan(plan, i) {
    const targets = plan.table ? state.plan.targets[plan.table] || [] : [];
    const tableSelect = h(
      "select",
      { id: `im-table-${i}`, "aria-label": t("import_table") },
      h("option", { value: "" }, t("import_table_unknown")),
      TABLES.map((name) => h("option", { value: name, selected: plan.table === name }, t(`import_table_${name}`))),
    );
    tableSelect.addEventListener("change", () => {
      const choice = choiceFor(plan);
      choice.table = tableSelect.value || undefined;
      choice.columns = {};
      replan();
    });
    const rows = plan.columns.map((c, j) => {
      const select = h(
        "select",
        { id: `im-col-${i}-${j}`, "data-header": c.header, "aria-label": `${c.header} → ${t("import_target")}` },
        targets.map((name) => h("option", { value: name, selected: c.target === name }, targetLabel(plan.table, name))),
        h("option", { value: "custom", selected: c.target === "custom" }, t("import_custom")),
        h("option", { value: "ignore", selected: c.target === "ignore" || !c.target }, t("import_ignore")),
      );
      select.addEventListener("change", () => {
        choiceFor(plan).columns[c.header] = select.value;
        replan();
      });
      return h(
        "tr",
        null,
        h("th", { scope: "row" }, c.header),
        h("td", null, select),
        h("td", null, t(`kind_${c.kind}`) === `kind_${c.kind}` ? c.kind : t(`kind_${c.kind}`)),
        h("td", { class: "samples" }, (c.samples || []).slice(0, 3).map((v, k) => (c.read_as && c.read_as[k] && c.read_as[k] !== v ? `${v} → ${c.read_as[k]}` : v)).join(" · ")),
      );
    });
    const counts = [
      [t("import_rows_read"), plan.rows_read],
      [t("import_would_load"), plan.would_load],
      [t("import_would_reject"), plan.would_reject],
      [t("import_set_aside"), plan.values_set_aside],
    ];
    if (plan.would_wait !== null && plan.would_wait !== undefined) counts.push([t("import_would_wait"), plan.would_wait]);
    return h(
      "article",
      { class: "import-file", "data-file": plan.file },
      h("h2", null, plan.file),
      h(
        "p",
        { class: "import-meta" },
        h("label", null, `${t("import_table")} `, tableSelect),
        plan.encoding ? h("span", { class: "muted" }, `${t("import_encoding")}：${plan.encoding}`) : null,
      ),
      h("dl", { class: "import-counts" }, counts.map(([k, v]) => [h("dt", null, k), h("dd", null, integer(v))])),
      plan.missing.length ? h("p", { class: "error" }, t("import_missing", { columns: plan.missing.map((m) => targetLabel(plan.table, m)).join("、") })) : null,
      plan.note ? h("p", { class: "muted" }, plan.note) : null,
      rows.length
        ? h(
            "table",
            { class: "import-columns" },
            h("thead", null, h("tr", null, h("th", { scope: "col" }, t("import_header")), h("th", { scope: "col" }, t("import_target")), h("th", { scope: "col" }, t("import_kind")), h("th", { scope: "col" }, t("import_samples")))),
            h("tbody", null, rows),
          )
        : null,
      plan.problems.length
        ? h(
            "details",
            { class: "import-problems" },
            h("summary", null, t("import_problems", { n: plan.problems.length })),
            h("ul", null, plan.problems.map((p) => h("li", null, `${t("import_line")} ${p.line} · ${p.column}「${p.value}」 ${p.reason}`))),
          )
        : null,
    );
  }

  async function load() {
    if (state.busy || !state.id) return;
    state.busy = true;
    loadButton.disabled = true;
    discard.disabled = true;
    input.disabled = true;
    mount(errors);
    try {
      await api.post(`/api/imports/${state.id}/load`, { mapping: state.mapping });
      for (;;) {
        const s = await api.get(`/api/imports/${state.id}`);
        if (s.state === "running") {
          drawProgress(s);
          await new Promise((r) => setTimeout(r, POLL_MS));
          continue;
        }
        mount(progress);
        if (s.state === "failed") {
          mount(result, errorBox(new ApiError(400, s.error.code, s.error.message)));
        } else {
          drawResult(s.summary);
        }
        break;
      }
    } catch (err) {
      fail(err);
    }
  }

  function drawProgress(s) {
    const bar = s.total ? h("progress", { max: String(s.total), value: String(s.done) }) : h("progress");
    mount(progress, h("p", null, t("import_loading"), " ", s.phase ? h("span", { class: "muted" }, `${s.phase} · ${integer(s.done)}${s.total ? ` / ${integer(s.total)}` : ""}`) : null), bar);
  }

  function drawResult(summary) {
    const box = h(
      "div",
      { class: "import-result", id: "im-summary" },
      h("h2", null, t("import_done")),
      h(
        "dl",
        { class: "import-counts" },
        [
          [t("import_rows_read"), summary.rows_read],
          [t("import_loaded"), summary.loaded],
          [t("import_would_reject"), summary.rejected],
          [t("import_set_aside"), summary.set_aside],
          [t("import_would_wait"), summary.waiting],
          [t("import_attached"), summary.attached],
        ].map(([k, v]) => [h("dt", null, k), h("dd", null, integer(v))]),
      ),
      h(
        "ul",
        null,
        summary.files.map((f) =>
          h("li", null, `${f.file} → ${f.table ? t(`import_table_${f.table}`) : "—"}：${t("import_loaded")} ${integer(f.loaded)} / ${integer(f.rows_read)}`, f.custom_fields.length ? ` · ${t("import_custom")}：${f.custom_fields.join("、")}` : "", f.skipped ? ` · ${f.skipped}` : ""),
        ),
      ),
      h(
        "p",
        { class: "import-actions" },
        summary.rejects ? h("button", { type: "button", class: "secondary", id: "im-rejects", onclick: () => downloadRejects(state.id) }, t("import_rejects")) : null,
        h("a", { class: "button secondary", href: "#/" }, t("import_ask")),
      ),
    );
    mount(result, box);
    stamp(box, location.hash, "import-done");
  }

  input.addEventListener("change", () => add([...input.files]));
  for (const kind of ["dragenter", "dragover"]) {
    drop.addEventListener(kind, (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    add([...e.dataTransfer.files]);
  });
  loadButton.addEventListener("click", load);
  discard.addEventListener("click", async () => {
    if (!state.id || state.busy) return;
    try {
      await api.del(`/api/imports/${state.id}`);
    } catch (err) {
      return fail(err);
    }
    importView(main);
  });
}

async function downloadRejects(id) {
  const res = await fetch(`/api/imports/${id}/rejects`);
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: `kesou-rejects-${id}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function sizeOf(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
