// The lifecycle funnel: one centred band per stage, its width the stage's share of the
// largest, with the count and the stage's share of all customers beside it.

import { s } from "../dom.js";
import { percent, valueLabel } from "../i18n.js";
import { columnTitle, fit, formatter, pick, svgRoot } from "./common.js";

export function funnelChart({ columns, rows, title }) {
  const { label, value, kinds } = pick(columns);
  if (value < 0) return null;
  const stages = rows.map((r) => ({ label: String(valueLabel(r[label] ?? "—")), value: Number(r[value]) || 0 }));
  const format = formatter(kinds[value]);
  const width = 640;
  const rowH = 46;
  const labelW = 110;
  const valueW = 130;
  const area = width - labelW - valueW;
  const cx = labelW + area / 2;
  const max = Math.max(0, ...stages.map((st) => st.value)) || 1;
  // Stages are states a customer is in, not steps all pass through: each shows its share of all.
  const sum = stages.reduce((acc, st) => acc + st.value, 0);
  const svg = svgRoot(width, stages.length * rowH, `${title} · ${columnTitle(columns[value])}`, { class: "chart-svg funnel" });
  const half = (v) => Math.max(1.5, (area * v) / max / 2);
  stages.forEach((st, i) => {
    const y = i * rowH;
    const next = stages[i + 1];
    if (next) {
      svg.append(
        s("polygon", {
          class: "funnel-neck",
          points: `${cx - half(st.value)},${y + 34} ${cx + half(st.value)},${y + 34} ${cx + half(next.value)},${y + rowH} ${cx - half(next.value)},${y + rowH}`,
        }),
      );
    }
    const share = sum > 0 ? ` · ${percent(st.value / sum)}` : "";
    svg.append(
      s(
        "g",
        { class: "stage", "data-value": st.value },
        s("title", null, `${st.label}: ${format(st.value)}`),
        s("rect", { x: cx - half(st.value), y, width: half(st.value) * 2, height: 34, rx: 4, class: `stage-fill stage-${i % 6}` }),
        s("text", { x: labelW - 10, y: y + 22, "text-anchor": "end", class: "axis-label strong" }, fit(st.label, labelW - 14, 13)),
        s("text", { x: width - valueW + 10, y: y + 22, class: "bar-value" }, `${format(st.value)}${share}`),
      ),
    );
  });
  return svg;
}
