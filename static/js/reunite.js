// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Show a preview of each chosen photo before it is uploaded.
  function bindPreviews(root) {
    root.querySelectorAll(".photo-row input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        var preview = input.closest(".photo-row").querySelector(".preview");
        preview.innerHTML = "";
        if (input.files && input.files[0]) {
          var img = document.createElement("img");
          img.alt = "";
          img.src = URL.createObjectURL(input.files[0]);
          preview.appendChild(img);
        }
      });
    });
  }

  // Send upload forms with XHR so the person sees progress on slow connections.
  function bindUploads(root) {
    root.querySelectorAll("form[data-upload-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var progress = form.querySelector(".progress");
        if (!window.FormData || !progress) { return; }
        event.preventDefault();
        var bar = progress.querySelector("progress");
        var text = progress.querySelector(".progress-text");
        progress.hidden = false;
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action || window.location.href);
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) {
            var pct = Math.round((e.loaded / e.total) * 100);
            bar.value = pct;
            text.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Checking the photos…";
          }
        });
        xhr.addEventListener("load", function () {
          if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400) {
            window.location.assign(xhr.responseURL);
          } else {
            document.open();
            document.write(xhr.responseText);
            document.close();
          }
        });
        xhr.addEventListener("error", function () {
          text.textContent = "The upload failed. Check your connection and try again.";
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
        });
        xhr.send(new FormData(form));
      });
    });
  }

  // Refresh photo states that are still moving (pending, processing).
  function pollStatuses() {
    document.querySelectorAll("[data-poll]").forEach(function (el) {
      var holder = el.closest(".live-status");
      fetch(el.getAttribute("data-poll"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html && holder) { holder.innerHTML = html; } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindPreviews(document);
    bindUploads(document);
    if (document.querySelector("[data-poll]")) { window.setInterval(pollStatuses, 3000); }
  });
})();
