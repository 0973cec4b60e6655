// The report builder (#/reports/new): a dimension, a measure and filters (or a question),
// previewed on every change, saved under a name beside the built-in boards. The server picks
// the chart the query suits (provinces a map, lifecycle a funnel, two groups a matrix …).
// A typed question decides the report: the dimension and measure the page starts with step
// aside (shown as —), and only a dimension or measure the user picks afterwards overrides it.
// #/reports/edit/NAME opens a saved report in the builder; saving keeps its name. A date
// range (近N天 or from/to, over order dates or a date field) narrows the report.

import { api, fields } from "./api.js";
import { errorBox } from "./ask.js";
import { drawChart } from "./charts/index.js";
import { timeLines } from "./boards.js";
import { debounce, h, mount, stamp } from "./dom.js";
import { filterEditor } from "./filters.js";
import { aboutOf, fieldLabel, noteOf, t } from "./i18n.js";

const AGGS = ["count", "sum", "avg", "min", "max"];
/** The relative ranges offered (days up to the store's as_of). */
const RANGE_DAYS = [7, 30, 90, 180, 365];
/** A report's name: letters (Chinese too), digits, - and _, starting with a letter or
 * digit. Written for the input's pattern, which browsers compile with the v flag. */
export const NAME_PATTERN = "[\\p{L}\\p{N}][\\p{L}\\p{N}_\\-]{0,63}";
export const NAME = new RegExp(`^(?:${NAME_PATTERN})$`, "v");

export async function reportBuilderView(main, stale, editing = null) {
  document.title = `${editing ? t("edit_report") : t("new_report")} · ${t("brand")}`;
  mount(main, h("p", { class: "status" }, t("loading")));
  let fieldList;
  let saved = null;
  try {
    [fieldList, saved] = await Promise.all([fields(), editing ? api.get(`/api/reports/${encodeURIComponent(editing)}`) : null]);
  } catch (err) {
    if (!stale()) mount(main, errorBox(err, () => reportBuilderView(main, stale, editing)));
    return;
  }
  const spec = saved ? saved.spec : {};
  if (stale()) return;
  const dims = fieldList.filter((f) => f.dimension);
  const measures = fieldList.filter((f) => f.measure);
  const label = (f) => fieldLabel(f.name, f.label, f.label_en);
  const option = (f, selected) => h("option", { value: f.name, selected }, label(f));

  const startDimension = saved ? spec.dimension || "" : "province";
  const startAgg = saved ? spec.measure?.agg || "" : "count";
  const startField = spec.measure?.field || "annual_purchase";
  const title = h("input", { id: "rb-title", type: "text", value: saved ? saved.title : t("report_title_default"), maxlength: "80" });
  const dimension = h("select", { id: "rb-dimension" }, h("option", { value: "" }, "—"), dims.map((f) => option(f, f.name === startDimension)));
  const agg = h("select", { id: "rb-agg" }, h("option", { value: "" }, "—"), AGGS.map((a) => h("option", { value: a, selected: a === startAgg }, t(`agg_${a}`))));
  const measureField = h("select", { id: "rb-measure", disabled: startAgg === "" || startAgg === "count", "aria-label": t("measure_field") }, measures.map((f) => option(f, f.name === startField)));
  const question = h("input", { id: "rb-q", type: "search", maxlength: "500", placeholder: t("ask_placeholder"), value: spec.question || "" });
  const name = h("input", { id: "rb-name", type: "text", value: saved ? saved.name : `report-${Date.now().toString(36)}`, pattern: NAME_PATTERN, maxlength: "64", autocapitalize: "off", spellcheck: "false", readonly: Boolean(saved) });
  const preview = h("section", { class: "preview", "aria-live": "polite", "aria-label": t("preview") });
  const status = h("p", { class: "status", role: "status" });
  // The date range: none, the last N days, or from/to dates; over order dates or a date
  // field of the customers (custom date fields too).
  const r0 = spec.range || null;
  const dateFields = fieldList.filter((f) => f.kind === "date" || f.kind === "timestamp");
  const rangeKind = h(
    "select",
    { id: "rb-range-kind" },
    h("option", { value: "", selected: !r0 }, t("range_none")),
    h("option", { value: "last", selected: Boolean(r0 && r0.last_days) }, t("range_last")),
    h("option", { value: "between", selected: Boolean(r0 && !r0.last_days) }, t("range_between")),
  );
  const dayChoices = [...new Set([...RANGE_DAYS, r0?.last_days || 90])].sort((a, b) => a - b);
  const rangeDays = h("select", { id: "rb-range-days", "aria-label": t("range_days") }, dayChoices.map((n) => h("option", { value: n, selected: n === (r0?.last_days || 90) }, t("last_n_days", { n }))));
  const rangeFrom = h("input", { id: "rb-range-from", type: "date", value: r0?.from || "", "aria-label": t("range_from") });
  const rangeTo = h("input", { id: "rb-range-to", type: "date", value: r0?.to || "", "aria-label": t("range_to") });
  const rangeField = h(
    "select",
    { id: "rb-range-field", "aria-label": t("range_field") },
    h("option", { value: "order_date" }, t("order_date")),
    dateFields.map((f) => option(f, f.name === r0?.field)),
  );
  const showRange = () => {
    const kind = rangeKind.value;
    rangeField.hidden = kind === "";
    rangeDays.hidden = kind !== "last";
    rangeFrom.hidden = kind !== "between";
    rangeTo.hidden = kind !== "between";
  };
  showRange();
  const range = () => {
    const kind = rangeKind.value;
    if (!kind) return null;
    const r = rangeField.value && rangeField.value !== "order_date" ? { field: rangeField.value } : {};
    if (kind === "last") return { ...r, last_days: Number(rangeDays.value) };
    if (rangeFrom.value) r.from = rangeFrom.value;
    if (rangeTo.value) r.to = rangeTo.value;
    return r;
  };
  let filters = spec.filters || [];
  // Whether the user chose the dimension or the measure (else a question replaces them); a
  // saved report's own are as chosen.
  const touched = { dimension: Boolean(saved), measure: Boolean(saved) };
  const measure = () => (agg.value === "" ? null : agg.value === "count" ? { agg: "count" } : { agg: agg.value, field: measureField.value });

  const body = () => {
    const b = { name: name.value.trim() || "preview", title: title.value.trim() || t("report_title_default"), filters };
    if (measure()) b.measure = measure();
    if (dimension.value) b.dimension = dimension.value;
    const q = question.value.trim();
    if (q) b.question = q;
    const r = range();
    if (r) b.range = r;
    return b;
  };
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    const request = body();
    if (request.range && request.range.from && request.range.to && request.range.from > request.range.to) {
      mount(preview, h("p", { class: "note", role: "alert" }, t("range_bad_order")));
      stamp(preview, JSON.stringify(request), "preview");
      return;
    }
    preview.setAttribute("aria-busy", "true");
    try {
      const board = await api.post("/api/reports/preview", request);
      if (mine !== seq || stale()) return;
      mount(
        preview,
        h("h2", null, body().title),
        board.note ? h("p", { class: "note" }, noteOf(board.note)) : null,
        aboutOf(board) ? h("p", { class: "muted" }, aboutOf(board)) : null,
        timeLines(board),
        h("p", { class: "muted small" }, t("chart_is", { kind: t(`chart_${board.chart}`) })),
        drawChart(board, { title: body().title }),
      );
      // The preview is stamped with the report it shows (the request, as JSON).
      stamp(preview, JSON.stringify(request), "preview");
    } catch (err) {
      if (mine === seq && !stale()) {
        mount(preview, errorBox(err));
        stamp(preview, JSON.stringify(request), "preview");
      }
    } finally {
      if (mine === seq) preview.removeAttribute("aria-busy");
    }
  };
  const later = debounce(refresh, 250);
  agg.addEventListener("change", () => {
    touched.measure = true;
    measureField.disabled = agg.value === "count" || agg.value === "";
    later();
  });
  dimension.addEventListener("change", () => {
    touched.dimension = true;
    later();
  });
  measureField.addEventListener("change", () => {
    touched.measure = true;
    later();
  });
  question.addEventListener("input", () => {
    const asked = question.value.trim() !== "";
    if (!touched.dimension) dimension.value = asked ? "" : "province";
    if (!touched.measure) {
      agg.value = asked ? "" : "count";
      measureField.disabled = true;
    }
    later();
  });
  title.addEventListener("input", later);
  rangeKind.addEventListener("change", () => {
    showRange();
    later();
  });
  for (const el of [rangeDays, rangeField, rangeFrom, rangeTo]) el.addEventListener("change", later);

  const save = h("button", { type: "submit", class: "primary" }, t("save"));
  const form = h(
    "form",
    { class: "builder" },
    h("h1", null, editing ? t("edit_report") : t("new_report")),
    row("rb-title", t("report_title"), title),
    row("rb-dimension", t("dimension"), dimension),
    h("div", { class: "field" }, h("label", { for: "rb-agg" }, t("measure")), h("div", { class: "inline" }, agg, measureField)),
    filterEditor({ fields: fieldList, value: filters, onChange: (list) => { filters = list; later(); } }),
    row("rb-q", t("or_question"), question, t("or_question_hint")),
    h("div", { class: "field range" }, h("label", { for: "rb-range-kind" }, t("date_range")), h("div", { class: "inline" }, rangeKind, rangeField, rangeDays, rangeFrom, rangeTo)),
    row("rb-name", t("report_name"), name),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: refresh }, t("preview")), save),
    status,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const slug = name.value.trim();
    if (!NAME.test(slug)) {
      status.textContent = t("name_invalid");
      name.focus();
      return;
    }
    save.disabled = true;
    try {
      await api.post("/api/reports", { ...body(), name: slug });
      status.textContent = t("saved", { title: body().title });
      location.hash = `#/dashboard/${encodeURIComponent(slug)}`;
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      save.disabled = false;
    }
  });
  mount(main, h("div", { class: "report-builder" }, form, preview));
  refresh();
}

function row(id, text, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, text), control, hint ? h("p", { class: "muted small" }, hint) : null);
}
