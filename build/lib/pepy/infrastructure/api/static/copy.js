// Copy buttons for the embed snippets: shown only when script runs, since without it the text is selected by hand.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("copy-status");
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const label = document.getElementById(button.dataset.copy + "-label").textContent;
      try {
        await navigator.clipboard.writeText(source.textContent);
        status.textContent = label + " copied.";
      } catch {
        window.getSelection().selectAllChildren(source);
        status.textContent = "Copying was refused: the " + label + " text is selected, copy it with the keyboard.";
      }
    });
  }
});
