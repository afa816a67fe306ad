// Live preview for the wiki editor. Without JavaScript the "Preview" button does the same.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const preview = document.getElementById("live-preview");
  const source = document.getElementById("source");
  if (!preview || !source) return;
  const form = source.form;
  const token = form.querySelector("input[name=csrf_token]");
  let timer = null;
  let latest = 0;

  const render = async () => {
    const ticket = ++latest;
    const body = new FormData();
    body.append("csrf_token", token ? token.value : "");
    body.append("source", source.value);
    try {
      const response = await fetch(preview.dataset.previewUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok || ticket !== latest) return;
      const data = await response.json();
      // The server sanitises the HTML with the same allow-list as saved pages.
      preview.innerHTML = data.html;
      if (window.renderMathInElement) {
        window.renderMathInElement(preview, {
          delimiters: [
            { left: "\\(", right: "\\)", display: false },
            { left: "\\[", right: "\\]", display: true },
          ],
          throwOnError: false,
        });
      }
    } catch (error) {
      // Offline or a network hiccup: the Preview button still works.
    }
  };

  source.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 400);
  });
  if (source.value.trim()) render();
});
