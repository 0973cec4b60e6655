// Dashboards: the index of built-in boards and saved reports (#/dashboards), and one board
// (#/dashboard/map?filter=region=华东) drawn by its chart kind, with filters, embed and delete.

import { api, fields, query } from "./api.js";
import { errorBox } from "./ask.js";
import { pager } from "./table.js";
import { drawChart } from "./charts/index.js";
import { h, mount, s as sv, stamp } from "./dom.js";
import { openEmbedDialog } from "./embed-dialog.js";
import { PERIODS, filterBar, globalFilters, periodOf, withGlobal } from "./filterbar.js";
import { filterEditor } from "./filters.js";
import { aboutOf, dataAttrs, integer, lang, noteOf, percent, t } from "./i18n.js";
import { reportSubscribeButton } from "./watches.js";

const ICONS = {
  map: "M3 3h5v5H3zM9 3h5v5H9zM9 9h5v5H9zM15 9h5v5h-5zM3 9h5v5H3zM9 15h5v5H9z",
  bar: "M3 20V10h4v10zM10 20V4h4v16zM17 20v-7h4v7z",
  funnel: "M2 4h20l-7 8v7l-6 2v-9z",
  matrix: "M3 3h8v8H3zM13 3h8v8h-8zM3 13h8v8H3zM13 13h8v8h-8z",
  line: "M3 17l5-6 4 3 7-9 2 2-9 11-4-3-4 5z",
  table: "M3 4h18v4H3zM3 10h18v4H3zM3 16h18v4H3z",
};

export function titleOf(board) {
  return lang() === "en" && board.title_en ? board.title_en : board.title || board.name;
}

function icon(chart) {
  return h("span", { class: "board-icon", "aria-hidden": "true" }, sv("svg", { viewBox: "0 0 24 24" }, sv("path", { d: ICONS[chart] || ICONS.table })));
}

export async function boardsView(main, stale, params = new URLSearchParams()) {
  const drawnFor = location.hash;
  document.title = `${t("boards")} · ${t("brand")}`;
  mount(main, h("p", { class: "status" }, t("loading")));
  let list;
  let combos;
  try {
    [list, combos] = await Promise.all([api.get("/api/dashboards").then((r) => r.dashboards || []), api.get("/api/combos").then((r) => r.combos || [])]);
  } catch (err) {
    if (!stale()) mount(main, errorBox(err, () => boardsView(main, stale, params)));
    return;
  }
  if (stale()) return;
  const index = h(
    "section",
    { class: "boards" },
    h("h1", null, t("boards")),
    h("p", { class: "muted" }, t("boards_intro")),
    h(
      "ul",
      { class: "cards" },
      list.map((b) =>
        h(
          "li",
          { class: `card ${b.builtin ? "builtin" : "saved"}`, "data-board": b.name },
          h("a", { href: withGlobal(`#/dashboard/${encodeURIComponent(b.name)}`, params) }, icon(b.chart), h("span", { class: "card-title" }, titleOf(b)), h("span", { class: "card-kind" }, b.builtin ? t("builtin") : t("saved_report"), aboutOf(b) ? ` · ${aboutOf(b)}` : "")),
        ),
      ),
      h("li", { class: "card new" }, h("a", { href: "#/reports/new" }, h("span", { class: "board-icon plus", "aria-hidden": "true" }, "+"), h("span", { class: "card-title" }, t("new_report")), h("span", { class: "card-kind" }, t("new_report_hint")))),
    ),
    h("h2", null, t("combos")),
    h("p", { class: "muted" }, t("combos_intro")),
    h(
      "ul",
      { class: "cards combos" },
      combos.map((c) =>
        h(
          "li",
          { class: "card combo", "data-combo": c.name },
          h("a", { href: withGlobal(`#/dashboards/${encodeURIComponent(c.name)}`, params) }, icon("matrix"), h("span", dataAttrs(c.title || c.name, { class: "card-title" }), c.title || c.name), h("span", { class: "card-kind" }, t("combo_count", { n: c.boards.length }))),
        ),
      ),
      h("li", { class: "card new" }, h("a", { href: "#/dashboards/new" }, h("span", { class: "board-icon plus", "aria-hidden": "true" }, "+"), h("span", { class: "card-title" }, t("combo_new")), h("span", { class: "card-kind" }, t("combo_new_hint")))),
    ),
  );
  mount(main, index);
  stamp(index, drawnFor, "boards");
}

/** What the bar's period does on a board (or that it does not apply), and a report's own
 * date range, in the page's language: the lines there are (none, one or two). */
export function timeLines(board) {
  const en = lang() === "en";
  const p = board.period;
  const periodLine = p
    ? h(
        "p",
        { class: p.applies ? "period-line muted small" : "note period-na", role: "note", "data-period": p.days, "data-applies": String(p.applies) },
        p.applies ? `${t(`period_${p.days}`)} (${p.from} – ${p.to}) · ` : "",
        en ? p.how[1] : p.how[0],
      )
    : null;
  const range = board.range
    ? h("p", { class: "range-line muted small", "data-range-from": board.range.from || "", "data-range-to": board.range.to || "" }, t("date_range"), " · ", en ? board.range.words[1] : board.range.words[0])
    : null;
  return [periodLine, range].filter(Boolean);
}

/** The funnel's movement over its period: who ordered for the first time, who lapsed. */
function flowStrip(flow, onPeriod) {
  const days = String(flow.period_days);
  const step = (key, st) =>
    h(
      "p",
      { class: "flow-step", "data-flow": key, "data-base": st.base, "data-moved": st.moved },
      h("strong", null, typeof st.rate === "number" ? percent(st.rate) : "—"),
      " ",
      t(`flow_${key}`, { moved: integer(st.moved), base: integer(st.base) }),
    );
  const id = `flow-period-${days}`;
  return h(
    "section",
    { class: "flow", "aria-label": t("flow_title") },
    h(
      "label",
      { class: "bar-field", for: id },
      h("span", null, t("flow_title")),
      h(
        "select",
        { id, name: "period", onchange: (e) => onPeriod(e.target.value) },
        PERIODS.map((d) => h("option", { value: d, selected: d === days }, t(`period_${d}`))),
      ),
    ),
    step("converted", flow.converted),
    step("lapsed", flow.lapsed),
  );
}

export async function boardView(main, name, params, stale) {
  const drawnFor = location.hash;
  // The board's own filters (its editor), then the page's bar (大区, 行业, 负责销售).
  const own = params.getAll("filter");
  const filters = [...own, ...globalFilters(params)];
  // The churn board is a list of hundreds: it comes a page at a time.
  const paged = name === "churn";
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  // The bar's period (any board: each says what it does there, or that it does not apply).
  const period = periodOf(params);
  const limit = Math.min(200, Math.max(1, Number(params.get("limit")) || 20));
  mount(main, h("p", { class: "status" }, t("loading")));
  let board;
  let fieldList;
  let builtin = true;
  try {
    [board, fieldList, builtin] = await Promise.all([
      api.get(`/api/dashboards/${encodeURIComponent(name)}${query({ filter: filters, offset: paged ? offset : undefined, limit: paged ? limit : undefined, period })}`),
      fields().catch(() => []),
      api.get("/api/dashboards").then((r) => (r.dashboards || []).find((b) => b.name === name)?.builtin ?? true, () => true),
    ]);
  } catch (err) {
    if (!stale()) {
      const box = errorBox(err, () => boardView(main, name, params, stale));
      mount(main, box);
      stamp(box, drawnFor, "board-error");
    }
    return;
  }
  if (stale()) return;
  const title = titleOf(board);
  document.title = `${title} · ${t("brand")}`;
  const address = (own, bar, page = {}) => {
    const next = new URLSearchParams(bar);
    next.delete("filter");
    next.delete("offset");
    next.delete("limit");
    if (page.offset) next.set("offset", page.offset);
    if (page.limit && page.limit !== 20) next.set("limit", page.limit);
    for (const f of own) next.append("filter", f);
    const text = next.toString();
    return `#/dashboard/${encodeURIComponent(name)}${text ? `?${text}` : ""}`;
  };
  const setFilters = (list) => {
    location.hash = address(list, params);
  };
  const actions = h(
    "div",
    { class: "actions" },
    h("button", { type: "button", class: "secondary", onclick: () => openEmbedDialog({ name, title, filters, fields: fieldList }) }, t("embed")),
    reportSubscribeButton(name, { filters, period }),
    builtin ? null : h("a", { class: "button secondary", href: `#/reports/edit/${encodeURIComponent(name)}`, id: "edit-report" }, t("edit_report")),
    builtin
      ? null
      : h(
          "button",
          {
            type: "button",
            class: "danger",
            onclick: async () => {
              if (!confirm(t("confirm_delete", { title }))) return;
              try {
                await api.del(`/api/reports/${encodeURIComponent(name)}`);
                location.hash = "#/dashboards";
              } catch (err) {
                actions.append(errorBox(err));
              }
            },
          },
          t("delete_report"),
        ),
  );
  const article = h(
    "article",
    { class: "board", "data-board": name },
    h("p", { class: "crumb" }, h("a", { href: withGlobal("#/dashboards", params) }, `‹ ${t("boards")}`)),
    filterBar(
      params,
      (next) => {
        location.hash = address(own, next);
      },
      { period: "board" },
    ),
    h("header", { class: "board-head" }, h("div", null, h("h1", null, title), aboutOf(board) ? h("p", { class: "muted" }, aboutOf(board)) : null), actions),
    board.note ? h("p", { class: "note", role: "note" }, noteOf(board.note)) : null,
    timeLines(board),
    fieldList.length
      ? h(
          "details",
          { class: "board-filters", open: own.length > 0 },
          h("summary", null, own.length ? `${t("filters")} (${own.length})` : t("filters")),
          filterEditor({ fields: fieldList, value: own, onChange: setFilters }),
        )
      : null,
    board.flow ? flowStrip(board.flow, (days) => {
      const next = new URLSearchParams(params);
      next.set("period", days);
      location.hash = address(own, next);
    }) : null,
    drawChart(board, { title }),
    paged && typeof board.total === "number"
      ? [
          h("p", { class: "total muted small", "data-total": board.total }, t("total_list", { total: integer(board.total) })),
          board.total > limit || offset > 0
            ? pager({
                offset,
                limit,
                total: board.total,
                onPage: (next) => (location.hash = address(own, params, { offset: next, limit })),
                onLimit: (next) => (location.hash = address(own, params, { offset: 0, limit: next })),
              })
            : null,
        ]
      : typeof board.total === "number" && board.total > (board.rows || []).length
        ? h("p", { class: "muted small" }, `${(board.rows || []).length} / ${board.total}`)
        : null,
  );
  mount(main, article);
  stamp(article, drawnFor, "board");
}
