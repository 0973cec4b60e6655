// One entry for every chart kind the API names (map, bar, funnel, matrix, line, table):
// draws a dashboard's rows into a <figure> with the data table behind it.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { resultTable } from "../table.js";
import { barChart } from "./bar.js";
import { empty } from "./common.js";
import { funnelChart } from "./funnel.js";
import { lineChart } from "./line.js";
import { mapChart } from "./map.js";
import { matrixChart } from "./matrix.js";

const DRAW = { bar: barChart, map: mapChart, funnel: funnelChart, matrix: matrixChart, line: lineChart };

const customerLink = (id) => `#/customer/${encodeURIComponent(id)}`;

/**
 * A board's chart. `board` holds chart, columns, rows (as the API returns a dashboard);
 * `links` makes customer bars and province tiles links inside the app (not in embeds).
 */
export function drawChart(board, { title, links = true, table = true } = {}) {
  const { chart, columns = [], rows = [] } = board;
  const figure = h("figure", { class: `chart chart-${chart}`, "data-chart": chart });
  if (!rows.length) {
    figure.append(empty(t("empty_chart")));
    return figure;
  }
  const draw = DRAW[chart];
  // Questions stay Chinese in both languages: the parser reads province names in Chinese.
  const provinceLink = (name) => `#/ask?q=${encodeURIComponent(`${name}的客户`)}`;
  const drawn = draw
    ? draw({ columns, rows, title, link: links ? (chart === "map" ? provinceLink : customerLink) : null })
    : null;
  if (drawn) figure.append(drawn);
  if (!drawn || chart === "table") {
    figure.append(resultTable({ columns, rows, caption: title, link: links }));
  } else if (table) {
    figure.append(h("details", { class: "chart-data" }, h("summary", null, t("data_table")), resultTable({ columns, rows, caption: title, link: links })));
  }
  return figure;
}
