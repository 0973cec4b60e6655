// Suggestions under the question box, as an ARIA combobox: fetched on every keystroke
// (debounced 100 ms, stale answers dropped), ↑/↓ move, Enter picks, Esc closes.

import { api } from "./api.js";
import { debounce, h, uid } from "./dom.js";
import { t } from "./i18n.js";

const KIND_LABEL = {
  zh: { field: "条件", value: "取值", tag: "标签", customer: "客户", question: "问题" },
  en: { field: "field", value: "value", tag: "tag", customer: "customer", question: "question" },
};

/** Wires suggestions to `input`; onChoose(suggestion) runs when one is picked. */
export function attachSuggestions(input, { onChoose, lang }) {
  const id = uid("suggest");
  const list = h("ul", { id, role: "listbox", class: "suggest", hidden: true, "aria-label": t("suggestions") });
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", id);
  let items = [];
  let active = -1;
  let controller = null;

  const open = () => !list.hidden;
  const close = () => {
    list.hidden = true;
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const setActive = (n) => {
    active = n;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === n)));
    if (n >= 0) {
      input.setAttribute("aria-activedescendant", `${id}-${n}`);
      list.children[n].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  };
  const choose = (item) => {
    input.value = item.text;
    close();
    onChoose(item);
  };
  const render = (typed) => {
    list.replaceChildren(
      ...items.map((item, i) => {
        const text = String(item.text);
        const start = text.indexOf(typed);
        const shown = start >= 0 ? [text.slice(0, start), h("span", { class: "typed" }, typed), h("strong", null, text.slice(start + typed.length))] : [text];
        return h(
          "li",
          {
            id: `${id}-${i}`,
            role: "option",
            "aria-selected": "false",
            class: `suggestion kind-${item.kind}`,
            onmousedown: (e) => e.preventDefault(),
            onclick: () => choose(item),
          },
          h("span", { class: "suggestion-text" }, shown),
          item.label && item.label !== item.text ? h("span", { class: "suggestion-label" }, item.label) : null,
          h("span", { class: "suggestion-kind" }, KIND_LABEL[lang()]?.[item.kind] ?? item.kind),
        );
      }),
    );
    if (items.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      setActive(-1);
    } else close();
  };

  const fetchNow = debounce(async () => {
    const typed = input.value.trim();
    controller?.abort();
    if (!typed) {
      items = [];
      close();
      return;
    }
    controller = new AbortController();
    try {
      const answer = await api.get(`/api/suggest?q=${encodeURIComponent(typed)}`, controller.signal);
      if (input.value.trim() !== typed || document.activeElement !== input) return;
      items = (answer.suggestions || []).slice(0, 10);
      render(typed);
    } catch (err) {
      if (err.name !== "AbortError") close();
    }
  }, 100);

  input.addEventListener("input", fetchNow);
  input.addEventListener("keydown", (e) => {
    if (e.isComposing) return; // an IME is still composing Chinese: its keys are not ours
    if (e.key === "ArrowDown") {
      if (!items.length) return;
      e.preventDefault();
      if (!open()) render(input.value.trim());
      setActive(active + 1 >= items.length ? 0 : active + 1);
    } else if (e.key === "ArrowUp") {
      if (!open()) return;
      e.preventDefault();
      setActive(active <= 0 ? items.length - 1 : active - 1);
    } else if (e.key === "Enter") {
      if (open() && active >= 0) {
        e.preventDefault();
        choose(items[active]);
      } else close();
    } else if (e.key === "Escape") {
      if (open()) {
        e.preventDefault();
        close();
      } else if (input.value) {
        e.preventDefault();
        input.value = "";
      }
    } else if (e.key === "Tab") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 120));

  return {
    list,
    close: () => {
      fetchNow.cancel();
      controller?.abort();
      close();
    },
  };
}
