// How a question was understood, as chips (大区=华东 ×): from the answer's `chips`, or built
// from its interpretation; a chip's words can be cut from the question (×) or edited, and
// the question asked again. Spans are UTF-8 byte offsets into the question.

import { h } from "./dom.js";
import { compact, fieldLabel, lang, percent, t, valueLabel, kindOf } from "./i18n.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The question with the bytes of `span` replaced by `text`, glue and spaces tidied. */
export function replaceSpan(q, span, text) {
  const bytes = encoder.encode(q);
  const before = decoder.decode(bytes.slice(0, span.start));
  const after = decoder.decode(bytes.slice(span.end));
  return `${before}${text}${after}`.replace(/\s{2,}/g, " ").replace(/的的/g, "的").trim();
}

/** Pieces of the question: [text, unrecognised?] in order, from byte spans. */
export function splitBySpans(q, spans) {
  const bytes = encoder.encode(q);
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out = [];
  let at = 0;
  for (const sp of sorted) {
    if (sp.start < at) continue;
    if (sp.start > at) out.push([decoder.decode(bytes.slice(at, sp.start)), false]);
    out.push([decoder.decode(bytes.slice(sp.start, sp.end)), true]);
    at = sp.end;
  }
  if (at < bytes.length) out.push([decoder.decode(bytes.slice(at)), false]);
  return out;
}

const OPS = { "=": "=", "!=": "≠", ">": ">", ">=": "≥", "<": "<", "<=": "≤", in: "∈", "not in": "∉", contains: "∋", "not contains": "∌" };

function value(v, kind) {
  if (Array.isArray(v)) return v.map((x) => value(x, kind)).join("/");
  if (typeof v === "number") return kind === "ratio" ? percent(v) : kind === "money" ? compact(v) : String(v);
  return String(valueLabel(v));
}

/** A filter as people read it: 大区=华东, 年采购额>100万, 成立日期 2020-01-01–2020-12-31. */
export function filterLabel(f, kinds) {
  const and = lang() === "en" ? " and " : " 且 ";
  const or = lang() === "en" ? " or " : " 或 ";
  switch (f.type) {
    case "field": {
      const kind = kindOf(f.field, kinds?.[f.field]);
      const name = fieldLabel(f.field);
      if (f.op === "between" && Array.isArray(f.value)) return `${name} ${value(f.value[0], kind)}–${value(f.value[1], kind)}`;
      if (f.op === "is null") return `${name} ${lang() === "en" ? "unknown" : "为空"}`;
      if (f.op === "is not null") return `${name} ${lang() === "en" ? "known" : "不为空"}`;
      return `${name}${OPS[f.op] ?? ` ${f.op} `}${value(f.value, kind)}`;
    }
    case "any":
      return (f.filters || []).map((x) => filterLabel(x, kinds)).join(or);
    case "all":
      return (f.filters || []).map((x) => filterLabel(x, kinds)).join(and);
    case "not":
      return `${lang() === "en" ? "not " : "非"}(${filterLabel(f.filter ?? f.filters?.[0] ?? {}, kinds)})`;
    default:
      return f.span?.text ?? f.table ?? "?";
  }
}

/** A server chip in one shape: {label, part, index, span} with `filter` set for filters. */
function normal(chip) {
  const part = chip.part ?? (chip.filter !== undefined ? "filter" : undefined);
  const filter = chip.filter ?? (part === "filter" ? chip.index : undefined);
  return { ...chip, part, filter };
}

/** Chips of an answer: the server's (its labels are Chinese), or one per part of the interpretation. */
export function chipsOf(answer) {
  const interp = answer.interpretation || {};
  const kinds = Object.fromEntries((answer.columns || []).map((c) => [c.name, c.kind]));
  const serverChips = (answer.chips || []).map(normal);
  if (answer.chips && lang() === "zh") return serverChips;
  const chips = [];
  (interp.filters || []).forEach((f, i) => chips.push({ label: filterLabel(f, kinds), span: f.span, part: "filter", filter: i }));
  const en = lang() === "en";
  for (const term of interp.text || []) chips.push({ label: en ? `text “${term.text}”` : `文本「${term.text}」`, span: term.span, part: "text" });
  if (interp.similar) {
    const seeds = interp.similar.seeds.map((x) => x.text).join("、");
    chips.push({ label: en ? `like ${seeds}` : `相似：${seeds}`, span: interp.similar.span, part: "similar" });
  }
  for (const g of interp.group_by || []) chips.push({ label: en ? `by ${fieldLabel(g.field)}` : `按${fieldLabel(g.field)}分组`, span: g.span, part: "group" });
  for (const m of interp.measures || []) {
    const agg = t(`agg_${m.agg}`);
    chips.push({ label: m.field ? `${agg}${en ? " " : ""}${fieldLabel(m.field)}` : agg, span: m.span, part: "measure" });
  }
  for (const so of interp.sort || []) {
    const dir = so.descending ? (en ? "descending" : "降序") : en ? "ascending" : "升序";
    chips.push({ label: en ? `${fieldLabel(so.field)} ${dir}` : `按${fieldLabel(so.field)}${dir}`, span: so.span, part: "sort" });
  }
  if (interp.limit) chips.push({ label: en ? `top ${interp.limit.n}` : `前${interp.limit.n}`, span: interp.limit.span, part: "limit" });
  if (interp.share) chips.push({ label: en ? "share of total" : "占比", span: interp.share, part: "share" });
  if (interp.compare) {
    const yoy = interp.compare.kind === "year_on_year";
    const label = en ? (yoy ? "year over year" : "period over period") : yoy ? "同比" : "环比";
    chips.push({ label, span: interp.compare.span, part: "compare" });
  }
  // Parts the server knows and this list does not (new kinds of chips) stay visible.
  const known = ["filter", "text", "similar", "group", "measure", "sort", "limit", "share", "compare"];
  for (const c of serverChips) {
    if (c.part && !known.includes(c.part)) chips.push(c);
  }
  return chips;
}

function overlaps(a, b) {
  return a && b && a.start < b.end && b.start < a.end;
}

/**
 * What removing `chip` asks next: the question without the chip's words when they are
 * its own, else the same question with one more filter dropped (several chips share the
 * words). `drop` lists filters of the parsed question already dropped; the answer's chips
 * count filters after those drops, so the index is mapped back to the parsed question.
 */
export function withoutChip(q, chip, chips, drop = []) {
  const shared = chips.some((o) => o !== chip && overlaps(o.span, chip.span));
  if (chip.span && (!shared || chip.filter === undefined)) {
    // The other filters keep their drops: past a cut filter they count one less.
    const cut = chip.filter === undefined ? null : parsedIndex(chip.filter, drop);
    const kept = cut === null ? drop : drop.map((i) => (i > cut ? i - 1 : i));
    return { q: replaceSpan(q, chip.span, ""), drop: kept };
  }
  if (chip.filter !== undefined) return { q, drop: [...drop, parsedIndex(chip.filter, drop)].sort((a, b) => a - b) };
  return { q, drop };
}

/** The index in the parsed question of the `n`th filter left after dropping `drop`. */
function parsedIndex(n, drop) {
  let left = -1;
  for (let i = 0; ; i += 1) {
    if (!drop.includes(i)) left += 1;
    if (left === n) return i;
  }
}

/** The chips as a list: label (click to edit the words) and × (remove). */
export function chipList(chips, { onRemove, onEdit }) {
  const list = h("ul", { class: "chips", "aria-label": t("understood_as") });
  for (const chip of chips) {
    const li = h("li", { class: `chip${chip.part ? ` chip-${chip.part}` : ""}`, "data-filter": chip.filter ?? null });
    const label = h(
      "button",
      {
        type: "button",
        class: "chip-label",
        title: chip.span ? t("chip_edit_hint") : chip.label,
        "aria-label": chip.span ? t("chip_edit", { label: chip.label }) : chip.label,
        disabled: !chip.span,
      },
      chip.label,
    );
    label.addEventListener("click", () => startEdit(li, chip, onEdit));
    const remove = h("button", { type: "button", class: "chip-remove", "aria-label": t("chip_remove", { label: chip.label }), onclick: () => onRemove(chip) }, "×");
    li.append(label, remove);
    list.append(li);
  }
  return list;
}

function startEdit(li, chip, onEdit) {
  const original = chip.span.text;
  const input = h("input", {
    type: "text",
    class: "chip-input",
    value: original,
    size: Math.max(4, [...original].length * 2),
    "aria-label": t("chip_edit", { label: chip.label }),
  });
  const children = [...li.childNodes];
  li.replaceChildren(input);
  li.classList.add("editing");
  input.focus();
  input.select();
  let done = false;
  const finish = (commit) => {
    if (done) return;
    done = true;
    const text = input.value.trim();
    if (commit && text !== original) onEdit(chip, text);
    else {
      li.classList.remove("editing");
      li.replaceChildren(...children);
      children[0].focus();
    }
  };
  input.addEventListener("keydown", (e) => {
    if (e.isComposing) return;
    if (e.key === "Enter") {
      e.preventDefault();
      finish(true);
    } else if (e.key === "Escape") {
      e.preventDefault();
      finish(false);
    }
  });
  input.addEventListener("blur", () => finish(false));
}
