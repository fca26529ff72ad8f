// The customer page's service worker (served from {% url 'my:service_worker' %}, so it controls /my/ only).
// What it is for: the card's barcode at the till with no network. It keeps the last card page it saw and
// the files that page needs; every other request goes to the network as before.
// - the card page: network first (always the live figures when online), the kept copy when offline;
// - the page's own files (style, script, icons): kept at install, served from the keeping;
// - signing out forgets the kept page (it holds the customer's name and figures).
"use strict";

const CACHE = "{{ cache }}";
const CARD_PAGE = "{% url 'my:card' %}";
const SIGN_IN = "{% url 'my:signin' %}";
const SIGN_OUT = "{% url 'my:signout' %}";
const FILES = [{% for file in files %}"{{ file|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(FILES);
    await keepCardPage(cache);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (event.request.method === "POST" && url.pathname === SIGN_OUT) {
    event.respondWith(forgetCardPage().then(() => fetch(event.request)));
  } else if (event.request.method === "GET" && url.pathname === CARD_PAGE && event.request.mode === "navigate") {
    event.respondWith(cardPage(event.request));
  } else if (event.request.method === "GET" && FILES.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(event.request)));
  }
});

async function cardPage(request) {
  try {
    const response = await fetch(request);
    const cache = await caches.open(CACHE);
    if (isCardPage(response)) {
      await cache.put(CARD_PAGE, response.clone());
    } else if (new URL(response.url).pathname === SIGN_IN) {
      await cache.delete(CARD_PAGE); // signed out elsewhere, or the card was blocked
    }
    return response;
  } catch (offline) {
    const kept = await caches.match(CARD_PAGE, { ignoreVary: true });
    if (kept) return kept;
    throw offline;
  }
}

async function keepCardPage(cache) {
  try {
    const response = await fetch(CARD_PAGE, { credentials: "same-origin" });
    if (isCardPage(response)) await cache.put(CARD_PAGE, response);
  } catch (offline) {
    // nothing to keep yet: the next visit online keeps it
  }
}

function isCardPage(response) {
  return response.ok && new URL(response.url).pathname === CARD_PAGE;
}

async function forgetCardPage() {
  const cache = await caches.open(CACHE);
  await cache.delete(CARD_PAGE);
}
