// An embedded dashboard (/embed/{name}?token=…): one board, or a combined dashboard's
// boards, without the app's chrome, read with the token (signed, expiring, read-only, maybe
// with fixed filters) or refused plainly.

import { api, ApiError } from "./api.js";
import { drawChart } from "./charts/index.js";
import { h, mount, stamp } from "./dom.js";
import { aboutOf, dataAttrs, errorTitle, lang, noteOf, t } from "./i18n.js";

const root = document.getElementById("embed");

const titleOf = (board) => (lang() === "en" && board.title_en ? board.title_en : board.title || board.name);
document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";

function refused(detail) {
  document.title = t("embed_refused");
  mount(
    root,
    h("section", { class: "refused", role: "alert" }, h("h1", null, t("embed_refused")), h("p", null, t("embed_refused_hint")), detail ? h("p", { class: "muted small" }, detail) : null),
  );
}

/** One board's chart, its title a heading of `level`. */
function boardOf(board, level) {
  if (board.missing) return h("section", { class: "combo-cell", "data-board": board.name }, h(level, dataAttrs(board.name), board.name), h("p", { class: "note" }, t("combo_missing", { name: board.name })));
  const title = titleOf(board);
  return h(
    level === "h1" ? "article" : "section",
    { class: level === "h1" ? "board embedded" : "combo-cell", "data-board": board.name },
    h(level, dataAttrs(title), title),
    aboutOf(board) ? h("p", { class: "muted small" }, aboutOf(board)) : null,
    board.note ? h("p", { class: "note", role: "note" }, noteOf(board.note)) : null,
    drawChart(board, { title, links: false, table: false }),
  );
}

/** What the page was asked to show: the board and its token. */
const drawnFor = location.pathname + location.search;

async function show() {
  const name = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
  const token = new URLSearchParams(location.search).get("token");
  if (!name || !token) {
    refused(t("embed_no_token"));
    stamp(root, drawnFor, "embed");
    return;
  }
  mount(root, h("p", { class: "status" }, t("loading")));
  try {
    const board = await api.get(`/api/embed/${encodeURIComponent(name)}?token=${encodeURIComponent(token)}`);
    const title = titleOf(board);
    document.title = title;
    if (board.combo) {
      const cells = (board.boards || []).map((b) => boardOf(b, "h2"));
      mount(root, h("article", { class: "combo embedded", "data-combo": name }, h("h1", dataAttrs(title), title), h("div", { class: "combo-grid" }, cells)));
    } else {
      mount(root, boardOf(board, "h1"));
    }
  } catch (err) {
    if (err instanceof ApiError && [400, 401, 403, 404].includes(err.status)) refused(`${errorTitle(err)}（${err.message}）`);
    else mount(root, h("p", { class: "error", role: "alert" }, errorTitle(err), " ", h("span", { class: "error-detail" }, err.message)));
  }
  stamp(root, drawnFor, "embed");
}

show();
