// Logging in: the form shown when the server asks for it (a server with users), and who is
// logged in (GET /api/me). The session is an HttpOnly cookie the server sets.

import { api, ApiError } from "./api.js";
import { h, mount } from "./dom.js";
import { errorTitle, t } from "./i18n.js";

/** Who is logged in, or null when the server wants a login first. */
export async function whoAmI() {
  try {
    return await api.get("/api/me");
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/** The login form in `main`; `done(me)` after a successful login. */
export function loginView(main, done) {
  document.title = `${t("login_title")} · ${t("brand")}`;
  const user = h("input", { id: "login-user", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert", id: "login-error", hidden: true });
  const form = h(
    "form",
    {
      class: "login",
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = "";
        error.hidden = true;
        try {
          const r = await api.post("/api/login", { name: user.value, password: password.value });
          password.value = "";
          done(r.user);
        } catch (err) {
          // The server's own words (用户名或密码错误, 账号锁定 …) in the page's language;
          // the generic headline only when it had none (a network or server fault).
          const said = err instanceof ApiError && err.status < 500 && err.message;
          error.replaceChildren(h("span", { class: "error-title" }, said || errorTitle(err)));
          error.hidden = false;
          password.select();
        }
      },
    },
    h("h1", null, t("login_title")),
    h("label", { for: "login-user" }, t("login_user")),
    user,
    h("label", { for: "login-password" }, t("login_password")),
    password,
    h("button", { type: "submit", id: "login-submit", class: "primary" }, t("login_submit")),
    error,
    h("p", { class: "hint" }, t("login_hint")),
  );
  mount(main, h("section", { class: "login-page" }, form));
  user.focus();
}

/** Ends the session. */
export async function logout() {
  await api.post("/api/logout", {});
}
