// The app: header (brand, navigation, language switch) and the hash routes
//   #/ · #/ask?q=… · #/customer/C0000123 · #/dashboards · #/dashboard/map · #/reports/new ·
//   #/dashboards/NAME (a combined dashboard) · #/dashboards/new · #/watches · #/import
//   (administrators)

import { askView } from "./ask.js";
import { boardView, boardsView } from "./boards.js";
import { comboEditor, comboView } from "./combos.js";
import { h, mount, stamp } from "./dom.js";
import { withGlobal } from "./filterbar.js";
import { lang, onLangChange, setLang, t } from "./i18n.js";
import { loginView, logout, whoAmI } from "./login.js";
import { importView } from "./import.js";
import { meaningIndicator } from "./meaning.js";
import { profileView } from "./profile.js";
import { reportBuilderView } from "./reports.js";
import { watchesView } from "./watches.js";

const main = document.getElementById("main");
const header = document.getElementById("top");
let generation = 0;
/** Who is logged in (GET /api/me); null until known or when a login is needed. */
let me = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

function drawHeader() {
  const { parts, params } = parseHash();
  const here = parts[0] || "ask";
  const link = (href, key, active) => h("a", { href, class: "nav-link", "aria-current": active ? "page" : null }, t(key));
  mount(
    header,
    h("a", { class: "skip", href: "#main", onclick: (e) => { e.preventDefault(); main.focus(); } }, t("skip")),
    h(
      "div",
      { class: "bar" },
      h("a", { class: "brand", href: "#/" }, h("img", { src: "/assets/favicon.svg", alt: "", width: "24", height: "24" }), h("span", null, t("brand")), h("span", { class: "tagline" }, t("tagline"))),
      h(
        "nav",
        { "aria-label": "main" },
        link(withGlobal("#/", params), "nav_ask", here === "ask"),
        link(withGlobal("#/dashboards", params), "nav_boards", here === "dashboards" || here === "dashboard"),
        link("#/reports/new", "nav_new_report", here === "reports"),
        link("#/watches", "nav_watches", here === "watches"),
        me && me.role === "管理员" ? link("#/import", "nav_import", here === "import") : null,
      ),
      me ? meaningIndicator() : null,
      me && !me.demo
        ? h(
            "span",
            { class: "who" },
            h("span", { id: "who-name" }, `${me.name}（${me.role}）`),
            h("button", { type: "button", class: "lang", id: "logout", onclick: async () => { await logout(); me = null; needLogin(); } }, t("logout")),
          )
        : null,
      h("button", { type: "button", class: "lang", lang: lang() === "zh" ? "en" : "zh", "aria-label": t("lang_switch_label"), onclick: () => setLang(lang() === "zh" ? "en" : "zh") }, t("lang_switch")),
    ),
  );
}

function needLogin() {
  ++generation;
  drawHeader();
  loginView(main, (who) => {
    me = who;
    route();
  });
}

function route() {
  if (!me) return;
  const mine = ++generation;
  const stale = () => mine !== generation;
  const { parts, params } = parseHash();
  drawHeader();
  const [first, second] = parts;
  if (!first || first === "ask") return askView(main, params);
  if (first === "customer" && second) return profileView(main, second, stale);
  if (first === "dashboards" && second === "new") return comboEditor(main, stale);
  if (first === "dashboards" && second === "edit" && parts[2]) return comboEditor(main, stale, parts[2]);
  if (first === "dashboards" && second) return comboView(main, second, params, stale);
  if (first === "dashboards") return boardsView(main, stale, params);
  if (first === "dashboard" && second) return boardView(main, second, params, stale);
  if (first === "import") return importView(main);
  if (first === "reports" && second === "new") return reportBuilderView(main, stale);
  if (first === "watches") return watchesView(main, stale);
  if (first === "reports" && second === "edit" && parts[2]) return reportBuilderView(main, stale, parts[2]);
  document.title = t("brand");
  const page = h("section", { class: "notfound" }, h("h1", null, t("not_found")), h("p", null, h("a", { href: "#/" }, t("back_home"))));
  mount(main, page);
  stamp(page, location.hash, "not-found");
}

document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";
window.addEventListener("hashchange", () => {
  route();
  if (!location.hash.startsWith("#/ask")) window.scrollTo(0, 0);
});
onLangChange(() => (me ? route() : needLogin()));
window.addEventListener("kesou:login", () => {
  me = null;
  needLogin();
});
whoAmI().then((who) => {
  me = who;
  if (me) route();
  else needLogin();
});
