// A customer's profile (#/customer/C0000123): the card, tags, RFM, churn risk and its
// factors, monthly purchases, orders and interactions, and the 相似客户 panel beside it.

import { api } from "./api.js";
import { errorBox } from "./ask.js";
import { sparkline } from "./charts/line.js";
import { h, mount, stamp } from "./dom.js";
import { cell, compact, dataAttrs, fieldLabel, integer, kindOf, lang, percent, reasonParts, t, valueLabel } from "./i18n.js";

const colon = () => (lang() === "en" ? ": " : "：");

const FACTS = [
  "annual_purchase", "total_purchase", "order_count", "last_order_date", "consult_30d",
  "employees", "registered_capital", "founded_date", "owner", "credit_code",
];

const SHOWN_ORDERS = 12;
const SHOWN_INTERACTIONS = 12;

export async function profileView(main, id, stale) {
  const drawnFor = location.hash;
  mount(main, h("p", { class: "status" }, t("loading")));
  const path = `/api/customers/${encodeURIComponent(id)}`;
  let profile;
  try {
    profile = await api.get(path);
  } catch (err) {
    if (!stale()) {
      document.title = `${t("profile")} · ${t("brand")}`;
      const box = errorBox(err, () => profileView(main, id, stale));
      mount(main, box);
      stamp(box, drawnFor, "profile-error");
    }
    return;
  }
  if (stale()) return;
  profile = normalise(profile);
  const c = profile.customer;
  document.title = `${c.name ?? id} · ${t("brand")}`;
  const similarBox = h("aside", { class: "panel similar", "aria-labelledby": "similar-title" }, h("h2", { id: "similar-title" }, t("similar")), h("p", { class: "status" }, t("loading")));
  const page = h(
    "div",
    { class: "profile" },
    h("div", { class: "profile-main" }, card(c), facts(c, profile.kinds, profile.labels), tags(c), h("div", { class: "profile-grid" }, rfm(c), churn(profile.churn, c)), monthly(profile.monthly || []), orders(profile.orders), interactions(profile.interactions)),
    similarBox,
  );
  mount(main, page);
  try {
    const similar = await api.get(`${path}/similar?k=10`);
    if (!stale()) {
      showSimilar(similarBox, similar.hits || objects(similar));
      stamp(page, drawnFor, "profile");
    }
  } catch (err) {
    if (!stale()) {
      similarBox.replaceChildren(h("h2", { id: "similar-title" }, t("similar")), errorBox(err));
      stamp(page, drawnFor, "profile");
    }
  }
}

/** Rows of a {columns, rows} table as objects keyed by column name. */
function objects(table) {
  const names = (table.columns || []).map((col) => col.name);
  return (table.rows || []).map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
}

/**
 * The profile in one shape: {customer: {column: value}, kinds, labels, orders: {total, rows},
 * interactions, monthly, churn}. The server sends `fields` (name, label, kind, value), tables
 * of orders and interactions, `monthly_purchase`, `rfm` and `churn_risk`.
 */
function normalise(p) {
  if (p.customer) return { kinds: {}, labels: {}, ...p };
  const fieldsList = p.fields || [];
  const customer = Object.fromEntries(fieldsList.map((f) => [f.name, f.value]));
  customer.id ??= p.id;
  customer.name ??= p.name;
  if (p.tags) customer.tags = p.tags;
  if (p.rfm) {
    customer.r_score ??= p.rfm.r_score;
    customer.f_score ??= p.rfm.f_score;
    customer.m_score ??= p.rfm.m_score;
    customer.rfm_segment ??= p.rfm.segment;
  }
  const history = (h) => (h ? { total: h.total, rows: h.rows && h.columns ? objects(h) : h.rows || [] } : null);
  const risk = typeof p.churn_risk === "number" ? p.churn_risk : p.churn_risk?.risk;
  return {
    customer,
    kinds: Object.fromEntries(fieldsList.map((f) => [f.name, f.kind])),
    labels: Object.fromEntries(fieldsList.map((f) => [f.name, f.label])),
    orders: history(p.orders),
    interactions: history(p.interactions),
    monthly: p.monthly_purchase || p.monthly || [],
    churn: typeof risk === "number" ? { risk, factors: p.churn_factors || p.churn_risk?.factors || [] } : null,
  };
}

function card(c) {
  const place = [c.region, c.province, c.city].filter(Boolean).map(valueLabel).join(" · ");
  return h(
    "header",
    { class: "profile-card" },
    h("p", { class: "crumb" }, h("button", { type: "button", class: "link", onclick: () => (history.length > 1 ? history.back() : (location.hash = "#/")) }, `‹ ${t("profile")}`)),
    h("h1", dataAttrs(c.name), c.name ?? c.id),
    h(
      "p",
      { class: "badges" },
      h("span", { class: "badge id" }, c.id),
      place ? h("span", dataAttrs(place, { class: "badge" }), place) : null,
      c.industry ? h("span", { class: "badge" }, valueLabel(c.industry)) : null,
      c.size ? h("span", { class: "badge" }, valueLabel(c.size)) : null,
      c.lifecycle ? h("span", { class: `badge stage stage-${c.lifecycle}` }, `${fieldLabel("lifecycle")}${colon()}${valueLabel(c.lifecycle)}`) : null,
      c.value_level ? h("span", { class: `badge value value-${c.value_level}` }, `${fieldLabel("value_level")}${colon()}${valueLabel(c.value_level)}`) : null,
    ),
    c.description ? h("p", dataAttrs(c.description, { class: "description" }), c.description) : null,
  );
}

function facts(c, kinds, labels) {
  const guess = (name) => (name.endsWith("date") ? "date" : typeof c[name] === "number" ? "number" : "text");
  const items = FACTS.filter((name) => name in c).map((name) =>
    h("div", { class: "fact" }, h("dt", null, fieldLabel(name, labels[name])), h("dd", dataAttrs(cell(c[name], kindOf(name, kinds[name] || guess(name)))), cell(c[name], kindOf(name, kinds[name] || guess(name))))),
  );
  const contact = [c.contact_name, c.contact_phone, c.email].filter(Boolean).join(" · ");
  if (contact) items.push(h("div", { class: "fact wide" }, h("dt", null, t("contact")), h("dd", dataAttrs(contact), contact)));
  return h("dl", { class: "facts" }, items);
}

function tags(c) {
  const list = Array.isArray(c.tags) ? c.tags : [];
  return h(
    "section",
    { class: "panel tags", "aria-labelledby": "tags-title" },
    h("h2", { id: "tags-title" }, t("tags")),
    list.length ? h("ul", { class: "pills" }, list.map((tag) => h("li", dataAttrs(valueLabel(tag), { class: "pill" }), h("a", { href: `#/ask?q=${encodeURIComponent(`${tag}的客户`)}` }, valueLabel(tag))))) : h("p", { class: "muted" }, t("no_tags")),
  );
}

function rfm(c) {
  const scores = ["r_score", "f_score", "m_score"];
  const has = scores.some((k) => typeof c[k] === "number");
  return h(
    "section",
    { class: "panel rfm", "aria-labelledby": "rfm-title" },
    h("h2", { id: "rfm-title" }, t("rfm")),
    has
      ? [
          h(
            "ul",
            { class: "scores" },
            scores.map((k) =>
              h(
                "li",
                null,
                h("span", { class: "score-name" }, k[0].toUpperCase()),
                h("span", { class: "meter", role: "meter", "aria-valuemin": "1", "aria-valuemax": "5", "aria-valuenow": c[k] ?? 0, "aria-label": fieldLabel(k) }, h("span", { style: `width:${((c[k] ?? 0) / 5) * 100}%` })),
                h("span", { class: "score-value" }, c[k] ?? "—"),
              ),
            ),
          ),
          c.rfm_segment ? h("p", null, `${t("rfm_segment")}${colon()}`, h("strong", null, valueLabel(c.rfm_segment))) : null,
        ]
      : h("p", { class: "muted" }, t("rfm_none")),
  );
}

function churn(churnInfo, c) {
  const risk = churnInfo?.risk ?? (typeof c.churn_risk === "number" ? c.churn_risk : null);
  const level = risk === null ? null : risk >= 0.7 ? "high" : risk >= 0.4 ? "mid" : "low";
  return h(
    "section",
    { class: "panel churn", "aria-labelledby": "churn-title" },
    h("h2", { id: "churn-title" }, t("churn")),
    risk === null && c.order_count === 0
      ? [h("p", { class: "big muted" }, t("churn_no_orders")), h("p", { class: "muted small" }, t("churn_no_orders_hint"))]
      : risk === null
      ? [h("p", { class: "big muted" }, t("churn_none")), h("p", { class: "muted small" }, t("churn_none_hint"))]
      : [
          h("p", { class: `big risk-${level}` }, percent(risk), h("span", { class: "risk-level" }, ` ${t(`churn_${level}`)}`)),
          h("span", { class: `meter risk-${level}`, role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": Math.round(risk * 100), "aria-label": t("churn") }, h("span", { style: `width:${risk * 100}%` })),
          churnInfo?.factors?.length ? [h("h3", null, t("factors")), h("ul", { class: "factors" }, churnInfo.factors.map((f) => h("li", null, f)))] : null,
        ],
  );
}

function monthly(months) {
  const total = months.reduce((sum, m) => sum + (Number(m.amount) || 0), 0);
  return h(
    "section",
    { class: "panel monthly", "aria-labelledby": "monthly-title" },
    h("h2", { id: "monthly-title" }, t("monthly")),
    months.length && total > 0 ? sparkline(months, compact, t("monthly")) : h("p", { class: "muted" }, t("monthly_none")),
  );
}

function orders(block) {
  const rows = block?.rows || [];
  return h(
    "section",
    { class: "panel orders", "aria-labelledby": "orders-title" },
    h("h2", { id: "orders-title" }, t("orders"), " ", h("span", { class: "muted small" }, t("orders_total", { total: integer(block?.total ?? rows.length), shown: Math.min(rows.length, SHOWN_ORDERS) }))),
    rows.length
      ? h(
          "ol",
          { class: "timeline" },
          rows.slice(0, SHOWN_ORDERS).map((o) => h("li", null, h("time", null, o.order_date), h("span", dataAttrs(o.product, { class: "what" }), o.product ?? ""), h("span", { class: "amount" }, compact(o.amount)))),
        )
      : h("p", { class: "muted" }, t("none")),
  );
}

function interactions(block) {
  const rows = block?.rows || [];
  return h(
    "section",
    { class: "panel interactions", "aria-labelledby": "interactions-title" },
    h("h2", { id: "interactions-title" }, t("interactions"), " ", h("span", { class: "muted small" }, t("interactions_total", { total: integer(block?.total ?? rows.length), shown: Math.min(rows.length, SHOWN_INTERACTIONS) }))),
    rows.length
      ? h(
          "ol",
          { class: "timeline" },
          rows.slice(0, SHOWN_INTERACTIONS).map((i) =>
            h("li", null, h("time", null, String(i.ts ?? "").slice(0, 16)), h("span", { class: `what kind-${i.kind}` }, `${valueLabel(i.channel ?? "")} · ${valueLabel(i.kind ?? "")}`), i.note ? h("span", dataAttrs(i.note, { class: "note" }), i.note) : null),
          ),
        )
      : h("p", { class: "muted" }, t("none")),
  );
}

function showSimilar(box, hits) {
  box.replaceChildren(
    h("h2", { id: "similar-title" }, t("similar")),
    hits.length
      ? h(
          "ol",
          { class: "similar-list" },
          hits.map((hit) =>
            h(
              "li",
              null,
              h("a", dataAttrs(hit.name, { href: `#/customer/${encodeURIComponent(hit.id)}`, class: "similar-name" }), hit.name ?? hit.id),
              h("span", { class: "similar-score" }, t("similarity", { pct: percent(hit.score) })),
              h("span", { class: "muted small" }, [hit.region, hit.industry].filter(Boolean).map(valueLabel).join(" · "), typeof hit.annual_purchase === "number" ? ` · ${compact(hit.annual_purchase)}` : ""),
              hit.reasons?.length ? h("ul", { class: "reasons" }, hit.reasons.map((r) => h("li", null, reasonParts(r).map(([text, data]) => (data ? h("span", { lang: "zh" }, text) : text))))) : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, t("similar_none")),
  );
}
