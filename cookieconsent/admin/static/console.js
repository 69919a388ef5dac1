/* console.js: small progressive enhancements for the console; every page works without it. */
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.textContent;
    button.textContent = button.getAttribute("data-copied") || "✓";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});
