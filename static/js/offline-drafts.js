// Drafts saved on this device, encrypted, and sent when the connection returns.
// Shared by the pages (static/js/offline.js) and the service worker (static/js/offline-sw.js):
// no DOM here. Rules: docs/safeguards.md ("Field capture on a device").
//
// Each draft is one record in IndexedDB "reunite-drafts": in clear only what the list of
// drafts needs (kind, times, state, the server's reason, the link once sent); the form's
// fields and every photo are AES-GCM ciphertext under the session's key, which the server
// gives to a signed-in page (GET /offline/key/) and which is never written to IndexedDB.
(function (scope) {
  "use strict";

  var DB_NAME = "reunite-drafts";
  var STORE = "drafts";
  var KEY_URL = "/offline/key/";
  var LOCK = "reunite-drafts-send";
  // A "sending" draft older than this was left by a page or worker that stopped mid-way.
  var SENDING_STALE_MS = 2 * 60 * 1000;
  var URLS = { report: "/reports/new/", case: "/cases/new/" };

  function dbOpen() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(mode, work) {
    return dbOpen().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        t.onerror = function () { db.close(); reject(t.error); };
        t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() {
    return tx("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.createdAt - b.createdAt; });
    });
  }
  function get(id) { return tx("readonly", function (store) { return store.get(id); }); }
  function put(draft) { return tx("readwrite", function (store) { store.put(draft); }); }
  function remove(id) { return tx("readwrite", function (store) { store.delete(id); }); }
  function wipe() { return tx("readwrite", function (store) { store.clear(); }); }

  function newId() {
    if (scope.crypto.randomUUID) { return scope.crypto.randomUUID(); }
    var b = scope.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function bytesFromBase64(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  // The session's key as a CryptoKey that cannot be exported, plus a short id of it, so a
  // draft made under another session's key is known to be unreadable without trying it.
  function keyImport(config) {
    var raw = bytesFromBase64(config.key);
    return Promise.all([
      scope.crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]),
      scope.crypto.subtle.digest("SHA-256", raw),
    ]).then(function (parts) {
      var id = Array.prototype.map.call(new Uint8Array(parts[1]).slice(0, 8), function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
      return { key: parts[0], id: id, config: config };
    });
  }

  // Asks the server for this session's key. Resolves null when signed out (403), rejects
  // when there is no connection.
  function keyFetch() {
    return fetch(KEY_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 403 || response.redirected) { return null; }
        if (!response.ok) { throw new Error("key " + response.status); }
        return response.json();
      })
      .then(function (config) { return config ? keyImport(config) : null; });
  }

  function seal(session, bytes) {
    var iv = scope.crypto.getRandomValues(new Uint8Array(12));
    return scope.crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, session.key, bytes).then(function (data) {
      return { iv: iv, data: data };
    });
  }
  function open(session, sealed) {
    return scope.crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, session.key, sealed.data);
  }

  // fields: [[name, value], ...] (no files, no CSRF token); photos: [File|Blob with name].
  function save(session, options) {
    var id = options.id || newId();
    var now = Date.now();
    var hours = (session.config && session.config.draft_hours) || 24;
    var text = new TextEncoder().encode(JSON.stringify({
      fields: options.fields,
      label: options.label || "",
      photos: options.photos.map(function (p) { return { name: p.name || "photo.jpg", type: p.type || "image/jpeg" }; }),
    }));
    return Promise.all([seal(session, text)].concat(options.photos.map(function (photo) {
      return photo.arrayBuffer().then(function (buffer) { return seal(session, buffer); });
    }))).then(function (sealed) {
      var draft = {
        id: id,
        kind: options.kind,
        url: URLS[options.kind],
        user: session.config.user,
        keyId: session.id,
        createdAt: options.createdAt || now,
        savedAt: now,
        expiresAt: now + hours * 3600 * 1000,
        state: "waiting",
        reason: "",
        link: "",
        photoCount: options.photos.length,
        fields: sealed[0],
        photos: sealed.slice(1),
      };
      return put(draft).then(function () { return draft; });
    });
  }

  // The form's fields and photos back, for sending or for fixing a refused draft.
  function read(session, draft) {
    return open(session, draft.fields).then(function (buffer) {
      var body = JSON.parse(new TextDecoder().decode(buffer));
      return Promise.all(draft.photos.map(function (sealed, i) {
        return open(session, sealed).then(function (bytes) {
          var meta = body.photos[i] || {};
          return new File([bytes], meta.name || "photo-" + (i + 1) + ".jpg", { type: meta.type || "image/jpeg" });
        });
      })).then(function (files) { body.files = files; return body; });
    });
  }

  // Drafts past the organisation's time limit go, sent or not, readable or not.
  function wipeExpired() {
    var now = Date.now();
    return all().then(function (drafts) {
      return Promise.all(drafts.filter(function (d) { return d.expiresAt <= now; }).map(function (d) { return remove(d.id); }));
    });
  }

  // Drafts made under another session's key cannot be read by anyone any more.
  function wipeUnreadable(session) {
    return all().then(function (drafts) {
      var gone = drafts.filter(function (d) { return d.state !== "sent" && d.keyId !== session.id; });
      return Promise.all(gone.map(function (d) { return remove(d.id); })).then(function () { return gone.length; });
    });
  }

  // A photo as the device sends it: at most `longSide` px on its long side, its EXIF
  // orientation applied, and redrawn as a JPEG, which leaves EXIF (location included)
  // behind. A small PNG or WebP is sent as it is (nothing to gain; the server strips its
  // metadata anyway), and so is anything the browser cannot decode (the server says why).
  function photoShrink(file, options) {
    options = options || {};
    if (options.original || !scope.createImageBitmap || !scope.OffscreenCanvas || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
      return Promise.resolve(file);
    }
    var side = options.longSide || 1600;
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type !== "image/jpeg") { bitmap.close(); return file; }
      var canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return canvas.convertToBlob({ type: "image/jpeg", quality: 0.85 }).then(function (blob) {
        return new File([blob], file.name, { type: "image/jpeg", lastModified: file.lastModified });
      });
    }).catch(function () { return file; });
  }

  function textOf(html) {
    return html.replace(/<[^>]*>/g, "").replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
  }

  // The server's own words for a refused form: the links of its error summary.
  function refusalReason(html) {
    var start = html.indexOf("data-error-summary");
    var part = start >= 0 ? html.slice(start, start + 20000) : "";
    var end = part.indexOf("</ul>");
    if (end >= 0) { part = part.slice(0, end); }
    var reasons = [];
    part.replace(/<a\b[^>]*>([\s\S]*?)<\/a>/g, function (_, inner) { reasons.push(textOf(inner)); return ""; });
    // Empty when the page said nothing: the list then says the server refused it.
    return reasons.join(" ");
  }

  // Pages and the worker tell each other when a draft changes, so an open page shows the
  // worker's sending as it happens.
  var channel = scope.BroadcastChannel ? new BroadcastChannel("reunite-drafts") : null;

  function update(id, changes) {
    return get(id).then(function (draft) {
      if (!draft) { return null; }
      Object.keys(changes).forEach(function (name) { draft[name] = changes[name]; });
      return put(draft).then(function () {
        if (channel) { channel.postMessage({ id: id, state: draft.state }); }
        return draft;
      });
    });
  }

  function onChange(listener) {
    if (channel) { channel.addEventListener("message", function (event) { listener(event.data); }); }
  }

  // Sends one draft with its idempotency key: a retry of something the server already
  // filed answers with that record, never a second one.
  function sendOne(session, draft, onChange) {
    return update(draft.id, { state: "sending", sendingSince: Date.now(), reason: "", reasonCode: "" })
      .then(function (sending) {
        // The page that sends hears nothing on the channel it posts to: it is told here, so
        // a slow upload reads "Sending…", not "not sent yet".
        if (onChange) { onChange(sending); }
        return read(session, draft);
      })
      .then(function (body) {
        var data = new FormData();
        body.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
        body.files.forEach(function (file) { data.append("photos", file, file.name); });
        data.set("idempotency_key", draft.id);
        return fetch(draft.url, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-Requested-With": "XMLHttpRequest", "X-CSRFToken": session.config.csrf },
        });
      })
      .then(function (response) {
        var location = response.headers.get("X-Reunite-Location");
        if (response.ok && location) {
          // Sent: the fields and photos leave the device; the link stays for the list.
          return update(draft.id, { state: "sent", link: location, sentAt: Date.now(), fields: null, photos: [] });
        }
        if (response.redirected && /\/accounts\/login\//.test(response.url)) {
          // Codes, not words: the page shows them in its reader's language (offline.js).
          return update(draft.id, { state: "waiting", reason: "", reasonCode: "sign_in" });
        }
        if (response.status === 400 || response.status === 409 || response.status === 422) {
          return response.text().then(function (html) {
            return update(draft.id, { state: "refused", reason: refusalReason(html), reasonCode: "" });
          });
        }
        if (response.status === 429) {
          return update(draft.id, { state: "waiting", reason: "", reasonCode: "daily_limit" });
        }
        return update(draft.id, { state: "waiting", reason: "", reasonCode: "server_error", reasonStatus: response.status });
      }, function () {
        // The connection dropped, perhaps after the server filed it: the same key again
        // returns that record.
        return update(draft.id, { state: "waiting", reason: "", reasonCode: "connection_dropped" });
      });
  }

  function sendable(draft, session) {
    if (draft.keyId !== session.id) { return false; }
    if (draft.state === "waiting") { return true; }
    return draft.state === "sending" && Date.now() - (draft.sendingSince || 0) > SENDING_STALE_MS;
  }

  // Sends every waiting draft of this session, one at a time; one sender per device.
  function sendAll(session, onChange) {
    var run = function () {
      return all().then(function (drafts) {
        var queue = drafts.filter(function (d) { return sendable(d, session); });
        return queue.reduce(function (chain, draft) {
          return chain.then(function () {
            return sendOne(session, draft, onChange).then(function (updated) { if (onChange) { onChange(updated); } });
          });
        }, Promise.resolve()).then(function () { return queue.length; });
      });
    };
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request(LOCK, { ifAvailable: true }, function (lock) { return lock ? run() : 0; });
    }
    return run();
  }

  scope.ReuniteDrafts = {
    all: all,
    get: get,
    remove: remove,
    wipe: wipe,
    newId: newId,
    keyFetch: keyFetch,
    keyImport: keyImport,
    save: save,
    read: read,
    update: update,
    wipeExpired: wipeExpired,
    wipeUnreadable: wipeUnreadable,
    sendAll: sendAll,
    refusalReason: refusalReason,
    photoShrink: photoShrink,
    onChange: onChange,
    SYNC_TAG: "reunite-drafts",
  };
})(self);
