// The results table: labelled columns, cells by kind, customer links, highlighted matches,
// server-side sorting by clicking a header, and the pager under it.

import { h, marked } from "./dom.js";
import { cell, dataAttrs, fieldLabel, kindOf, t, valueLabel } from "./i18n.js";

const NUMERIC = new Set(["number", "money", "ratio"]);

/**
 * columns/rows as the API returns them. Options: sort {by, desc} and onSort(name) for
 * sortable headers; highlights {id: [snippet]}; hits: names of filtered columns whose cells
 * are marked; terms: words to mark in text cells; caption for screen readers.
 */
export function resultTable({ columns, rows, sort, onSort, highlights, hits, terms, caption, link = true }) {
  const kinds = columns.map((c) => kindOf(c.name, c.kind));
  const idIdx = columns.findIndex((c) => c.name === "id");
  const head = h(
    "tr",
    null,
    columns.map((col, i) => {
      const label = fieldLabel(col.name, col.label, col.label_en);
      const sorted = sort && sort.by === col.name;
      const ariaSort = sorted ? (sort.desc ? "descending" : "ascending") : onSort ? "none" : null;
      const th = h("th", { scope: "col", class: NUMERIC.has(kinds[i]) ? "num" : null, "aria-sort": ariaSort });
      if (onSort && kinds[i] !== "tags") {
        th.append(
          h(
            "button",
            { type: "button", class: "sort", title: t("sort_by", { label }), onclick: () => onSort(col.name, kinds[i]) },
            label,
            h("span", { class: "sort-mark", "aria-hidden": "true" }, sorted ? (sort.desc ? " ↓" : " ↑") : ""),
          ),
        );
      } else th.append(label);
      return th;
    }),
  );
  const body = rows.map((row) => {
    const id = idIdx >= 0 ? row[idIdx] : null;
    return h(
      "tr",
      null,
      row.map((value, i) => {
        const col = columns[i];
        const shown = Array.isArray(value) ? value.map(valueLabel).join(" ") : cell(value, kinds[i]);
        const td = h("td", dataAttrs(shown, { class: NUMERIC.has(kinds[i]) ? "num" : null }));
        const content = cellContent(value, kinds[i], col.name, terms);
        const linked = link && id && (col.name === "id" || col.name === "name") ? h("a", { href: `#/customer/${encodeURIComponent(id)}` }, content) : content;
        td.append(hits && hits.has(col.name) && value !== null ? h("mark", { class: "hit" }, linked) : linked);
        if (col.name === "name" && id && highlights && highlights[id]) {
          for (const snippet of highlights[id].slice(0, 2)) td.append(h("div", { class: "snippet" }, marked(snippet)));
        }
        return td;
      }),
    );
  });
  return h(
    "div",
    { class: "table-scroll", tabindex: "0", role: "region", "aria-label": caption || t("data_table") },
    h("table", { class: "results" }, caption ? h("caption", { class: "sr-only" }, caption) : null, h("thead", null, head), h("tbody", null, body)),
  );
}

function cellContent(value, kind, name, terms) {
  if (kind === "tags" && Array.isArray(value)) {
    return h("span", { class: "pills" }, value.map((v) => h("span", dataAttrs(valueLabel(v), { class: "pill" }), valueLabel(v))));
  }
  const text = cell(value, kind);
  if (terms && terms.length && (kind === "text" || name === "name")) return markTerms(text, terms);
  return text;
}

/** Text with every occurrence of the terms in <mark>. */
export function markTerms(text, terms) {
  const words = terms.filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!words.length) return text;
  const parts = String(text).split(new RegExp(`(${words.join("|")})`, "gi"));
  const frag = document.createDocumentFragment();
  parts.forEach((part, i) => frag.append(i % 2 ? h("mark", null, part) : part));
  return frag;
}

/** "共 1,234 家 · 第 1–20 条", previous/next and the page size. */
export function pager({ offset, limit, total, onPage, onLimit }) {
  const from = total ? offset + 1 : 0;
  const to = Math.min(total, offset + limit);
  const prev = h("button", { type: "button", class: "secondary", disabled: offset <= 0, onclick: () => onPage(Math.max(0, offset - limit)) }, `‹ ${t("prev")}`);
  const next = h("button", { type: "button", class: "secondary", disabled: to >= total, onclick: () => onPage(offset + limit) }, `${t("next")} ›`);
  const size = h(
    "select",
    { "aria-label": t("page_size"), onchange: (e) => onLimit(Number(e.target.value)) },
    [20, 50, 100].map((n) => h("option", { value: n, selected: n === limit }, String(n))),
  );
  return h(
    "nav",
    { class: "pager", "aria-label": t("pager") },
    prev,
    h("span", { class: "pager-pos" }, t("showing", { from, to })),
    next,
    h("label", { class: "pager-size" }, t("page_size"), " ", size),
  );
}
