// Typesets the math in rendered wiki content with the vendored KaTeX (static/vendor/katex/).
// The Markdown renderer (pymdownx.arithmatex, generic mode) leaves \( … \) inline and \[ … \]
// display delimiters in the HTML; without this file, or without JavaScript, the TeX source shows.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.renderMathInElement !== "function") return;
  document.querySelectorAll(".wiki-content").forEach((element) => {
    window.renderMathInElement(element, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
      trust: false, // no \href, \url or \html* commands from page authors
    });
  });
});
