// Region × industry: a heat matrix of rows [row value, column value, measure], rows and
// columns ordered by their totals, each cell coloured and numbered.

import { h, s } from "../dom.js";
import { valueLabel } from "../i18n.js";
import { breaks, colourOf, columnTitle, fit, formatter, inkOn, legend, pick, svgRoot, textWidth } from "./common.js";

export function matrixChart({ columns, rows, title }) {
  const { numeric, kinds } = pick(columns);
  const value = numeric.length ? numeric[numeric.length - 1] : -1;
  if (columns.length < 3 || value < 0) return null;
  const [rIdx, cIdx] = [0, 1, 2].filter((i) => i !== value);
  const cells = new Map();
  const rowTotals = new Map();
  const colTotals = new Map();
  for (const row of rows) {
    const r = String(row[rIdx] ?? "—");
    const c = String(row[cIdx] ?? "—");
    const v = Number(row[value]) || 0;
    cells.set(`${r}\u0000${c}`, v);
    rowTotals.set(r, (rowTotals.get(r) || 0) + v);
    colTotals.set(c, (colTotals.get(c) || 0) + v);
  }
  const byTotal = (m) => [...m.keys()].sort((a, b) => m.get(b) - m.get(a));
  const rKeys = byTotal(rowTotals);
  const cKeys = byTotal(colTotals);
  const format = formatter(kinds[value]);
  const limits = breaks([...cells.values()], 5);
  const labelW = Math.max(40, ...rKeys.map((k) => textWidth(valueLabel(k), 12) + 10));
  const width = 640;
  const cellW = (width - labelW) / Math.max(1, cKeys.length);
  const cellH = 30;
  const headH = 26;
  const svg = svgRoot(width, headH + rKeys.length * cellH, `${title} · ${columnTitle(columns[value])}`, { class: "chart-svg matrix" });
  cKeys.forEach((c, j) => {
    svg.append(s("text", { x: labelW + j * cellW + cellW / 2, y: 17, "text-anchor": "middle", class: "axis-label" }, fit(valueLabel(c), cellW - 2, 12)));
  });
  rKeys.forEach((r, i) => {
    const y = headH + i * cellH;
    svg.append(s("text", { x: labelW - 8, y: y + 19, "text-anchor": "end", class: "axis-label" }, valueLabel(r)));
    cKeys.forEach((c, j) => {
      const v = cells.get(`${r}\u0000${c}`) || 0;
      const fill = colourOf(v, limits);
      const x = labelW + j * cellW;
      svg.append(
        s(
          "g",
          { class: "cell", "data-value": v },
          s("title", null, `${valueLabel(r)} × ${valueLabel(c)}: ${format(v)}`),
          s("rect", { x: x + 1, y: y + 1, width: cellW - 2, height: cellH - 2, rx: 3, fill }),
          s("text", { x: x + cellW / 2, y: y + 19, "text-anchor": "middle", class: "cell-value", fill: inkOn(fill) }, fit(format(v), cellW - 4, 11)),
        ),
      );
    });
  });
  return h("div", { class: "matrix-chart" }, svg, legend(limits, format, columnTitle(columns[value])));
}
