// The HTTP API of kesou (see the OpenAPI document at /api/openapi.json): JSON in and out,
// errors as {"error": {"code", "message"}} turned into ApiError. Every request says the
// page's language (Accept-Language), so the server's messages come in it.

import { lang } from "./i18n.js";

/** The Accept-Language of the page's language. */
function language() {
  return lang() === "en" ? "en" : "zh-CN";
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function failure(res) {
  let code = "internal";
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

async function request(method, path, body, signal) {
  const init = { method, signal, headers: { accept: "application/json", "accept-language": language() } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401 && path !== "/api/login") {
    // The session ended (or there was none): the app asks to log in.
    window.dispatchEvent(new CustomEvent("kesou:login"));
  }
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const api = {
  get: (path, signal) => request("GET", path, undefined, signal),
  post: (path, body, signal) => request("POST", path, body, signal),
  del: (path) => request("DELETE", path),
};

/** Query string from pairs, repeating keys for arrays: {filter: ["a=b"]} → filter=a%3Db. */
export function query(params) {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(key, v);
  }
  const text = out.toString();
  return text ? `?${text}` : "";
}

/** POSTs `body` and saves the answer as a file named by Content-Disposition. */
export async function download(path, body, fallbackName) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", "accept-language": language() },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  const blob = await res.blob();
  const disposition = res.headers.get("content-disposition") || "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  const name = star ? decodeURIComponent(star[1]) : plain ? plain[1] : fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return name;
}

let fieldsPromise = null;

/** GET /api/fields, once per page. */
export function fields() {
  if (!fieldsPromise) {
    fieldsPromise = api.get("/api/fields").then((r) => r.fields || []);
    fieldsPromise.catch(() => {
      fieldsPromise = null;
    });
  }
  return fieldsPromise;
}
