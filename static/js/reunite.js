// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The page's words for this script (templates/_script_messages.html), in the reader's
  // language; the English here is only for a page without that block.
  function message(key, fallback, values) {
    var el = document.querySelector('[data-script-messages] [data-message="' + key + '"]');
    var text = el ? el.textContent : fallback;
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function formatSize(bytes) {
    return bytes >= 1e6 ? (bytes / 1e6).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1e3)) + " kB";
  }

  // The error summary takes focus, so a keyboard or screen-reader user starts from the list.
  function focusErrorSummary(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  // Number the rows and give each row's fields unique ids for their labels.
  function renumber(list) {
    Array.prototype.forEach.call(list.querySelectorAll(".photo-item"), function (row, i) {
      var n = i + 1;
      row.id = "photo-" + n;
      row.querySelector(".photo-number").textContent = "Photo " + n;
      row.querySelectorAll("[data-meta]").forEach(function (input) {
        input.id = "photo-" + n + "-" + input.getAttribute("data-meta");
      });
      row.querySelectorAll("label[data-for]").forEach(function (label) {
        label.htmlFor = "photo-" + n + "-" + label.getAttribute("data-for");
      });
    });
  }

  function showFile(row, file) {
    row._file = file;
    row.querySelector("[data-file-name]").textContent = file.name;
    row.querySelector("[data-file-state]").textContent = "(" + formatSize(file.size) + ")";
    var preview = row.querySelector(".preview");
    preview.innerHTML = "";
    if (/^image\//.test(file.type)) {
      var img = document.createElement("img");
      img.alt = "";
      img.src = URL.createObjectURL(file);
      preview.appendChild(img);
    }
    row.querySelector(".file-progress").setAttribute("aria-label", message("upload_of", "Upload of %(name)s", { name: file.name }));
    var remove = row.querySelector("[data-remove]");
    remove.hidden = false;
    remove.setAttribute("aria-label", message("remove_file", "Remove %(name)s", { name: file.name }));
    refuseIfNotAPhoto(row, file);
  }

  // A file that is not a JPEG, PNG or WebP (by its first bytes, as the server checks) is
  // refused on its row at once and never sent, instead of "uploaded, being checked" first.
  function isPhotoHeader(b) {
    var jpeg = b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
    var png = b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
    var webp = b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
      b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50;
    return jpeg || png || webp;
  }

  function refuseIfNotAPhoto(row, file) {
    if (!file.slice || !window.FileReader) { return; }
    var reader = new FileReader();
    reader.onload = function () {
      if (isPhotoHeader(new Uint8Array(reader.result))) { return; }
      row._file = null;
      row.classList.add("photo-error");
      row.querySelector("[data-file-state]").textContent = "";
      var error = document.createElement("p");
      error.className = "error";
      error.setAttribute("role", "alert");
      error.setAttribute("data-client-refusal", "");
      error.textContent = message("not_a_photo", "%(name)s is not a photo we can read (JPEG, PNG or WebP), so it will not be sent. Remove it, or choose the right file.", { name: file.name });
      row.querySelector(".photo-name").after(error);
    };
    reader.readAsArrayBuffer(file.slice(0, 12));
  }

  // One multi-file field: rows per file with their own details, drag-and-drop, and the
  // chosen files kept in memory so that a form sent back with an error still has them.
  function bindPhotoUpload(box, kept) {
    var input = box.querySelector("input[type=file][name=photos]");
    var list = box.querySelector("[data-photo-list]");
    var template = box.querySelector("template[data-photo-template]");
    var zone = box.querySelector("[data-dropzone]");
    var all = box.querySelector("[data-photo-all]");
    var note = box.querySelector("[data-refile-note]");
    var max = parseInt(box.getAttribute("data-max-files"), 10) || 10;
    // Each row states its own details, so the "every photo" fallback is not needed.
    if (all) {
      all.hidden = true;
      all.querySelectorAll("input, select").forEach(function (el) { el.disabled = true; });
    }
    box.querySelector(".drop-hint").hidden = false;
    box.classList.add("enhanced");

    function addFiles(files) {
      Array.prototype.forEach.call(files, function (file) {
        if (list.querySelectorAll(".photo-item").length >= max) { return; }
        var row = template.content.firstElementChild.cloneNode(true);
        list.appendChild(row);
        showFile(row, file);
      });
      renumber(list);
      input.value = "";
    }

    // Rows the server sent back keep the files this page still holds, in the same order.
    var rows = list.querySelectorAll(".photo-item");
    if (kept && kept.length) {
      Array.prototype.forEach.call(rows, function (row, i) { if (kept[i]) { showFile(row, kept[i]); } });
      if (note && kept.length >= rows.length) { note.hidden = true; }
    }

    input.addEventListener("change", function () { addFiles(input.files); });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove]");
      if (!button) { return; }
      var row = button.closest(".photo-item");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(list);
      (next ? next.querySelector("input") : input).focus();
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files) { addFiles(event.dataTransfer.files); }
    });
  }

  function rowsWithFiles(form) {
    return Array.prototype.filter.call(form.querySelectorAll(".photo-item"), function (row) { return row._file; });
  }

  // Send upload forms with XHR: per-file progress, and the files survive an error.
  function bindUploads(root) {
    root.querySelectorAll("form[data-upload-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        // A file refused on its row is not sent: say so where it is, and send nothing yet.
        var refused = form.querySelector("[data-client-refusal]");
        if (refused) {
          event.preventDefault();
          refused.setAttribute("tabindex", "-1");
          refused.focus();
          return;
        }
        var progress = form.querySelector(".progress");
        if (!window.FormData || !window.XMLHttpRequest || !progress) { return; }
        event.preventDefault();
        var rows = rowsWithFiles(form);
        // A row whose file the page no longer holds is left out, with its details.
        form.querySelectorAll(".photo-item").forEach(function (row) {
          if (!row._file) { row.querySelectorAll("[data-meta]").forEach(function (el) { el.disabled = true; }); }
        });
        var data = new FormData(form);
        data.delete("photos");
        rows.forEach(function (row) { data.append("photos", row._file, row._file.name); });
        var kept = rows.map(function (row) { return row._file; });
        var bar = progress.querySelector("progress");
        var text = progress.querySelector(".progress-text");
        progress.hidden = false;
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        rows.forEach(function (row) { row.querySelector(".file-progress").hidden = false; });
        form.querySelectorAll("[data-remove]").forEach(function (b) { b.disabled = true; });
        var total = rows.reduce(function (sum, row) { return sum + row._file.size; }, 0);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action || window.location.href);
        xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
        xhr.upload.addEventListener("progress", function (e) {
          if (!e.lengthComputable) { return; }
          var pct = Math.round((e.loaded / e.total) * 100);
          bar.value = pct;
          text.textContent = pct < 100 ? message("uploading", "Uploading… %(percent)s", { percent: pct + "%" }) : message("checking", "Checking the photos…");
          // Files go in order, so the bytes sent so far cover the first files completely.
          var sent = e.loaded * (total / e.total);
          var start = 0;
          rows.forEach(function (row) {
            var size = row._file.size;
            var done = size ? Math.max(0, Math.min(1, (sent - start) / size)) : 1;
            row.querySelector(".file-progress").value = Math.round(done * 100);
            row.querySelector("[data-file-state]").textContent = done >= 1 ? message("file_checking", "uploaded, being checked") : message("file_uploading", "uploading %(percent)s", { percent: Math.round(done * 100) + "%" });
            start += size;
          });
        });
        xhr.addEventListener("load", function () {
          var next = xhr.getResponseHeader("X-Reunite-Location");
          if (next && xhr.status < 400) {
            window.location.assign(next);
            return;
          }
          if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400) {
            window.location.assign(xhr.responseURL);
            return;
          }
          var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var main = doc.querySelector("main");
          if (!main) { document.open(); document.write(xhr.responseText); document.close(); return; }
          document.querySelector("main").innerHTML = main.innerHTML;
          document.title = doc.title;
          enhance(document.querySelector("main"), kept);
          focusErrorSummary(document);
        });
        xhr.addEventListener("error", function () {
          text.textContent = message("upload_failed", "The upload failed. Check your connection and try again: your photos are still chosen.");
          form.querySelectorAll("button[type=submit], [data-remove]").forEach(function (b) { b.disabled = false; });
        });
        xhr.send(data);
      });
    });
  }

  // Copy a new API key to the clipboard.
  function bindCopy(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        var status = document.getElementById(button.getAttribute("data-copy") + "-copied");
        var value = source.value || source.textContent;
        var done = function () { if (status) { status.textContent = "Copied."; } };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(value).then(done, function () { source.select && source.select(); });
        } else {
          if (source.select) { source.select(); }
          try { document.execCommand("copy"); done(); } catch (e) { /* the key stays selected */ }
        }
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

  // Narrow screens: each table row becomes a card whose cells carry their column's name
  // (CSS `table.stack`), so no column is cut off; a table still wider than its box can be
  // scrolled from the keyboard.
  function stackTables(root) {
    root.querySelectorAll(".table-wrap > table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          if (heads[i] && !cell.hasAttribute("data-label") && !cell.hasAttribute("colspan")) { cell.setAttribute("data-label", heads[i]); }
        });
      });
      table.classList.add("stack");
    });
    root.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", (wrap.querySelector("caption") || {}).textContent || message("table_scrolls", "Table, scrolls sideways"));
      }
    });
  }

  function enhance(root, kept) {
    root.querySelectorAll("[data-photo-upload]").forEach(function (box) { bindPhotoUpload(box, kept); });
    bindUploads(root);
    bindCopy(root);
    stackTables(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document, null);
    focusErrorSummary(document);
    if (document.querySelector("[data-poll]")) { window.setInterval(pollStatuses, 2000); }
  });
})();
