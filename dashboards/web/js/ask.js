// The question page (#/ask?q=…): the box with suggestions, how the question was understood
// (chips, words not understood), and the answer: table, chart of groups, paging, sorting,
// CSV export. The URL holds the question, its page and its order, so answers can be shared.

import { api, download, ApiError } from "./api.js";
import { announce, h, mount, stamp } from "./dom.js";
import { chipList, chipsOf, replaceSpan, splitBySpans, withoutChip } from "./chips.js";
import { drawChart } from "./charts/index.js";
import { cell, dataAttrs, errorTitle, fieldLabel, integer, kindOf, lang, orderedBy, t } from "./i18n.js";
import { drawOverview } from "./home.js";
import { attachSuggestions } from "./suggest.js";
import { pager, resultTable } from "./table.js";
import { subscribeButton } from "./watches.js";

const EXAMPLES = [
  "检索华东地区年采购额超百万的科技类客户",
  "价值贡献TOP20客户",
  "按省份统计客户数",
  "近30天咨询≥5次且未成交的客户",
  "流失风险高的忠诚客户",
  "各行业平均年采购额",
  "上海年采购额500万以上的金融客户按采购额排序",
  "tech customers in East China with annual purchase over 1 million",
];

const DEFAULT_LIMIT = 20;
/** The most groups a chart draws (the server's largest page). */
const MAX_CHART_GROUPS = 1000;

/** The ask state held in the hash: #/ask?q=…&offset=20&limit=50&sort=annual_purchase:desc&drop=1 */
export function askHash({ q, offset = 0, limit = DEFAULT_LIMIT, sort = null, drop = [] }) {
  const p = new URLSearchParams({ q });
  if (offset) p.set("offset", offset);
  if (limit !== DEFAULT_LIMIT) p.set("limit", limit);
  if (sort) p.set("sort", `${sort.by}:${sort.desc ? "desc" : "asc"}`);
  if (drop.length) p.set("drop", drop.join(","));
  return `#/ask?${p}`;
}

function stateFrom(params) {
  const sort = params.get("sort");
  const [by, dir] = sort ? sort.split(":") : [];
  return {
    q: params.get("q") || "",
    offset: Math.max(0, Number(params.get("offset")) || 0),
    limit: Math.min(500, Math.max(1, Number(params.get("limit")) || DEFAULT_LIMIT)),
    sort: by ? { by, desc: dir !== "asc" } : null,
    drop: (params.get("drop") || "").split(",").filter((x) => x !== "").map(Number),
  };
}

let view = null;
let seq = 0;

function build() {
  const input = h("input", {
    id: "q",
    name: "q",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: "500",
    enterkeyhint: "search",
    placeholder: t("ask_placeholder"),
  });
  const form = h(
    "form",
    { class: "qbox", role: "search" },
    h("label", { for: "q", class: "sr-only" }, t("question")),
    h("div", { class: "combo" }, input),
    h("button", { type: "submit", class: "primary" }, t("ask")),
  );
  // A customer chosen opens their profile; anything else is asked.
  const suggest = attachSuggestions(input, {
    onChoose: (item) => {
      if (item && item.kind === "customer" && item.id) {
        suggest.close();
        location.hash = `#/customer/${encodeURIComponent(item.id)}`;
      } else submit();
    },
    lang,
  });
  form.querySelector(".combo").append(suggest.list);
  const submit = () => {
    suggest.close();
    const q = input.value.trim();
    if (!q) return;
    go({ q });
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  const understood = h("section", { class: "understood", "aria-label": t("understood_as") });
  const result = h("section", { class: "result", "aria-live": "polite" });
  const examples = h(
    "section",
    { class: "examples" },
    h("h2", null, t("examples")),
    h("ul", null, EXAMPLES.map((q) => h("li", null, h("a", dataAttrs(q, { href: askHash({ q }) }), q)))),
  );
  const overview = h("section", { class: "overview", "aria-label": t("overview") });
  const root = h("div", { class: "ask-view", "data-lang": lang() }, form, overview, examples, understood, result);
  return { root, input, understood, result, examples, overview, suggest };
}

function go(state) {
  const hash = askHash(state);
  if (location.hash === hash) render(state);
  else location.hash = hash;
}

/** Shows the ask page for the hash's parameters. */
export function askView(main, params) {
  if (!view || !main.contains(view.root) || view.root.dataset.lang !== lang()) {
    view = build();
    mount(main, view.root);
  }
  const state = stateFrom(params);
  view.input.value = state.q;
  document.title = state.q ? `${state.q} · ${t("brand")}` : t("brand");
  if (!state.q) {
    view.examples.hidden = false;
    view.overview.hidden = false;
    view.understood.replaceChildren();
    view.result.replaceChildren();
    view.input.focus();
    drawOverview(view.overview, location.hash, params);
    return;
  }
  render(state);
}

async function render(state) {
  const mine = ++seq;
  const drawnFor = location.hash;
  const { understood, result, examples, overview } = view;
  examples.hidden = true;
  overview.hidden = true;
  result.setAttribute("aria-busy", "true");
  result.classList.add("loading");
  if (!result.childElementCount) result.append(h("p", { class: "status" }, t("loading")));
  const body = { q: state.q, offset: state.offset, limit: state.limit };
  if (state.sort) body.sort = state.sort;
  if (state.drop.length) body.drop = state.drop;
  try {
    const answer = await api.post("/api/ask", body);
    if (mine !== seq) return;
    showUnderstood(understood, state, answer);
    showResult(result, state, answer, body);
    stamp(result, drawnFor, "ask");
    announce(t(answer.kind === "groups" ? "total_groups" : "total_list", { total: integer(answer.total) }));
  } catch (err) {
    if (mine !== seq) return;
    understood.replaceChildren();
    mount(result, errorBox(err, () => render(state)));
    stamp(result, drawnFor, "ask-error");
  } finally {
    if (mine === seq) {
      result.removeAttribute("aria-busy");
      result.classList.remove("loading");
    }
  }
}

/** How the question was read, in the page's language: the server's line in Chinese, the
 * chips' English in English (the question itself when nothing was read). */
function readingOf(answer, state) {
  if (lang() !== "en") return answer.explain || state.q;
  const labels = chipsOf(answer).map((c) => c.label);
  return labels.length ? labels.join(" · ") : state.q;
}

export function errorBox(err, retry) {
  const title = errorTitle(err);
  const detail = err instanceof ApiError ? err.message : String((err && err.message) || err);
  return h(
    "div",
    { class: `error ${err.code || ""}`, role: "alert" },
    h("p", { class: "error-title" }, title),
    detail && detail !== title ? h("p", { class: "error-detail" }, detail) : null,
    retry && !(err instanceof ApiError && err.status < 500) ? h("button", { type: "button", class: "secondary", onclick: retry }, t("retry")) : null,
  );
}

function showUnderstood(box, state, answer) {
  const chips = chipsOf(answer);
  const parts = [];
  parts.push(
    h("div", { class: "understood-head" }, h("span", { class: "understood-label" }, `${t("understood_as")}${lang() === "en" ? ":" : "："}`), chipList(chips, {
      onRemove: (chip) => {
        const next = withoutChip(state.q, chip, chips, state.drop);
        if (!next.q) {
          location.hash = "#/";
          return;
        }
        go({ q: next.q, limit: state.limit, drop: next.drop });
      },
      onEdit: (chip, text) => go({ q: replaceSpan(state.q, chip.span, text), limit: state.limit, drop: state.drop }),
    })),
  );
  const unrec = answer.unrecognized || [];
  if (unrec.length) {
    parts.push(
      h(
        "p",
        { class: "echo" },
        splitBySpans(state.q, unrec).map(([text, bad]) => (bad ? h("mark", { class: "unrec" }, text) : text)),
      ),
      h("p", { class: "unrecognized" }, t("unrecognized"), unrec.map((u) => u.text).join(lang() === "en" ? ", " : "、")),
    );
  }
  if (answer.partial) {
    // The answer left words out: say so, and offer each back as a text condition (提到…).
    parts.push(
      h(
        "div",
        { class: "partial", role: "status" },
        h("strong", null, t("partial")),
        t("partial_ignored", { words: (answer.ignored || []).map((w) => `「${w}」`).join(lang() === "en" ? ", " : "、") }),
        unrec.map((u) =>
          h(
            "button",
            {
              type: "button",
              class: "secondary add-text",
              onclick: () => go({ q: replaceSpan(state.q, u, `提到${u.text.trim()}`), limit: state.limit, drop: state.drop }),
            },
            t("partial_add", { word: u.text.trim() }),
          ),
        ),
      ),
    );
  }
  const alternatives = answer.alternatives || [];
  if (alternatives.length) {
    parts.push(
      h(
        "p",
        { class: "alternatives" },
        t("alternatives"),
        alternatives.map((a) => `「${a.span?.text ?? ""}」→ ${(a.others || []).map((o) => o.label).join(" / ")}`).join("；"),
      ),
    );
  }
  mount(box, parts);
}

function hitFields(filters, out = new Set()) {
  for (const f of filters || []) {
    if (f.type === "field") out.add(f.field);
    else if (f.type === "any" || f.type === "all") hitFields(f.filters, out);
  }
  return out;
}

/**
 * The chart of a grouped answer: every group, whatever page the table shows (a chart of one
 * page would draw the other groups as missing or zero). When the answer has more groups than
 * the page, all of them are fetched for the chart.
 */
function groupsChart({ chart, columns, rows, total, state, body }, title) {
  if (total <= rows.length && state.offset === 0) return drawChart({ chart, columns, rows }, { title, table: false });
  const mine = seq;
  const all = Math.min(total, MAX_CHART_GROUPS);
  const slot = h("div", { class: "chart-slot", "aria-busy": "true" }, h("p", { class: "status" }, t("loading")));
  api
    .post("/api/ask", { ...body, offset: 0, limit: all })
    .then((full) => {
      if (mine !== seq) return;
      const note = total > all ? h("p", { class: "note" }, t("chart_first_groups", { shown: integer(all), total: integer(total) })) : null;
      mount(slot, note, drawChart({ chart, columns: full.columns || columns, rows: full.rows || [] }, { title, table: false }));
      slot.removeAttribute("aria-busy");
      slot.dataset.groups = String((full.rows || []).length);
    })
    .catch((err) => {
      if (mine === seq) mount(slot, errorBox(err));
    });
  return slot;
}

function showResult(box, state, answer, body) {
  const kind = answer.kind || "list";
  const columns = answer.columns || [];
  const rows = answer.rows || [];
  const interp = answer.interpretation || {};
  const parts = [];
  const total = answer.total ?? rows.length;
  const exportButton = h("button", { type: "button", class: "secondary export" }, t("export_csv"));
  exportButton.addEventListener("click", async () => {
    exportButton.disabled = true;
    exportButton.textContent = t("exporting");
    try {
      const { offset: _o, limit: _l, ...all } = body;
      await download("/api/export", all, "kesou.csv");
    } catch (err) {
      box.prepend(errorBox(err));
    } finally {
      exportButton.disabled = false;
      exportButton.textContent = t("export_csv");
    }
  });
  parts.push(
    h(
      "div",
      { class: "toolbar" },
      // A summary's one row is not a count of customers: its figures say what it counts.
      kind === "summary" ? null : h("p", { class: "total", "data-total": total }, h("strong", null, t(kind === "groups" ? "total_groups" : "total_list", { total: integer(total) }))),
      answer.ordered_by ? h("p", { class: "ordered" }, t("ordered_by", { by: orderedBy(answer.ordered_by) })) : null,
      typeof answer.took_ms === "number" ? h("p", { class: "took" }, t("took", { ms: answer.took_ms.toFixed(1) })) : null,
      exportButton,
      // A list can be watched: customers entering its answer are pushed (订阅).
      kind === "list" ? subscribeButton(state.q, interp, (state.drop || []).length > 0) : null,
    ),
  );
  if (!rows.length) {
    parts.push(h("p", { class: "empty" }, t("no_answer")));
    mount(box, parts);
    return;
  }
  if (kind === "summary" && rows.length === 1) {
    parts.push(
      h(
        "dl",
        { class: "summary" },
        columns.map((c, i) => h("div", { class: "figure" }, h("dt", null, fieldLabel(c.name, c.label)), h("dd", null, cell(rows[0][i], kindOf(c.name, c.kind))))),
      ),
    );
  } else if (kind === "groups" && columns.length >= 2 && (interp.group_by || [])[0]?.field !== "id") {
    // (Grouped by the key: customers ranked one by one, 上个月下单金额最多的10家; the table is
    // the answer, each id a link to its profile.)
    const groupField = (interp.group_by || [])[0]?.field;
    // A time series (按月统计销售额) is a line over its periods, in order.
    const chart = interp.series
      ? "line"
      : groupField === "province"
        ? "map"
        : columns.length >= 3 && (interp.group_by || []).length === 2
          ? "matrix"
          : "bar";
    parts.push(groupsChart({ chart, columns, rows, total, state, body }, readingOf(answer, state)));
  }
  if (kind !== "summary") {
    parts.push(
      resultTable({
        columns,
        rows,
        sort: state.sort,
        onSort: (by, colKind) => {
          const desc = state.sort?.by === by ? !state.sort.desc : ["number", "money", "ratio", "date", "timestamp"].includes(colKind);
          go({ q: state.q, limit: state.limit, drop: state.drop, sort: { by, desc } });
        },
        highlights: answer.highlights,
        hits: hitFields(interp.filters),
        terms: (interp.text || []).map((x) => x.text),
        caption: readingOf(answer, state),
      }),
    );
    if (total > rows.length || state.offset > 0) {
      parts.push(
        pager({
          offset: state.offset,
          limit: state.limit,
          total,
          onPage: (offset) => go({ ...state, offset }),
          onLimit: (limit) => go({ ...state, limit, offset: 0 }),
        }),
      );
    }
  }
  mount(box, parts);
}
