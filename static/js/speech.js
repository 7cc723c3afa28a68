/* Torget read-aloud: swap in the player when the audio of a page becomes ready.
 *
 * Without JavaScript the pending player asks the reader to reload the page in a moment; that is
 * the whole feature. Here each pending player asks its status.json now and then (backing off,
 * giving up after a while) and, when the audio is ready, puts the server-rendered player in
 * place. The status line is a polite live region: it says once that the audio is ready, then
 * steps out of sight. Failed audio: the pending player goes away quietly.
 * No inline script or style anywhere (CSP: script-src 'self', style-src 'self').
 */
(function () {
  "use strict";

  if (window.torgetSpeech || !window.fetch || !window.DOMParser) {
    return;
  }
  window.torgetSpeech = true;

  var FIRST_WAIT = 2000;
  var LONGEST_WAIT = 15000;
  var GIVE_UP_AFTER = 10 * 60 * 1000;

  function show(section, status) {
    var parsed = new DOMParser().parseFromString(status.html, "text/html");
    var fresh = parsed.querySelector("section.read-aloud");
    var line = section.querySelector(".read-aloud__status");
    if (!fresh) {
      return;
    }
    Array.prototype.slice.call(section.childNodes).forEach(function (node) {
      if (node !== line) {
        section.removeChild(node);
      }
    });
    // The fresh player names itself by the audio's key; keep the name this page gave it.
    var name = section.getAttribute("aria-labelledby");
    var freshName = fresh.getAttribute("aria-labelledby");
    Array.prototype.slice.call(fresh.querySelectorAll("[id], [aria-labelledby]")).forEach(function (el) {
      if (el.id === freshName) {
        el.id = name;
      }
      if (el.getAttribute("aria-labelledby") === freshName) {
        el.setAttribute("aria-labelledby", name);
      }
    });
    Array.prototype.slice.call(fresh.childNodes).forEach(function (node) {
      section.insertBefore(document.importNode(node, true), line);
    });
    section.removeAttribute("data-speech-status-url");
    if (line) {
      line.classList.add("visually-hidden");
      line.textContent = status.message || "";
    }
  }

  function watch(section) {
    var url = section.getAttribute("data-speech-status-url");
    var wait = FIRST_WAIT;
    var started = Date.now();

    function check() {
      if (Date.now() - started > GIVE_UP_AFTER) {
        return;
      }
      if (document.hidden) {
        window.setTimeout(check, wait);
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (status) {
          if (status && status.status === "ready" && status.html) {
            show(section, status);
          } else if (status && status.status === "failed") {
            section.parentNode.removeChild(section);
          } else {
            wait = Math.min(wait * 1.5, LONGEST_WAIT);
            window.setTimeout(check, wait);
          }
        })
        .catch(function () {
          wait = Math.min(wait * 1.5, LONGEST_WAIT);
          window.setTimeout(check, wait);
        });
    }

    window.setTimeout(check, wait);
  }

  Array.prototype.slice
    .call(document.querySelectorAll("section.read-aloud[data-speech-status-url]"))
    .forEach(watch);
})();
