// Progressive enhancement only: every page and form works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Close an open account menu with Escape and return focus to its toggle.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
});
