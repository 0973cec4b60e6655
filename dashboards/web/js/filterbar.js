// The page's filter bar (home and boards): 大区, 行业, 负责销售, kept in the address
// (#/dashboard/map?region=华东&industry=制造&owner=…) and applied to every board and
// figure on the page as the API's fixed filters (region=华东). Links between the pages
// carry it, so a manager who chose 华东 stays in 华东.

import { api } from "./api.js";
import { h, uid } from "./dom.js";
import { dataAttrs, fieldLabel, t, valueLabel } from "./i18n.js";
import { VALUES } from "./filters.js";

/** The fields of the bar, in its order. */
export const GLOBAL = ["region", "industry", "owner"];

/** The bar's choices in `params` (URLSearchParams of the hash): [[field, value]…]. */
export function chosen(params) {
  return GLOBAL.map((f) => [f, (params.get(f) || "").trim()]).filter(([, v]) => v);
}

/** The bar's choices as the API's filters: ["region=华东", …]. */
export function globalFilters(params) {
  return chosen(params).map(([f, v]) => `${f}=${v}`);
}

/** The bar's period in `params` (days: "365", "90" or "30"), or undefined. */
export function periodOf(params) {
  const p = params.get("period");
  return PERIODS.includes(p) ? p : undefined;
}

/** `href` (a hash address) with the bar's choices of `params` (and its period) added to
 * its query. */
export function withGlobal(href, params) {
  const picked = chosen(params);
  const period = periodOf(params);
  if (period) picked.push(["period", period]);
  if (!picked.length) return href;
  const [path, search = ""] = href.split("?");
  const q = new URLSearchParams(search);
  for (const [f, v] of picked) q.set(f, v);
  return `${path}?${q}`;
}

let owners = null;

/** Every 负责销售 the caller may see (a grouped answer, once per page). */
function ownerNames() {
  if (!owners) {
    owners = api
      .post("/api/ask", { q: "按负责销售统计客户数", limit: 500 })
      .then((a) => (a.rows || []).map((r) => r[0]).filter((v) => typeof v === "string"))
      .catch(() => {
        owners = null;
        return [];
      });
  }
  return owners;
}

/** The periods the home page's figures count over (days), the year first. */
export const PERIODS = ["365", "90", "30"];

/** The bar for the address `params`; `onChange(next)` with the new URLSearchParams. With
 * `period: "home"`, also the period the figures count over (a year unless chosen); with
 * `period: "board"`, the period of the boards, which may be left open (不限期间): a board
 * with time then reads the period's orders, and one without says it does not apply. */
export function filterBar(params, onChange, { period = false } = {}) {
  const set = (field, value) => {
    const next = new URLSearchParams(params);
    if (value) next.set(field, value);
    else next.delete(field);
    next.delete("offset");
    onChange(next);
  };
  const select = (field) => {
    const id = uid(`bar-${field}`);
    const current = params.get(field) || "";
    const el = h(
      "select",
      { id, name: field, onchange: (e) => set(field, e.target.value) },
      h("option", { value: "" }, t("bar_all")),
      VALUES[field].map((v) => h("option", { value: v, selected: v === current }, valueLabel(v))),
    );
    return h("label", { class: "bar-field", for: id }, h("span", null, fieldLabel(field)), el);
  };
  const ownerId = uid("bar-owner");
  const listId = uid("owners");
  const datalist = h("datalist", { id: listId });
  const owner = h("input", dataAttrs(params.get("owner") || "", { id: ownerId, name: "owner", type: "search", list: listId, size: "8", value: params.get("owner") || "", autocomplete: "off" }));
  owner.addEventListener("change", () => set("owner", owner.value.trim()));
  owner.addEventListener("focus", async () => {
    const names = await ownerNames();
    if (!datalist.childElementCount) datalist.append(...names.map((n) => h("option", { value: n })));
  }, { once: true });
  const clear = chosen(params).length
    ? h("button", { type: "button", class: "link", onclick: () => onChange(new URLSearchParams([...params].filter(([k]) => !GLOBAL.includes(k)))) }, t("bar_clear"))
    : null;
  const periodId = uid("bar-period");
  const board = period === "board";
  const periodField = period
    ? h(
        "label",
        { class: "bar-field", for: periodId },
        h("span", null, t("bar_period")),
        h(
          "select",
          { id: periodId, name: "period", onchange: (e) => set("period", !board && e.target.value === "365" ? "" : e.target.value) },
          board ? h("option", { value: "" }, t("period_any")) : null,
          PERIODS.map((d) => h("option", { value: d, selected: d === (params.get("period") || (board ? "" : "365")) }, t(`period_${d}`))),
        ),
      )
    : null;
  return h(
    "form",
    { class: "filter-bar", role: "search", "aria-label": t("bar_label"), onsubmit: (e) => { e.preventDefault(); set("owner", owner.value.trim()); } },
    periodField,
    select("region"),
    select("industry"),
    h("label", { class: "bar-field", for: ownerId }, h("span", null, fieldLabel("owner")), owner, datalist),
    clear,
  );
}
