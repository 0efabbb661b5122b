// Reunite's service worker, served at /sw.js by cases/portal/offline.py, which puts
// self.REUNITE_ASSETS (the vendored Workbox builds and offline-drafts.js) before this file.
//
// What it keeps on the device: the capture forms (/reports/new/, /cases/new/), the last
// opened version of the two lists (/reports/, /cases/), the static files, and a page
// that says there is no connection. Never a case or report page, a photo, a candidate or
// anything of review: those need the network; and a kept list leaves out each record's
// status. Pages are network-first, so a copy is only shown when the network fails, marked
// with the time it was saved ("as of ...").
/* global workbox, ReuniteDrafts */
"use strict";

importScripts.apply(self, self.REUNITE_ASSETS.workbox.concat([self.REUNITE_ASSETS.drafts]));

var PAGES = "reunite-pages-v1";
var STATIC = "reunite-static-v1";
var OFFLINE = self.REUNITE_ASSETS.offlinePage;
var KEPT_PAGES = ["/reports/new/", "/cases/new/", "/reports/", "/cases/"];

// A case's status reads "Possible match" once reviewers confirmed one: that is a matching
// result, so the copy kept on the device says no record's status.
function withoutStatuses(html) {
  return html.replace(/(<td data-label="Status">)[\s\S]*?(<\/td>)/g, "$1not kept on this device$2");
}

function stamped(response) {
  var headers = new Headers(response.headers);
  headers.set("X-Reunite-Saved-At", new Date().toISOString());
  headers.delete("Content-Length");
  return response.text().then(function (body) {
    return new Response(withoutStatuses(body), { status: response.status, statusText: response.statusText, headers: headers });
  });
}

function keepable(response) {
  // A page for someone signed out (the sign-in form after a redirect) is not kept.
  return response && response.status === 200 && !response.redirected && response.type === "basic";
}

var pageCopies = {
  // One copy per page, the last one opened (a list with filters replaces the plain one).
  cacheKeyWillBeUsed: function (args) { return Promise.resolve(new URL(args.request.url).pathname); },
  cacheWillUpdate: function (args) { return keepable(args.response) ? stamped(args.response) : Promise.resolve(null); },
  // Used only when the network failed: the page learns it is a copy, and of when.
  cachedResponseWillBeUsed: function (args) {
    var cached = args.cachedResponse;
    if (!cached) { return Promise.resolve(null); }
    var saved = cached.headers.get("X-Reunite-Saved-At") || "";
    return cached.text().then(function (html) {
      var marked = html.replace("<body", '<body data-offline-copy="' + saved + '"');
      return new Response(marked, { status: 200, headers: cached.headers });
    });
  },
};

workbox.routing.registerRoute(
  function (match) { return match.request.mode === "navigate" && KEPT_PAGES.indexOf(match.url.pathname) >= 0; },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: 15,
    plugins: [pageCopies],
    matchOptions: { ignoreVary: true, ignoreSearch: true },
  })
);
workbox.routing.registerRoute(
  function (match) { return match.url.origin === self.location.origin && match.url.pathname.indexOf("/static/") === 0; },
  new workbox.strategies.StaleWhileRevalidate({ cacheName: STATIC })
);
// Every other page needs the network; without it, the page that says so.
workbox.routing.registerRoute(
  function (match) { return match.request.mode === "navigate"; },
  new workbox.strategies.NetworkOnly()
);
workbox.routing.setCatchHandler(function (args) {
  if (args.request.mode !== "navigate") { return Promise.resolve(Response.error()); }
  return caches.open(PAGES).then(function (cache) { return cache.match(OFFLINE); }).then(function (page) {
    return page || Response.error();
  });
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(PAGES).then(function (cache) { return cache.add(OFFLINE); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== PAGES && name !== STATIC; }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () { return self.clients.claim(); }));
});

// A page opened before this worker controlled it asks for its own copy (and its files).
function keepCopies(urls) {
  return Promise.all(urls.map(function (url) {
    var parsed = new URL(url, self.location.origin);
    if (parsed.origin !== self.location.origin) { return null; }
    var isPage = KEPT_PAGES.indexOf(parsed.pathname) >= 0;
    var isStatic = parsed.pathname.indexOf("/static/") === 0;
    if (!isPage && !isStatic) { return null; }
    return fetch(parsed.href, { credentials: "same-origin" }).then(function (response) {
      if (!keepable(response)) { return null; }
      if (!isPage) { return caches.open(STATIC).then(function (cache) { return cache.put(parsed.href, response); }); }
      return stamped(response).then(function (copy) {
        return caches.open(PAGES).then(function (cache) { return cache.put(parsed.pathname, copy); });
      });
    }).catch(function () { return null; });
  }));
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep-copies") {
    event.waitUntil(keepCopies(data.urls || []).then(function () {
      if (event.ports && event.ports[0]) { event.ports[0].postMessage({ type: "kept" }); }
    }));
  }
});

// Background Sync: the connection is back. An open page sends the drafts itself (it shows
// each one's state); with none open, the worker sends them, asking the server for the
// session's key first (it keeps no key). Signed out, nothing can be read, so nothing goes.
self.addEventListener("sync", function (event) {
  if (event.tag !== ReuniteDrafts.SYNC_TAG) { return; }
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (windows) {
    if (windows.length) {
      windows.forEach(function (client) { client.postMessage({ type: "send-drafts" }); });
      return null;
    }
    return ReuniteDrafts.keyFetch().then(function (session) {
      if (!session) { return null; }
      return ReuniteDrafts.sendAll(session).then(function () { return ReuniteDrafts.all(); }).then(function (drafts) {
        var left = drafts.filter(function (d) { return d.keyId === session.id && d.state === "waiting"; });
        // Rejecting asks the browser to try again later.
        if (left.length) { throw new Error(left.length + " drafts still waiting"); }
        return null;
      });
    });
  }));
});
