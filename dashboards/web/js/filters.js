// Filters as the API writes them ("region=华东", "annual_purchase>=1000000"): shown as
// removable chips with an adder (field, comparison, value) fed by GET /api/fields.

import { h, uid } from "./dom.js";
import { compact, fieldLabel, kindOf, lang, t, valueLabel } from "./i18n.js";
import { PROVINCES } from "./charts/provinces.js";

const OPS = ["=", "!=", ">", ">=", "<", "<="];
const OP_LABEL = { "=": "=", "!=": "≠", ">": ">", ">=": "≥", "<": "<", "<=": "≤" };

/** The closed sets of the demo data, offered as the values of their fields. */
export const VALUES = {
  region: ["华东", "华南", "华北", "华中", "西南", "西北", "东北"],
  industry: ["科技", "制造", "金融", "零售", "医疗", "教育", "物流", "能源", "建筑", "餐饮", "农业", "传媒"],
  size: ["微型", "小型", "中型", "大型"],
  lifecycle: ["潜在", "意向", "成交", "忠诚", "流失"],
  value_level: ["高", "中", "低"],
  province: PROVINCES.map((p) => p.full),
};

/** A filter string's parts, or null: "annual_purchase>=1000000" → [field, op, value]. */
export function parseFilter(text) {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|!=|=|>|<)\s*(.*?)\s*$/.exec(text);
  return m ? [m[1], m[2], m[3]] : null;
}

/** "region=华东" as people read it: 大区=华东; money compact: 年采购额≥100万. */
export function filterText(text, fieldsByName = {}) {
  const parts = parseFilter(text);
  if (!parts) return text;
  const [name, op, value] = parts;
  const f = fieldsByName[name];
  const kind = kindOf(name, f?.kind);
  const shown = kind === "money" && value !== "" && !Number.isNaN(Number(value)) ? compact(Number(value)) : valueLabel(value);
  return `${fieldLabel(name, f?.label, f?.label_en)}${OP_LABEL[op]}${shown}`;
}

/** An editor of a list of filter strings; onChange(list) after every change. */
export function filterEditor({ fields, value = [], onChange, legend }) {
  let list = [...value];
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  // Fields that filter, the dimensions (大区, 行业 …) first: they are what people fix most.
  const usable = fields.filter((f) => f.filter !== false && f.kind !== "text");
  usable.sort((a, b) => Number(Boolean(b.dimension)) - Number(Boolean(a.dimension)));
  const chips = h("ul", { class: "chips filters-list", "aria-label": legend || t("filters") });
  const draw = () => {
    chips.replaceChildren(
      ...(list.length
        ? list.map((f, i) => {
            const label = filterText(f, byName);
            return h(
              "li",
              { class: "chip", "data-filter": f },
              h("span", { class: "chip-label" }, label),
              h("button", { type: "button", class: "chip-remove", "aria-label": t("remove_filter", { f: label }), onclick: () => { list = list.filter((_, j) => j !== i); draw(); onChange([...list]); } }, "×"),
            );
          })
        : [h("li", { class: "muted small" }, t("no_filters"))]),
    );
  };
  const listId = uid("values");
  const datalist = h("datalist", { id: listId });
  const field = h("select", { "aria-label": t("filter_field") }, usable.map((f) => h("option", { value: f.name }, fieldLabel(f.name, f.label, f.label_en))));
  const op = h("select", { "aria-label": t("filter_op") }, OPS.map((o) => h("option", { value: o }, OP_LABEL[o])));
  const input = h("input", { type: "text", "aria-label": t("filter_value"), list: listId, size: "10" });
  const fillValues = () => {
    const values = VALUES[field.value] || [];
    datalist.replaceChildren(...values.map((v) => h("option", { value: v }, valueLabel(v))));
    const kind = kindOf(field.value, byName[field.value]?.kind);
    input.inputMode = ["number", "money", "ratio"].includes(kind) ? "decimal" : "text";
    // An example value as the server takes it (华东): only in Chinese, where it reads as such.
    input.placeholder = kind === "money" ? "1000000" : kind === "date" ? "2026-01-01" : lang() === "en" ? "" : values[0] ?? "";
  };
  field.addEventListener("change", fillValues);
  const add = () => {
    const v = input.value.trim();
    if (!v) {
      input.focus();
      return;
    }
    list.push(`${field.value}${op.value}${v}`);
    input.value = "";
    draw();
    onChange([...list]);
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      add();
    }
  });
  fillValues();
  draw();
  return h(
    "fieldset",
    { class: "filter-editor" },
    h("legend", null, legend || t("filters")),
    chips,
    h("div", { class: "filter-add" }, field, op, input, datalist, h("button", { type: "button", class: "secondary", onclick: add }, t("add_filter"))),
  );
}
