// Bars: horizontal for many or long labels (customer names, TOP20), vertical for a few
// short ones; each bar says its value and may link to the row's customer.

import { s } from "../dom.js";
import { dataAttrs, valueLabel } from "../i18n.js";
import { columnTitle, fit, formatter, pick, svgRoot, textWidth, ticks } from "./common.js";

const WIDTH = 640;

export function barChart({ columns, rows, title, link }) {
  const { id, label, value, kinds } = pick(columns);
  if (value < 0) return null;
  const items = rows.map((row) => ({
    label: String(valueLabel(row[label] ?? "—")),
    value: Number(row[value]) || 0,
    href: link && id >= 0 ? link(row[id]) : null,
  }));
  const format = formatter(kinds[value]);
  const longest = Math.max(0, ...items.map((i) => textWidth(i.label, 12)));
  const vertical = items.length <= 12 && longest <= 60;
  const name = `${title} · ${columnTitle(columns[value])}`;
  return vertical ? columnsChart(items, format, name) : horizontal(items, format, name);
}

function horizontal(items, format, title) {
  const rowH = 26;
  // A few groups (RFM segments) keep their whole names; long lists of customers are cut.
  const widest = items.length <= 12 ? 300 : 210;
  const labelW = Math.min(widest, Math.max(48, ...items.map((i) => textWidth(i.label, 12) + 10)));
  const valueW = 64;
  const area = WIDTH - labelW - valueW;
  const max = Math.max(0, ...items.map((i) => i.value)) || 1;
  const svg = svgRoot(WIDTH, items.length * rowH + 6, title, { class: "chart-svg bars" });
  items.forEach((item, n) => {
    const y = n * rowH + 3;
    const w = Math.max(item.value > 0 ? 2 : 0, (area * item.value) / max);
    const g = s(
      "g",
      { class: "bar", "data-value": item.value },
      s("title", null, `${item.label}: ${format(item.value)}`),
      s("text", dataAttrs(item.label, { x: labelW - 8, y: y + 15, "text-anchor": "end", class: "axis-label" }), fit(item.label, labelW - 12, 12)),
      s("rect", { x: labelW, y: y + 3, width: w, height: 17, rx: 3, class: "bar-fill" }),
      s("text", { x: labelW + w + 5, y: y + 16, class: "bar-value" }, format(item.value)),
    );
    svg.append(item.href ? s("a", { href: item.href, "aria-label": `${item.label} ${format(item.value)}` }, g) : g);
  });
  return svg;
}

function columnsChart(items, format, title) {
  const height = 260;
  const left = 52;
  const bottom = 30;
  const top = 18;
  const plotH = height - bottom - top;
  const axis = ticks(Math.max(0, ...items.map((i) => i.value)));
  const max = axis[axis.length - 1] || 1;
  const band = (WIDTH - left - 8) / Math.max(1, items.length);
  const svg = svgRoot(WIDTH, height, title, { class: "chart-svg bars vertical" });
  for (const tick of axis) {
    const y = top + plotH - (plotH * tick) / max;
    svg.append(
      s("line", { x1: left, x2: WIDTH - 4, y1: y, y2: y, class: "grid" }),
      s("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis-label" }, format(tick)),
    );
  }
  items.forEach((item, n) => {
    const bh = (plotH * item.value) / max;
    const x = left + n * band + band * 0.15;
    const g = s(
      "g",
      { class: "bar", "data-value": item.value },
      s("title", null, `${item.label}: ${format(item.value)}`),
      s("rect", { x, y: top + plotH - bh, width: band * 0.7, height: bh, rx: 3, class: "bar-fill" }),
      s("text", { x: x + band * 0.35, y: top + plotH - bh - 5, "text-anchor": "middle", class: "bar-value" }, format(item.value)),
      s("text", dataAttrs(item.label, { x: x + band * 0.35, y: height - 10, "text-anchor": "middle", class: "axis-label" }), fit(item.label, band - 4, 12)),
    );
    svg.append(item.href ? s("a", { href: item.href }, g) : g);
  });
  return svg;
}
