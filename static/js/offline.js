// Field capture in the page: photos downscaled before upload, drafts saved on this device
// when there is no connection and sent when it returns, each draft's state shown, and
// everything wiped at sign-out. Progressive enhancement: without it the forms post as
// they always did. Needs offline-drafts.js (loaded before it).
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

  var D = window.ReuniteDrafts;
  if (!D || !window.isSecureContext || !window.indexedDB || !window.crypto || !window.crypto.subtle) { return; }

  var CONFIG = "reunite-offline-key";
  var CAPTURE = { "/reports/new/": "report", "/cases/new/": "case" };
  var LABELS = {
    report: function () { return message("label_report", "Found-child report"); },
    case: function () { return message("label_case", "Missing-child case"); },
  };
  // Why a draft waits, by the code offline-drafts.js stored.
  var REASONS = {
    sign_in: "Sign in again to send it.",
    daily_limit: "The organisation's daily limit is reached; it is sent again later.",
    server_error: "The server could not take it (%(status)s); it is sent again later.",
    connection_dropped: "The connection dropped while sending; it is sent again when the connection returns.",
  };

  function reasonWords(draft) {
    if (draft.reasonCode && REASONS[draft.reasonCode]) {
      return message(draft.reasonCode, REASONS[draft.reasonCode], { status: draft.reasonStatus });
    }
    return draft.reason || "";
  }
  var LISTS = ["/reports/", "/cases/"];
  var LOGOUT = "/accounts/logout/";
  var session = null;
  var panel = null;

  function when(time) {
    return new Date(time).toLocaleString(undefined, { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
  }

  function logoutForm() { return document.querySelector('form[action="' + LOGOUT + '"]'); }

  function configStored() {
    try { return JSON.parse(window.sessionStorage.getItem(CONFIG) || "null"); } catch (e) { return null; }
  }

  // The key lives in the server's session; this tab keeps a copy in sessionStorage (gone
  // when the tab closes) so that a page reloaded without a connection still opens its
  // drafts. It is never written to IndexedDB, where the drafts are.
  function keyRefresh() {
    return D.keyFetch().then(function (loaded) {
      if (loaded) { window.sessionStorage.setItem(CONFIG, JSON.stringify(loaded.config)); }
      return loaded;
    });
  }

  // On a capture form with a connection the key is asked afresh (another tab may have
  // signed out and in again since), elsewhere the tab's copy is enough.
  function sessionLoad(fresh) {
    var stored = configStored();
    var fromStore = function () { return stored ? D.keyImport(stored) : null; };
    if (navigator.onLine && (fresh || !stored)) { return keyRefresh().catch(fromStore); }
    return Promise.resolve(fromStore());
  }

  // Everything this site keeps on the device: drafts, the key, copies of pages.
  function wipeAll() {
    window.sessionStorage.removeItem(CONFIG);
    var caches = window.caches ? window.caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) { return window.caches.delete(name); }));
    }) : Promise.resolve();
    return Promise.all([D.wipe(), caches]).catch(function () { return null; });
  }

  // ---- Photos: downscaled on the device, orientation applied, metadata left behind ----

  function shrink(file) {
    var cfg = session ? session.config : configStored();
    return D.photoShrink(file, { original: !!(cfg && cfg.photo_original), longSide: cfg && cfg.photo_long_side });
  }

  function formatSize(bytes) {
    return bytes >= 1e6 ? message("megabytes", "%(size)s MB", { size: (bytes / 1e6).toFixed(1) }) :
      message("kilobytes", "%(size)s kB", { size: Math.max(1, Math.round(bytes / 1e3)) });
  }

  function rowShrink(row) {
    if (!row._file || row._reuniteShrunk === row._file || row._reuniteShrinking) { return; }
    var original = row._file;
    row._reuniteShrinking = shrink(original).then(function (small) {
      if (row._file === original) {
        row._file = small;
        row._reuniteShrunk = small;
        var state = row.querySelector("[data-file-state]");
        if (state && small !== original) {
          state.textContent = message("sent_as", "(%(original)s, sent as %(small)s)", { original: formatSize(original.size), small: formatSize(small.size) });
        }
      }
      row._reuniteShrinking = null;
    });
  }

  function watchPhotos(form) {
    var list = form.querySelector("[data-photo-list]");
    if (!list) { return; }
    var scan = function () { list.querySelectorAll(".photo-item").forEach(rowShrink); };
    new MutationObserver(scan).observe(list, { childList: true, subtree: true, characterData: true });
    scan();
  }

  function pending(form) {
    return Array.prototype.map.call(form.querySelectorAll(".photo-item"), function (row) { return row._reuniteShrinking; })
      .filter(Boolean);
  }

  // ---- Drafts: saved offline, listed with their state, sent when the connection returns ----

  function formFields(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string" || name === "csrfmiddlewaretoken" || name === "idempotency_key") { return; }
      fields.push([name, value]);
    });
    return fields;
  }

  function formPhotos(form) {
    return Array.prototype.filter.call(form.querySelectorAll(".photo-item"), function (row) { return row._file; })
      .map(function (row) { return row._file; });
  }

  function keyInput(form) {
    var input = form.querySelector("input[name=idempotency_key]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "idempotency_key";
      form.appendChild(input);
    }
    if (!input.value) { input.value = D.newId(); }
    return input;
  }

  function say(text) {
    var box = document.querySelector("[data-offline-status]");
    if (box) { box.textContent = text; }
  }

  function stateWords(draft) {
    var reason = reasonWords(draft);
    if (draft.state === "waiting") {
      return reason ? message("waiting_because", "Saved on this device, not sent yet. %(reason)s", { reason: reason }) :
        message("waiting", "Saved on this device, not sent yet. It is sent when the connection returns.");
    }
    if (draft.state === "sending") { return message("sending", "Sending…"); }
    if (draft.state === "sent") { return message("sent", "Sent."); }
    if (draft.state === "refused") {
      return message("refused", "Refused: %(reason)s The draft is kept on this device: open it to fix it.",
        { reason: reason || message("refused_unknown", "The server refused this report. Open it to see why.") });
    }
    return draft.state;
  }

  function button(text, handler) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = text;
    b.addEventListener("click", handler);
    return b;
  }

  function render() {
    if (!panel) { return Promise.resolve(); }
    return D.all().then(function (drafts) {
      var list = panel.querySelector("ul");
      list.innerHTML = "";
      panel.hidden = drafts.length === 0;
      drafts.forEach(function (draft) {
        var item = document.createElement("li");
        item.setAttribute("data-draft", draft.id);
        item.setAttribute("data-draft-state", draft.state);
        var title = document.createElement("strong");
        var kind = LABELS[draft.kind] ? LABELS[draft.kind]() : message("label_draft", "Draft");
        title.textContent = draft.photoCount === 1 ?
          message("draft_title_one", "%(kind)s, saved %(when)s (1 photo)", { kind: kind, when: when(draft.savedAt) }) :
          message("draft_title_many", "%(kind)s, saved %(when)s (%(count)s photos)", { kind: kind, when: when(draft.savedAt), count: draft.photoCount });
        var words = document.createElement("span");
        words.setAttribute("data-draft-words", "");
        words.textContent = " " + stateWords(draft) + " ";
        item.appendChild(title);
        item.appendChild(words);
        if (draft.state === "sent" && draft.link) {
          var link = document.createElement("a");
          link.href = draft.link;
          link.textContent = message("open_filed", "Open what was filed");
          item.appendChild(link);
          item.appendChild(document.createTextNode(" "));
          item.appendChild(button(message("remove_from_list", "Remove from this list"), function () { D.remove(draft.id).then(render); }));
        }
        if (draft.state === "refused" && CAPTURE[location.pathname] === draft.kind) {
          item.appendChild(button(message("open_to_fix", "Open to fix"), function () { draftOpen(draft); }));
          item.appendChild(document.createTextNode(" "));
        }
        if (draft.state !== "sent" && draft.state !== "sending") {
          item.appendChild(button(message("delete_draft", "Delete draft"), function () {
            if (window.confirm(message("delete_confirm", "Delete this draft and its photos from this device?"))) { D.remove(draft.id).then(render); }
          }));
        }
        list.appendChild(item);
      });
    });
  }

  function panelAdd(main) {
    panel = document.createElement("section");
    panel.className = "card drafts";
    panel.setAttribute("data-drafts", "");
    panel.setAttribute("aria-labelledby", "drafts-h");
    panel.hidden = true;
    panel.innerHTML = '<h2 id="drafts-h"></h2><p class="help"></p><ul></ul>';
    panel.querySelector("h2").textContent = message("drafts_heading", "Drafts on this device");
    panel.querySelector(".help").textContent = message("drafts_help", "Encrypted, and erased once sent, at sign-out, or after the time your organisation set.");
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.setAttribute("data-offline-status", "");
    panel.appendChild(status);
    main.insertBefore(panel, main.firstChild);
  }

  // Sends with the key and form token the server gives now: the tab's copies may be from
  // before a sign-in elsewhere. Signed out, nothing is sent (and nothing can be read).
  // Asked again while a send is on its way (the `online` event and the worker's sync
  // message come together), it goes once more afterwards for any draft that send did not
  // try. When the key cannot be fetched or the connection drops while sending (the
  // connection is not really back yet), it tries again a little later, not at once: the
  // draft says why it waits in the meantime.
  var RETRY_MS = 5000;
  var sending = false;
  var askedAgain = false;
  var retryTimer = null;
  function retryLater() {
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () { retryTimer = null; sendNow(); }, RETRY_MS);
  }
  function sendNow() {
    if (!navigator.onLine) { return Promise.resolve(); }
    if (sending) { askedAgain = true; return Promise.resolve(); }
    sending = true;
    askedAgain = false;
    var tried = {};
    var unreachable = false;
    return D.all().then(function (drafts) {
      if (!drafts.some(function (d) { return d.state === "waiting" || d.state === "sending"; })) { return null; }
      return keyRefresh().then(function (fresh) {
        if (!fresh) { return null; }
        session = fresh;
        return D.sendAll(session, function (draft) {
          if (draft) {
            tried[draft.id] = true;
            if (draft.reasonCode === "connection_dropped") { unreachable = true; }
          }
          render();
        });
      }, function () { unreachable = true; return null; });
    }).then(render).catch(function () { return null; }).then(function () {
      sending = false;
      if (unreachable) { retryLater(); return null; }
      if (!askedAgain) { return null; }
      return D.all().then(function (drafts) {
        if (drafts.some(function (d) { return d.state === "waiting" && !tried[d.id]; })) { return sendNow(); }
        return null;
      }).catch(function () { return null; });
    });
  }

  function syncRegister() {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register(D.SYNC_TAG); }
      return null;
    }).catch(function () { return null; });
  }

  function draftSave(form, kind) {
    var existing = form.getAttribute("data-draft-id");
    var id = existing || keyInput(form).value;
    return Promise.all(pending(form)).then(function () {
      return D.save(session, { id: id, kind: kind, fields: formFields(form), photos: formPhotos(form) });
    }).then(function () {
      form.reset();
      form.removeAttribute("data-draft-id");
      form.querySelectorAll(".photo-item").forEach(function (row) { row.remove(); });
      keyInput(form).value = D.newId();
      say(navigator.onLine ? message("saved_sending", "Saved on this device; sending it now.") :
        message("waiting", "Saved on this device, not sent yet. It is sent when the connection returns."));
      panel.hidden = false;
      syncRegister();
      return render();
    }).then(function () {
      var status = document.querySelector("[data-offline-status]");
      if (status) { status.scrollIntoView({ block: "center" }); }
      if (navigator.onLine) { return sendNow(); }
      return null;
    });
  }

  // A refused draft back in the form, its photos in their rows, to fix and save again.
  function draftOpen(draft) {
    var form = document.querySelector("form[data-upload-form]");
    D.read(session, draft).then(function (body) {
      body.fields.forEach(function (pair) {
        var field = form.querySelector('[name="' + pair[0] + '"]:not([data-meta])');
        if (field && field.type !== "file") { field.value = pair[1]; }
      });
      var input = form.querySelector("input[type=file][name=photos]");
      form.querySelectorAll(".photo-item").forEach(function (row) { row.remove(); });
      if (input && window.DataTransfer) {
        var transfer = new DataTransfer();
        body.files.forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
      ["taken_on", "age_in_photo", "kind"].forEach(function (name) {
        var values = body.fields.filter(function (pair) { return pair[0] === "photo_" + name; });
        form.querySelectorAll('.photo-item [data-meta="' + name + '"]').forEach(function (el, i) {
          if (values[i]) { el.value = values[i][1]; }
        });
      });
      form.setAttribute("data-draft-id", draft.id);
      keyInput(form).value = draft.id;
      say(message("back_in_form", "The draft is back in the form. Fix it and file it again."));
      var summary = reasonWords(draft);
      if (summary) { say(message("back_in_form_because", "The draft is back in the form. %(reason)s", { reason: summary })); }
    });
  }

  function captureBind(form, kind) {
    keyInput(form);
    // Capture phase, before reunite.js sends the form: wait for downscaled photos, and
    // without a connection save a draft instead of sending.
    document.addEventListener("submit", function (event) {
      if (event.target !== form) { return; }
      var waiting = pending(form);
      if (waiting.length) {
        event.preventDefault();
        event.stopImmediatePropagation();
        Promise.all(waiting).then(function () { form.requestSubmit(); });
        return;
      }
      // A draft opened to fix goes back through the drafts, online too, so that it keeps
      // its key and leaves the list once sent.
      if (!session || (navigator.onLine && !form.hasAttribute("data-draft-id"))) { return; }
      event.preventDefault();
      event.stopImmediatePropagation();
      draftSave(form, kind);
    }, true);
  }

  // ---- Copies kept for offline use ----

  function offlineCopyMark(main) {
    var saved = document.body.getAttribute("data-offline-copy");
    if (saved === null) { return; }
    var note = document.createElement("p");
    note.className = "offline-copy";
    note.setAttribute("role", "status");
    note.setAttribute("data-offline-copy-note", "");
    note.textContent = message("offline_copy", "No connection: this is the copy kept on this device, as of %(when)s. It is not up to date.",
      { when: saved ? when(saved) : message("earlier_visit", "an earlier visit") });
    main.insertBefore(note, main.firstChild);
  }

  function workerRegister() {
    if (!("serviceWorker" in navigator)) { return Promise.resolve(); }
    var controlled = !!navigator.serviceWorker.controller;
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var path = location.pathname;
      if (controlled || (!CAPTURE[path] && LISTS.indexOf(path) < 0) || !registration.active) { return null; }
      // This page loaded before the worker ran: ask it to keep a copy, and the page's files.
      var urls = [location.href].concat(Array.prototype.map.call(
        document.querySelectorAll("script[src], link[rel=stylesheet]"),
        function (el) { return el.src || el.href; }
      ));
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function () { resolve(); };
        registration.active.postMessage({ type: "keep-copies", urls: urls }, [channel.port2]);
        window.setTimeout(resolve, 10000);
      });
    }).catch(function () { return null; });
  }

  function start() {
    var main = document.querySelector("main");
    // Photos are downscaled before they are sent, drafts or not.
    document.querySelectorAll("form[data-upload-form]").forEach(watchPhotos);
    var signedIn = !!logoutForm();
    var path = location.pathname;
    if (main) { offlineCopyMark(main); }

    // Sign-out wipes drafts, the key and copies of pages before the form goes.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form || form.getAttribute("action") !== LOGOUT) { return; }
      event.preventDefault();
      wipeAll().then(function () { form.submit(); });
    }, true);

    if (!signedIn) {
      // Signed out (or the session ended): whatever is left can no longer be read.
      if (navigator.onLine && !document.body.hasAttribute("data-offline-fallback")) {
        D.all().then(function (drafts) {
          if (!drafts.length && !configStored()) { return null; }
          return D.keyFetch().then(function (loaded) { return loaded ? null : wipeAll(); }, function () { return null; });
        }).catch(function () { return null; });
      }
      return;
    }

    if (main && (CAPTURE[path] || LISTS.indexOf(path) >= 0 || path === "/")) { panelAdd(main); }
    D.wipeExpired().then(function () { return sessionLoad(!!CAPTURE[path]); }).then(function (loaded) {
      session = loaded;
      if (!session) { return null; }
      return D.wipeUnreadable(session).then(function (erased) {
        if (erased) { say(message("unreadable_erased", "%(count)s draft(s) saved in an earlier session could not be read any more and were erased.", { count: erased })); }
      });
    }).then(function () {
      var form = document.querySelector("form[data-upload-form]");
      if (form && CAPTURE[path]) { captureBind(form, CAPTURE[path]); }
      return render();
    }).then(function () {
      return workerRegister();
    }).then(function () {
      document.documentElement.setAttribute("data-offline-ready", "");
      return sendNow();
    });

    window.addEventListener("online", function () { sendNow(); });
    D.onChange(function () { render(); });
    if (navigator.serviceWorker) {
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "send-drafts") { sendNow(); }
      });
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
