// Small DOM helpers: build elements from tag, attributes and children; no framework.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("a", {href: "#/x", class: "k"}, "text", otherNode). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, same call shape as h(). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Text that may hold <mark>…</mark> (search snippets from the server) as nodes: only the
 * marks become elements, everything else stays text, so no markup from data runs.
 */
export function marked(snippet) {
  const frag = document.createDocumentFragment();
  const parts = String(snippet).split(/(<mark>|<\/mark>)/);
  let inMark = false;
  for (const part of parts) {
    if (part === "<mark>") inMark = true;
    else if (part === "</mark>") inMark = false;
    else if (part) frag.append(inMark ? h("mark", null, decode(part)) : decode(part));
  }
  return frag;
}

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'" };

function decode(text) {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m]);
}

/** Calls fn at most once per `ms` of quiet. */
export function debounce(fn, ms) {
  let timer = 0;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

let ids = 0;
/** A fresh id for aria references. */
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** Says something to screen readers through the page's live region. */
export function announce(message) {
  const live = document.getElementById("live");
  if (live) live.textContent = message;
}

/** Marks a moment in the page's performance timeline (answers drawn), for measuring. */
export function mark(name) {
  if (typeof performance !== "undefined" && performance.mark) performance.mark(`kesou:${name}`);
}

/**
 * Stamps the element that shows an answer, once it is drawn, with what it was drawn for
 * (`data-answer`: the address, #/ask?q=…&offset=20, as it was when the request went out)
 * and in which language (`data-lang`). Whoever waits for an answer (the browser tests)
 * waits for the stamp to equal the address: row counts, a changed hash or a missing
 * spinner can all be seen while the previous answer is still on screen.
 */
export function stamp(el, answer, name) {
  el.dataset.answer = answer;
  el.dataset.lang = document.documentElement.lang === "en" ? "en" : "zh";
  mark(name);
}
