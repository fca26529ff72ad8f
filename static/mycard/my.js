// The customer page's one script: install the service worker that keeps the card for use offline
// (templates/mycard/sw.js), and say so when the page shown is that kept copy.
"use strict";

(function () {
  const script = document.currentScript;
  if ("serviceWorker" in navigator && script && script.dataset.worker) {
    navigator.serviceWorker.register(script.dataset.worker, { scope: script.dataset.scope }).catch(() => {
      // No worker (private mode, old browser): the page works as before, only not offline.
    });
  }
  function showOffline() {
    const note = document.getElementById("offline-note");
    if (note) note.hidden = navigator.onLine;
  }
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);
  document.addEventListener("DOMContentLoaded", showOffline);
})();
