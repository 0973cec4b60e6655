// Lines over an ordered dimension (months, dates), and the sparkline of a customer's
// monthly purchases.

import { s } from "../dom.js";
import { columnTitle, formatter, pick, svgRoot, ticks } from "./common.js";

export function lineChart({ columns, rows, title }) {
  const { label, value, kinds } = pick(columns);
  if (value < 0) return null;
  const points = rows.map((r) => ({ label: String(r[label] ?? "—"), value: Number(r[value]) || 0 }));
  return drawLine(points, formatter(kinds[value]), `${title} · ${columnTitle(columns[value])}`);
}

function drawLine(points, format, title) {
  const width = 640;
  const height = 240;
  const left = 52;
  const top = 16;
  const bottom = 30;
  const plotW = width - left - 12;
  const plotH = height - top - bottom;
  const axis = ticks(Math.max(0, ...points.map((p) => p.value)));
  const max = axis[axis.length - 1] || 1;
  const x = (i) => left + (points.length <= 1 ? plotW / 2 : (plotW * i) / (points.length - 1));
  const y = (v) => top + plotH - (plotH * v) / max;
  const svg = svgRoot(width, height, title, { class: "chart-svg line" });
  for (const tick of axis) {
    svg.append(
      s("line", { x1: left, x2: width - 4, y1: y(tick), y2: y(tick), class: "grid" }),
      s("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis-label" }, format(tick)),
    );
  }
  const every = Math.max(1, Math.ceil(points.length / 8));
  svg.append(s("polyline", { points: points.map((p, i) => `${x(i)},${y(p.value)}`).join(" "), class: "line-path" }));
  points.forEach((p, i) => {
    svg.append(s("circle", { cx: x(i), cy: y(p.value), r: 3.5, class: "line-dot", "data-value": p.value }, s("title", null, `${p.label}: ${format(p.value)}`)));
    if (i % every === 0 || i === points.length - 1) {
      svg.append(s("text", { x: x(i), y: height - 10, "text-anchor": "middle", class: "axis-label" }, p.label));
    }
  });
  return svg;
}

/** A small area line of monthly amounts ([{month, amount}]), its peak and last month named. */
export function sparkline(monthly, format, title) {
  const width = 640;
  const height = 110;
  const pad = 6;
  const values = monthly.map((m) => Number(m.amount) || 0);
  const max = Math.max(0, ...values) || 1;
  const x = (i) => pad + (values.length <= 1 ? (width - 2 * pad) / 2 : ((width - 2 * pad) * i) / (values.length - 1));
  const y = (v) => height - 18 - ((height - 36) * v) / max;
  const svg = svgRoot(width, height, title, { class: "chart-svg spark" });
  const line = values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
  svg.append(
    s("polygon", { points: `${x(0)},${y(0)} ${line} ${x(values.length - 1)},${y(0)}`, class: "spark-area" }),
    s("polyline", { points: line, class: "spark-line" }),
  );
  monthly.forEach((m, i) => {
    svg.append(s("circle", { cx: x(i), cy: y(values[i]), r: 3, class: "spark-dot", "data-value": values[i] }, s("title", null, `${m.month}: ${format(values[i])}`)));
  });
  const first = monthly[0];
  const last = monthly[monthly.length - 1];
  if (first) svg.append(s("text", { x: pad, y: height - 2, class: "axis-label" }, first.month));
  if (last && last !== first) svg.append(s("text", { x: width - pad, y: height - 2, "text-anchor": "end", class: "axis-label" }, last.month));
  const peak = values.indexOf(Math.max(...values));
  if (peak >= 0 && values[peak] > 0) {
    const px = x(peak);
    svg.append(s("text", { x: Math.min(Math.max(px, 30), width - 30), y: y(values[peak]) - 6, "text-anchor": "middle", class: "bar-value" }, format(values[peak])));
  }
  return svg;
}
