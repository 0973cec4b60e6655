// The home page's overview (#/): the figures a manager looks at first (customers, 年采购额
// and its change, new customers, 流失风险高, 高意向待转化), each a link to the answer or
// board behind it. The numbers come from GET /api/overview; the page only shows them.

import { api, query } from "./api.js";
import { errorBox } from "./ask.js";
import { h, stamp } from "./dom.js";
import { PERIODS, chosen, filterBar, globalFilters, withGlobal } from "./filterbar.js";
import { compact, integer, lang, percent, t } from "./i18n.js";

/** A figure's link with the bar's choices: a board keeps them as its filters; a question
 * starts with the chosen values (华东 制造 …), which it reads as the same filters. */
function linkOf(k, params) {
  if (!k.link.startsWith("#/ask?")) return withGlobal(k.link, params);
  const q = new URLSearchParams(k.link.split("?")[1]).get("q") || "";
  const words = chosen(params).map(([, v]) => v);
  return `#/ask?${new URLSearchParams({ q: [...words, q].join(" ") })}`;
}

/** The filter bar and the overview's cards in `box` for the address's `params`, stamped
 * with the address they were drawn for. */
export async function drawOverview(box, drawnFor, params) {
  const bar = filterBar(
    params,
    (next) => {
      const text = next.toString();
      location.hash = text ? `#/?${text}` : "#/";
    },
    { period: "home" },
  );
  const period = PERIODS.includes(params.get("period")) ? params.get("period") : undefined;
  box.replaceChildren(bar, h("p", { class: "status" }, t("loading")));
  let overview;
  try {
    overview = await api.get(`/api/overview${query({ filter: globalFilters(params), period: period === "365" ? undefined : period })}`);
  } catch (err) {
    box.replaceChildren(bar, errorBox(err));
    stamp(box, drawnFor, "overview-error");
    return;
  }
  if (location.hash !== drawnFor) return;
  const en = lang() === "en";
  const cards = (overview.kpis || []).map((k) => {
    const value = k.kind === "money" ? compact(k.value) : integer(k.value);
    const change =
      typeof k.change === "number"
        ? h("span", { class: `kpi-change ${k.change >= 0 ? "up" : "down"}` }, t(overview.period_days === 365 ? "kpi_change" : "kpi_change_period", { pct: `${k.change >= 0 ? "+" : "−"}${percent(Math.abs(k.change))}`, days: overview.period_days }))
        : null;
    return h(
      "li",
      { class: "kpi", "data-kpi": k.key, "data-value": k.value },
      h(
        "a",
        { href: linkOf(k, params) },
        h("span", { class: "kpi-title" }, en ? k.title_en : k.title),
        k.note ? h("strong", { class: "kpi-value muted" }, "—") : h("strong", { class: "kpi-value" }, value),
        k.note ? h("span", { class: "kpi-note muted small" }, en ? k.note[1] : k.note[0]) : null,
        change,
        h("span", { class: "kpi-about muted small" }, en ? k.about_en : k.about),
      ),
    );
  });
  box.replaceChildren(
    bar,
    h("h2", null, t("overview"), h("span", { class: "muted small" }, ` · ${t("as_of", { date: overview.as_of })}`)),
    h("ul", { class: "kpis" }, cards),
  );
  stamp(box, drawnFor, "overview");
}
