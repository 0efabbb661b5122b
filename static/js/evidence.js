// The candidate page's lightbox: every photo pair side by side, and zoom, without leaving
// the page. Progressive enhancement: without this file each link opens its page or image.
(function () {
  "use strict";

  // Decision shortcuts: 1, 2, 3 pick an answer and move to the reasons box. Only outside
  // text fields and without modifiers, so typing and screen readers' own keys are untouched
  // (a screen reader in browse mode keeps its keys; the radios work as usual).
  function bindShortcuts() {
    var form = document.querySelector("[data-decision-form]");
    if (!form) { return; }
    var radios = form.querySelectorAll("input[name=decision]");
    var help = document.getElementById("shortcut-help");
    if (help) { help.hidden = false; }
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      var target = event.target;
      if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) { return; }
      var index = ["1", "2", "3"].indexOf(event.key);
      if (index < 0 || !radios[index]) { return; }
      event.preventDefault();
      radios[index].checked = true;
      form.querySelector("textarea").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindShortcuts();
    var dialog = document.getElementById("lightbox");
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    var title = dialog.querySelector("#lightbox-title");
    var body = dialog.querySelector(".lightbox-body");
    var opener = null;

    function open(name, trigger) {
      var template = document.getElementById("lb-" + name);
      if (!template) { return false; }
      body.innerHTML = "";
      body.appendChild(template.content.cloneNode(true));
      // Images load (and are audited) only when a person opens them.
      body.querySelectorAll("img[data-src]").forEach(function (img) {
        img.src = img.getAttribute("data-src");
      });
      title.textContent = template.getAttribute("data-title") || "Photo";
      opener = trigger;
      dialog.showModal();
      dialog.querySelector("[data-lightbox-close]").focus();
      return true;
    }

    document.querySelectorAll("[data-lightbox]").forEach(function (trigger) {
      trigger.addEventListener("click", function (event) {
        if (open(trigger.getAttribute("data-lightbox"), trigger)) { event.preventDefault(); }
      });
    });
    dialog.querySelector("[data-lightbox-close]").addEventListener("click", function () {
      dialog.close();
    });
    // Esc closes a modal dialog by itself; either way focus goes back where it was.
    dialog.addEventListener("close", function () {
      body.innerHTML = "";
      if (opener) { opener.focus(); opener = null; }
    });
    body.addEventListener("click", function (event) {
      var toggle = event.target.closest(".zoom-toggle");
      if (!toggle) { return; }
      var zoomed = toggle.getAttribute("aria-pressed") !== "true";
      toggle.setAttribute("aria-pressed", zoomed ? "true" : "false");
      toggle.classList.toggle("zoomed", zoomed);
    });
  });
})();
