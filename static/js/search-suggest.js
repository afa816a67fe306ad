// Title suggestions while typing in a search box: the WAI-ARIA combobox pattern with a listbox
// popup (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/).
//
// Progressive enhancement only: every box marked data-suggest is a plain GET search form
// without this file. Here the box becomes a combobox: typing asks GET data-suggest?q=… (JSON
// [{title, url, kind, kind_label}]) after a short pause; ArrowDown/ArrowUp move through the
// titles, Enter on a highlighted title opens it (otherwise the form submits the search as
// usual), Escape closes the list, and a click opens a title. Titles are set with textContent.
"use strict";

(() => {
  const DEBOUNCE_MS = 150;
  const MIN_CHARS = 2;
  const MAX_QUERY = 200;

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch {
      return false;
    }
  }

  function enhance(input) {
    const endpoint = input.dataset.suggest;
    if (!endpoint || !input.id || !input.form) return;

    const listbox = document.createElement("ul");
    listbox.id = `${input.id}-suggestions`;
    listbox.className = "suggest-listbox";
    listbox.setAttribute("role", "listbox");
    if (input.dataset.suggestLabel) listbox.setAttribute("aria-label", input.dataset.suggestLabel);
    listbox.hidden = true;

    // Tells screen readers how many titles appeared (the list itself is not focused). A polite
    // live region rather than role=status: the page's own status messages keep that role alone.
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    status.setAttribute("aria-atomic", "true");

    input.insertAdjacentElement("afterend", listbox);
    listbox.insertAdjacentElement("afterend", status);
    input.parentElement.classList.add("suggest-host");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");

    let suggestions = []; // [{title, url, kind, kind_label}] shown in the list
    let active = -1; // index of the highlighted option, -1 for none
    let timer = 0;
    let controller = null;
    let asked = null; // the text the list (or the request in flight) is for

    const options = () => listbox.querySelectorAll('[role="option"]');
    const isOpen = () => !listbox.hidden;

    function highlight(index) {
      active = index;
      options().forEach((option, i) => {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        const option = options()[index];
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      highlight(-1);
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function cancel() {
      window.clearTimeout(timer);
      if (controller) controller.abort();
      controller = null;
    }

    function show(items) {
      suggestions = items.filter((item) => item && item.title && sameOrigin(item.url));
      listbox.replaceChildren();
      suggestions.forEach((item, i) => {
        const option = document.createElement("li");
        option.id = `${listbox.id}-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const title = document.createElement("span");
        title.className = "suggest-title";
        title.textContent = item.title;
        option.append(title);
        if (item.kind_label) {
          const kind = document.createElement("span");
          kind.className = "suggest-kind";
          kind.textContent = item.kind_label;
          option.append(" ", kind);
        }
        listbox.append(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (suggestions.length && document.activeElement === input) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        const template = input.dataset.suggestStatus;
        status.textContent = template ? template.replace("{count}", suggestions.length) : "";
      } else {
        close();
        status.textContent = "";
      }
    }

    async function ask(text) {
      cancel();
      asked = text;
      controller = new AbortController();
      const url = `${endpoint}?q=${encodeURIComponent(text)}`;
      try {
        const response = await fetch(url, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (!response.ok) throw new Error(`suggestions: HTTP ${response.status}`);
        const items = await response.json();
        if (asked === text && input.value.slice(0, MAX_QUERY) === text) {
          show(Array.isArray(items) ? items : []);
        }
      } catch (error) {
        if (error.name !== "AbortError") close();
      }
    }

    function follow(index) {
      const item = suggestions[index];
      if (!item) return;
      close();
      window.location.assign(item.url);
    }

    input.addEventListener("input", () => {
      const text = input.value.slice(0, MAX_QUERY);
      cancel();
      if (text.trim().length < MIN_CHARS) {
        asked = null;
        suggestions = [];
        listbox.replaceChildren();
        status.textContent = "";
        close();
        return;
      }
      timer = window.setTimeout(() => ask(text), DEBOUNCE_MS);
    });

    input.addEventListener("keydown", (event) => {
      // Keys that finish a Korean (IME) composition belong to the composition.
      if (event.isComposing || event.keyCode === 229) return;
      const count = suggestions.length;
      switch (event.key) {
        case "ArrowDown":
          if (!count) {
            const text = input.value.slice(0, MAX_QUERY);
            if (text.trim().length >= MIN_CHARS && asked !== text) {
              event.preventDefault();
              ask(text);
            }
            return;
          }
          event.preventDefault();
          if (!isOpen()) {
            listbox.hidden = false;
            input.setAttribute("aria-expanded", "true");
          }
          highlight(active + 1 >= count ? 0 : active + 1);
          break;
        case "ArrowUp":
          if (!count || !isOpen()) return;
          event.preventDefault();
          highlight(active <= 0 ? count - 1 : active - 1);
          break;
        case "Enter":
          if (isOpen() && active >= 0) {
            event.preventDefault();
            follow(active);
          } else {
            cancel();
            close(); // the form submits the search as usual
          }
          break;
        case "Escape":
          if (isOpen()) {
            event.preventDefault();
            event.stopPropagation();
            close();
          }
          break;
        default:
          break;
      }
    });

    input.addEventListener("blur", () => {
      cancel();
      close();
    });

    // Keep the focus in the box while the mouse picks a title.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const option = event.target.closest('[role="option"]');
      if (!option) return;
      follow(Array.prototype.indexOf.call(options(), option));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.fetch || !window.AbortController) return;
    document.querySelectorAll("input[data-suggest]").forEach(enhance);
  });
})();
