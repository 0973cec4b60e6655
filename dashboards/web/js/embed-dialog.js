// The 嵌入/Embed dialog: fixed filters and an expiry → POST /api/embed-tokens → the link
// and the iframe snippet to paste into another page.

import { api } from "./api.js";
import { errorBox } from "./ask.js";
import { h } from "./dom.js";
import { filterEditor } from "./filters.js";
import { lang, t } from "./i18n.js";

const EXPIRIES = [
  ["hours_1", 3600],
  ["hours_24", 86400],
  ["days_7", 7 * 86400],
  ["days_30", 30 * 86400],
];

export function openEmbedDialog({ name, title, filters, fields }) {
  let fixed = [...filters];
  const expiry = h("select", { id: "embed-expiry" }, EXPIRIES.map(([key, secs]) => h("option", { value: secs, selected: secs === 86400 }, t(key))));
  const out = h("div", { class: "embed-out", "aria-live": "polite" });
  const create = h("button", { type: "button", class: "primary" }, t("create_token"));
  const close = h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("close"));
  const dialog = h(
    "dialog",
    { class: "embed-dialog", "aria-labelledby": "embed-title" },
    h("h2", { id: "embed-title" }, t("embed_title", { title })),
    h("p", { class: "muted" }, t("embed_intro")),
    filterEditor({ fields, value: fixed, legend: t("embed_fixed"), onChange: (list) => (fixed = list) }),
    h("p", { class: "field" }, h("label", { for: "embed-expiry" }, t("expires")), " ", expiry),
    h("div", { class: "actions" }, create, close),
    out,
  );
  create.addEventListener("click", async () => {
    create.disabled = true;
    try {
      const token = await api.post("/api/embed-tokens", { dashboard: name, filters: fixed, expires_in: Number(expiry.value) });
      const url = new URL(token.url || `/embed/${encodeURIComponent(name)}?token=${encodeURIComponent(token.token)}`, location.origin).href;
      const snippet = `<iframe src="${url.replace(/"/g, "&quot;")}" width="800" height="520" style="border:0" loading="lazy" title="${title.replace(/"/g, "&quot;")}"></iframe>`;
      out.replaceChildren(
        copyField("embed-url", t("embed_url"), url, "input"),
        copyField("embed-snippet", t("embed_snippet"), snippet, "textarea"),
        h("p", { class: "muted small" }, token.expires_at ? t("expires_at", { at: when(token.expires_at) }) : null, " ", h("a", { href: url, target: "_blank", rel: "noopener" }, t("open"), " ↗")),
      );
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      create.disabled = false;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** An expiry (RFC 3339 text or Unix seconds) in the reader's local time. */
function when(at) {
  const date = typeof at === "number" ? new Date(at * 1000) : new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toLocaleString(lang() === "en" ? "en-US" : "zh-CN");
}

function copyField(id, label, value, tag) {
  const field = h(tag, { id, readonly: true, rows: tag === "textarea" ? "3" : null, class: "copy-source" });
  field.value = value;
  const button = h("button", { type: "button", class: "secondary" }, t("copy"));
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      document.execCommand("copy");
    }
    button.textContent = t("copied");
    setTimeout(() => (button.textContent = t("copy")), 1500);
  });
  return h("div", { class: "copy" }, h("label", { for: id }, label), h("div", { class: "copy-row" }, field, button));
}
