// What the hand-written SVG charts share: text widths for layout, nice axis ticks, a
// sequential colour scale with its legend, and which columns of an answer to draw.

import { h, s } from "../dom.js";
import { compact, fieldLabel, kindOf } from "../i18n.js";

/** Approximate width of text in px: CJK glyphs are square, latin about 0.6 em. */
export function textWidth(text, size) {
  let w = 0;
  for (const ch of String(text)) w += ch.codePointAt(0) > 0x2e80 ? size : size * 0.6;
  return w;
}

/** Text cut with … so that it fits `max` px. */
export function fit(text, max, size) {
  const str = String(text);
  if (textWidth(str, size) <= max) return str;
  let out = "";
  for (const ch of str) {
    if (textWidth(`${out}${ch}…`, size) > max) break;
    out += ch;
  }
  return `${out}…`;
}

/** A round step near max/count: 1, 2 or 5 times a power of ten. */
export function niceStep(max, count) {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

export function ticks(max, count = 4) {
  const step = niceStep(max, count);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const out = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(v);
  return out;
}

/** Light to dark blue; the last two carry white text. */
export const PALETTE = ["#e6eff9", "#c3d9ef", "#93bce0", "#5f9bcd", "#3579b7", "#175a9c", "#083b73"];
export const EMPTY = "#eceef1";

/** Class limits from the quantiles of the non-zero values: `k` classes, k-1 thresholds. */
export function breaks(values, k = 5) {
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const out = [];
  for (let i = 1; i < k; i += 1) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * i) / k))];
    if (!out.length || v > out[out.length - 1]) out.push(v);
  }
  return out;
}

/** The colour class of `v` given thresholds: 0 for nothing, then 1..k. */
export function classOf(v, limits) {
  if (!(v > 0)) return -1;
  let i = 0;
  while (i < limits.length && v >= limits[i]) i += 1;
  return i;
}

/** The fill of colour class `c` out of `n` classes, spread over the palette. */
export function classColour(c, n) {
  if (c < 0) return EMPTY;
  const idx = n <= 1 ? PALETTE.length - 2 : Math.round(1 + (c * (PALETTE.length - 2)) / (n - 1));
  return PALETTE[Math.min(PALETTE.length - 1, idx)];
}

export function colourOf(v, limits) {
  return classColour(classOf(v, limits), limits.length + 1);
}

export function inkOn(fill) {
  return PALETTE.indexOf(fill) >= 4 ? "#fff" : "#1b2733";
}

/** The legend of a class scale as HTML: a swatch and the range of each class. */
export function legend(limits, format, caption) {
  const n = limits.length + 1;
  const items = [h("li", null, h("span", { class: "swatch", style: `background:${EMPTY}` }), "0")];
  for (let c = 0; c < n; c += 1) {
    const text = c === 0 ? `< ${format(limits[0] ?? 0)}` : c === n - 1 ? `≥ ${format(limits[c - 1])}` : `${format(limits[c - 1])} – ${format(limits[c])}`;
    items.push(h("li", null, h("span", { class: "swatch", style: `background:${classColour(c, n)}` }), n === 1 ? "> 0" : text));
  }
  return h("div", { class: "legend", role: "group", "aria-label": caption }, caption ? h("span", { class: "legend-caption" }, caption) : null, h("ul", null, items));
}

const NUMERIC = new Set(["number", "money", "ratio"]);

/** Which columns a chart draws: a label, a value, and the customer id when rows are customers. */
export function pick(columns) {
  const kinds = columns.map((c) => kindOf(c.name, c.kind));
  const id = columns.findIndex((c) => c.name === "id");
  let label = columns.findIndex((c) => c.name === "name");
  if (label < 0) label = kinds.findIndex((k) => !NUMERIC.has(k));
  if (label < 0) label = 0;
  const numeric = kinds.map((k, i) => (NUMERIC.has(k) && i !== label ? i : -1)).filter((i) => i >= 0);
  // Rows of customers are ranked by money (年采购额) rather than by the first number.
  const money = numeric.find((i) => kinds[i] === "money");
  const value = id >= 0 && money !== undefined ? money : numeric[0] ?? -1;
  return { id, label, value, numeric, kinds };
}

/** The measure formatter of a column kind: money and big numbers compact, ratios as %. */
export function formatter(kind) {
  if (kind === "ratio") return (v) => `${Math.round(v * 100)}%`;
  return (v) => compact(v);
}

export function columnTitle(col) {
  return fieldLabel(col.name, col.label, col.label_en);
}

/** An <svg> sized by its viewBox so that it scales to its container. */
export function svgRoot(width, height, title, extra) {
  const id = `t${Math.random().toString(36).slice(2, 9)}`;
  return s(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": id, class: "chart-svg", preserveAspectRatio: "xMidYMin meet", ...extra },
    s("title", { id }, title),
  );
}

export function empty(message) {
  return h("p", { class: "chart-empty" }, message);
}
