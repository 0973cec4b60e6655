// Watches (订阅): the 「订阅」 button under a list answer, and the page listing the caller's
// watches (#/watches) with how many customers are in each and their last firings. The
// server decides everything (scope, field rules, who may remove what); the page shows it.

import { api } from "./api.js";
import { errorBox } from "./ask.js";
import { h, mount, stamp } from "./dom.js";
import { integer, t } from "./i18n.js";

/** The delivery targets the caller may choose from (none: firings are only listed here). */
async function targetSelect() {
  let targets = [];
  try {
    targets = (await api.get("/api/watch-targets")).targets || [];
  } catch (_) {
    targets = [];
  }
  return h(
    "select",
    { class: "subscribe-target", "aria-label": t("subscribe_target") },
    h("option", { value: "" }, t("subscribe_no_target")),
    targets.map((x) => h("option", { value: x.name }, `${x.name} (${x.kind})`)),
  );
}

/** The 「订阅」 button of an answer: saves the question (or the edited interpretation) as
 * the caller's watch, with the delivery target chosen (or none: firings are listed here). */
export function subscribeButton(question, interpretation, edited) {
  const box = h("span", { class: "subscribe" });
  const button = h("button", { type: "button", class: "secondary subscribe-open" }, t("subscribe"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    const select = await targetSelect();
    const on = h(
      "select",
      { class: "subscribe-on", "aria-label": t("subscribe_on") },
      h("option", { value: "enter" }, t("subscribe_enter")),
      h("option", { value: "leave" }, t("subscribe_leave")),
      h("option", { value: "both" }, t("subscribe_both")),
    );
    const save = h("button", { type: "button", class: "primary subscribe-save" }, t("subscribe_save"));
    const status = h("span", { class: "subscribe-status", role: "status" });
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        const body = { question, fire_on: on.value, targets: select.value ? [select.value] : [] };
        if (edited) body.query = interpretation;
        const w = await api.post("/api/watches", body);
        mount(status, h("a", { href: "#/watches", class: "subscribed", "data-watch": w.id }, t("subscribed", { n: integer(w.members) })));
      } catch (err) {
        mount(status, errorBox(err));
        save.disabled = false;
      }
    });
    mount(box, select, on, save, status);
  });
  mount(box, button);
  return box;
}

/** The 「订阅」 button of a board, saved report or combined dashboard: a report of it as the
 * caller sees it, with the filters and period on screen (`view`), sent daily or weekly to
 * the chosen target (HTML and CSV to a webhook or a folder; a robot gets a link), or listed
 * on the watches page only. */
export function reportSubscribeButton(board, view = {}) {
  const filters = view.filters || [];
  const period = view.period ? Number(view.period) : undefined;
  const box = h("span", { class: "subscribe" });
  const button = h("button", { type: "button", class: "secondary subscribe-open", id: "subscribe-report" }, t("subscribe"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    const select = await targetSelect();
    const every = h(
      "select",
      { class: "subscribe-every", "aria-label": t("subscribe_every") },
      h("option", { value: "weekly" }, t("subscribe_weekly")),
      h("option", { value: "daily" }, t("subscribe_daily")),
    );
    const save = h("button", { type: "button", class: "primary subscribe-save" }, t("subscribe_save"));
    const status = h("span", { class: "subscribe-status", role: "status" });
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        const body = { board, every: every.value, targets: select.value ? [select.value] : [], filters, period };
        const w = await api.post("/api/watches", body);
        mount(status, h("a", { href: "#/watches", class: "subscribed", "data-watch": w.id }, t("subscribed_report")));
      } catch (err) {
        mount(status, errorBox(err));
        save.disabled = false;
      }
    });
    // What the report will hold: the filters and period as they are on screen.
    const shown = [...filters, ...(period ? [t(`period_${period}`)] : [])];
    const scope = shown.length ? h("span", { class: "subscribe-view muted small" }, t("subscribe_view", { view: shown.join(" · ") })) : null;
    mount(box, select, every, scope, save, status);
  });
  mount(box, button);
  return box;
}

function firingLine(f) {
  return h(
    "li",
    { class: "firing" },
    h("time", null, f.at),
    " ",
    h("span", { lang: "zh" }, f.summary),
    f.deliveries && f.deliveries.length ? h("span", { class: "deliveries" }, ` · ${f.deliveries.join("; ")}`) : null,
  );
}

/** #/watches: the caller's watches (every watch for an administrator). */
export async function watchesView(main, stale) {
  document.title = `${t("nav_watches")} · ${t("brand")}`;
  const drawnFor = location.hash;
  const box = h("section", { class: "watches", "aria-busy": "true" }, h("h1", null, t("nav_watches")), h("p", { class: "status" }, t("loading")));
  mount(main, box);
  let data;
  try {
    data = await api.get("/api/watches");
  } catch (err) {
    if (stale()) return;
    mount(box, h("h1", null, t("nav_watches")), errorBox(err));
    stamp(box, drawnFor, "watches-error");
    return;
  }
  if (stale()) return;
  const watches = data.watches || [];
  const rows = watches.map((w) => {
    const remove = h("button", { type: "button", class: "secondary remove-watch", "data-watch": w.id }, t("remove"));
    remove.addEventListener("click", async () => {
      remove.disabled = true;
      try {
        await api.del(`/api/watches/${w.id}`);
        watchesView(main, stale);
      } catch (err) {
        remove.after(errorBox(err));
        remove.disabled = false;
      }
    });
    const view = w.view ? [...(w.view.filters || []), ...(w.view.period ? [t(`period_${w.view.period}`)] : [])] : [];
    const fires = w.board
      ? [t("watch_report", { board: w.board, every: t(`subscribe_${w.every}`) }), ...view].join(" · ")
      : w.every
        ? `${w.every} · ${w.condition ? JSON.stringify(w.condition) : ""}`
        : t(`subscribe_${w.fire_on}`);
    return h(
      "tr",
      { "data-watch": w.id },
      h("td", { lang: "zh", class: "watch-name" }, w.name),
      h("td", { lang: "zh" }, w.owner),
      h("td", null, fires),
      h("td", null, (w.targets || []).join(", ") || "—"),
      h("td", { class: "num members" }, integer(w.members)),
      h("td", null, (w.last_firings || []).length ? h("ul", { class: "firings" }, w.last_firings.map(firingLine)) : t("never_fired")),
      h("td", null, remove),
    );
  });
  mount(
    box,
    h("h1", null, t("nav_watches")),
    h("p", { class: "note" }, t("watches_note")),
    watches.length
      ? h(
          "table",
          { class: "grid" },
          h("thead", null, h("tr", null, ["watch_name", "watch_owner", "watch_fires", "watch_targets", "watch_members", "watch_firings", ""].map((k) => h("th", { scope: "col" }, k ? t(k) : "")))),
          h("tbody", null, rows),
        )
      : h("p", { class: "empty" }, t("no_watches")),
  );
  box.removeAttribute("aria-busy");
  stamp(box, drawnFor, "watches");
}
