// Combined dashboards: several saved reports and built-in boards on one page
// (#/dashboards/NAME), each drawn as it is alone, all under one filter bar and period; and
// their editor (#/dashboards/new, #/dashboards/edit/NAME): a title, a name, the boards in
// order. The server keeps only the names; each chart is asked for as GET
// /api/dashboards/{board}, so it stays within the caller's rows and field rules.

import { api, fields, query } from "./api.js";
import { errorBox } from "./ask.js";
import { drawChart } from "./charts/index.js";
import { h, mount, stamp } from "./dom.js";
import { openEmbedDialog } from "./embed-dialog.js";
import { timeLines, titleOf } from "./boards.js";
import { filterBar, globalFilters, periodOf, withGlobal } from "./filterbar.js";
import { aboutOf, dataAttrs, noteOf, t } from "./i18n.js";
import { NAME, NAME_PATTERN } from "./reports.js";
import { reportSubscribeButton } from "./watches.js";

const path = (name) => `#/dashboards/${encodeURIComponent(name)}`;

/** One chart of a combined dashboard into `cell`: the board with the page's filters and
 * period, or why it cannot be shown. */
async function fillCell(cell, chart, params) {
  if (chart.missing) {
    cell.append(h("h2", dataAttrs(chart.name), chart.name), h("p", { class: "note", role: "note" }, t("combo_missing", { name: chart.name })));
    return;
  }
  try {
    const board = await api.get(`/api/dashboards/${encodeURIComponent(chart.name)}${query({ filter: globalFilters(params), period: periodOf(params) })}`);
    const title = titleOf(board);
    // Element.append writes null as text: only what there is.
    const parts = [
      h("header", { class: "combo-head" }, h("h2", dataAttrs(title), title), h("a", { class: "small", href: withGlobal(`#/dashboard/${encodeURIComponent(chart.name)}`, params) }, t("combo_open_board"))),
      aboutOf(board) ? h("p", { class: "muted small" }, aboutOf(board)) : null,
      board.note ? h("p", { class: "note", role: "note" }, noteOf(board.note)) : null,
      ...timeLines(board),
      drawChart(board, { title }),
    ];
    cell.append(...parts.filter(Boolean));
  } catch (err) {
    cell.append(h("h2", dataAttrs(titleOf(chart)), titleOf(chart)), errorBox(err));
  }
}

export async function comboView(main, name, params, stale) {
  const drawnFor = location.hash;
  mount(main, h("p", { class: "status" }, t("loading")));
  let combo;
  try {
    combo = await api.get(`/api/combos/${encodeURIComponent(name)}`);
  } catch (err) {
    if (!stale()) {
      const box = errorBox(err, () => comboView(main, name, params, stale));
      mount(main, box);
      stamp(box, drawnFor, "combo-error");
    }
    return;
  }
  if (stale()) return;
  const title = combo.title || combo.name;
  document.title = `${title} · ${t("brand")}`;
  const charts = combo.charts || [];
  const actions = h(
    "div",
    { class: "actions" },
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        id: "embed-combo",
        onclick: async () => openEmbedDialog({ name, title, filters: globalFilters(params), fields: await fields().catch(() => []) }),
      },
      t("embed"),
    ),
    reportSubscribeButton(name, { filters: globalFilters(params), period: periodOf(params) }),
    h("a", { class: "button secondary", href: `#/dashboards/edit/${encodeURIComponent(name)}`, id: "edit-combo" }, t("combo_edit")),
    h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: async () => {
          if (!confirm(t("combo_confirm_delete", { title }))) return;
          try {
            await api.del(`/api/combos/${encodeURIComponent(name)}`);
            location.hash = withGlobal("#/dashboards", params);
          } catch (err) {
            actions.append(errorBox(err));
          }
        },
      },
      t("combo_delete"),
    ),
  );
  const cells = charts.map((c) => h("section", { class: "combo-cell", "data-board": c.name }));
  const article = h(
    "article",
    { class: "combo", "data-combo": name },
    h("p", { class: "crumb" }, h("a", { href: withGlobal("#/dashboards", params) }, `‹ ${t("boards")}`)),
    filterBar(
      params,
      (next) => {
        const text = next.toString();
        location.hash = `${path(name)}${text ? `?${text}` : ""}`;
      },
      { period: "board" },
    ),
    h("header", { class: "board-head" }, h("div", null, h("h1", dataAttrs(title), title), h("p", { class: "muted" }, t("combo_count", { n: charts.length }))), actions),
    h("div", { class: "combo-grid" }, cells),
  );
  mount(main, article);
  await Promise.all(charts.map((c, i) => fillCell(cells[i], c, params)));
  if (stale()) return;
  stamp(article, drawnFor, "combo");
}

export async function comboEditor(main, stale, editing = null) {
  const drawnFor = location.hash;
  document.title = `${editing ? t("combo_edit") : t("combo_new")} · ${t("brand")}`;
  mount(main, h("p", { class: "status" }, t("loading")));
  let list;
  let saved = null;
  try {
    [list, saved] = await Promise.all([api.get("/api/dashboards").then((r) => r.dashboards || []), editing ? api.get(`/api/combos/${encodeURIComponent(editing)}`) : null]);
  } catch (err) {
    if (!stale()) {
      const box = errorBox(err, () => comboEditor(main, stale, editing));
      mount(main, box);
      stamp(box, drawnFor, "combo-error");
    }
    return;
  }
  if (stale()) return;
  const chosen = saved ? [...saved.boards] : [];
  const byName = new Map(list.map((b) => [b.name, b]));
  const label = (n) => (byName.has(n) ? titleOf(byName.get(n)) : n);
  const title = h("input", { id: "cb-title", type: "text", maxlength: "100", value: saved ? saved.title : t("combo_title_default") });
  const name = h("input", { id: "cb-name", type: "text", value: saved ? saved.name : `dash-${Date.now().toString(36)}`, pattern: NAME_PATTERN, maxlength: "64", autocapitalize: "off", spellcheck: "false", readonly: Boolean(saved) });
  const pick = h("ul", { class: "combo-pick", "aria-label": t("combo_pick") });
  const picked = h("ol", { class: "combo-chosen", "aria-label": t("combo_chosen") });
  const status = h("p", { class: "status", role: "status" });
  const button = (text, cls, onclick) => h("button", { type: "button", class: `link ${cls}`, onclick }, text);
  const draw = () => {
    pick.replaceChildren(
      ...list
        .filter((b) => !chosen.includes(b.name))
        .map((b) =>
          h(
            "li",
            { "data-board": b.name },
            h("span", null, h("span", dataAttrs(titleOf(b)), titleOf(b)), h("span", { class: "muted small" }, ` · ${b.builtin ? t("builtin") : t("saved_report")}`)),
            button(t("combo_add"), "add", () => {
              chosen.push(b.name);
              draw();
            }),
          ),
        ),
    );
    picked.replaceChildren(
      ...chosen.map((n, i) =>
        h(
          "li",
          { "data-board": n },
          h("span", dataAttrs(label(n)), label(n)),
          i > 0
            ? button(t("combo_up"), "up", () => {
                [chosen[i - 1], chosen[i]] = [chosen[i], chosen[i - 1]];
                draw();
              })
            : null,
          i < chosen.length - 1
            ? button(t("combo_down"), "down", () => {
                [chosen[i + 1], chosen[i]] = [chosen[i], chosen[i + 1]];
                draw();
              })
            : null,
          button(t("combo_remove"), "remove", () => {
            chosen.splice(i, 1);
            draw();
          }),
        ),
      ),
    );
    if (!chosen.length) picked.append(h("li", { class: "muted" }, t("combo_none_chosen")));
  };
  draw();
  const save = h("button", { type: "submit", class: "primary" }, t("save"));
  const form = h(
    "form",
    { class: "builder combo-editor" },
    h("h1", null, editing ? t("combo_edit") : t("combo_new")),
    h("p", { class: "muted" }, t("combos_intro")),
    h("div", { class: "field" }, h("label", { for: "cb-title" }, t("combo_title")), title),
    h("div", { class: "field" }, h("label", { for: "cb-name" }, t("report_name")), name),
    h("div", { class: "combo-lists" }, h("div", null, h("h2", null, t("combo_chosen")), picked), h("div", null, h("h2", null, t("combo_pick")), pick)),
    h("div", { class: "actions" }, save),
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
    if (!chosen.length) {
      status.textContent = t("combo_none_chosen");
      return;
    }
    save.disabled = true;
    try {
      await api.post("/api/combos", { name: slug, title: title.value.trim() || t("combo_title_default"), boards: chosen });
      location.hash = path(slug);
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      save.disabled = false;
    }
  });
  mount(main, form);
  stamp(form, drawnFor, "combo-editor");
}
