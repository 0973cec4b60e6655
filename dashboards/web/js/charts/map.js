// 客户分布热力图: the tile grid of the 31 provinces coloured by a measure, with its legend
// and a switch between the measures of the rows (customers, purchase).

import { h, s } from "../dom.js";
import { lang, t } from "../i18n.js";
import { breaks, colourOf, columnTitle, formatter, inkOn, legend, pick, svgRoot } from "./common.js";
import { COLUMNS, PROVINCES, ROWS, provinceOf } from "./provinces.js";

const TILE = 64;
const GAP = 4;

/** rows: [province, measure…]; `link(province)` makes a tile a link (or null). */
export function mapChart({ columns, rows, title, link }) {
  const { label, numeric, kinds } = pick(columns);
  const box = h("div", { class: "map-chart" });
  if (!numeric.length) return box;
  let measure = numeric[0];

  const draw = () => {
    const values = new Map();
    for (const row of rows) {
      const p = provinceOf(row[label]);
      if (p) values.set(p.short, { name: row[label], value: Number(row[measure]) || 0 });
    }
    const limits = breaks([...values.values()].map((v) => v.value), 5);
    const format = formatter(kinds[measure]);
    const width = COLUMNS * (TILE + GAP);
    const height = ROWS * (TILE + GAP);
    const svg = svgRoot(width, height, `${title} · ${columnTitle(columns[measure])}`, { class: "chart-svg map" });
    for (const p of PROVINCES) {
      const entry = values.get(p.short);
      const value = entry ? entry.value : 0;
      const fill = colourOf(value, limits);
      const x = p.col * (TILE + GAP);
      const y = p.row * (TILE + GAP);
      const name = lang() === "en" ? p.en : p.short;
      const tile = s(
        "g",
        { class: "tile", "data-province": p.short, "data-value": value },
        s("title", null, `${lang() === "en" ? p.en : entry?.name ?? p.short}: ${format(value)}`),
        s("rect", { x, y, width: TILE, height: TILE, rx: 6, fill }),
        s("text", { x: x + TILE / 2, y: y + 27, "text-anchor": "middle", class: name.length > 8 ? "tile-name long" : "tile-name", fill: inkOn(fill), ...(name.length > 11 ? { textLength: TILE - 6, lengthAdjust: "spacingAndGlyphs" } : {}) }, name),
        s("text", { x: x + TILE / 2, y: y + 46, "text-anchor": "middle", class: "tile-value", fill: inkOn(fill) }, format(value)),
      );
      const href = link ? link(entry?.name ?? p.short) : null;
      svg.append(href ? s("a", { href, "aria-label": `${name} ${format(value)}` }, tile) : tile);
    }
    const legendBox = legend(limits, format, columnTitle(columns[measure]));
    box.replaceChildren(switcher, h("div", { class: "map-body" }, svg, legendBox));
  };

  const switcher = h("div", { class: "segmented", role: "group", "aria-label": t("legend") });
  if (numeric.length > 1) {
    for (const i of numeric) {
      const button = h("button", { type: "button", "aria-pressed": String(i === measure) }, columnTitle(columns[i]));
      button.addEventListener("click", () => {
        measure = i;
        for (const b of switcher.children) b.setAttribute("aria-pressed", String(b === button));
        draw();
      });
      switcher.append(button);
    }
  }
  draw();
  return box;
}
