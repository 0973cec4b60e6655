// Search by meaning (语义检索) while `kesou demo` embeds the customers in the background: a
// small indicator in the header, from GET /api/health's `semantic` (stage, phase, done,
// total), polled every few seconds until the vectors are ready or it failed.

import { api } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

let latest = null;
let polling = false;

function text(s) {
  if (!s || s.stage === "off") return "";
  if (s.stage === "ready") return t("meaning_ready");
  if (s.stage === "failed") return t("meaning_failed");
  if (s.stage === "waiting") return t("meaning_waiting");
  const pct = s.total ? Math.min(99, Math.floor((100 * s.done) / s.total)) : null;
  const key = s.stage === "distilling" ? "meaning_distilling" : "meaning_embedding";
  return t(key, { progress: pct === null ? s.done.toLocaleString() : `${pct}%` });
}

function show() {
  const el = document.getElementById("meaning");
  if (!el) return;
  el.textContent = text(latest);
  el.hidden = !el.textContent;
  if (latest?.message) el.title = latest.message;
}

async function poll() {
  try {
    const health = await api.get("/api/health");
    latest = health.semantic ?? null;
  } catch {
    latest = null;
  }
  show();
  const busy = latest && ["waiting", "distilling", "embedding"].includes(latest.stage);
  if (busy) setTimeout(poll, 3000);
  else polling = false;
}

/** The indicator element for the header (starts polling the first time). */
export function meaningIndicator() {
  const el = h("span", { id: "meaning", class: "meaning", role: "status" });
  el.textContent = text(latest);
  el.hidden = !el.textContent;
  if (!polling) {
    polling = true;
    setTimeout(poll, 0);
  }
  return el;
}
