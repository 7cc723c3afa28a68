/* Torget alerts, staff side: the live progress of an alert's deliveries.
 *
 * The page shows the counts (queued, being sent, sent, delivered, failed) as numbers and a
 * <progress> bar, with a link that reloads them: that is the whole feature without JavaScript.
 * Here the page asks the small JSON status every few seconds and updates the numbers in place
 * until nothing is left to send. The summary is a polite status region: screen readers hear it
 * when it changes, not every number on every poll.
 * No inline script or style anywhere (CSP: script-src 'self', style-src 'self').
 */
(function () {
  "use strict";

  var section = document.querySelector("[data-progress]");
  if (!section || !window.fetch) {
    return;
  }
  var url = section.getAttribute("data-status-url");
  var seconds = parseFloat(section.getAttribute("data-poll-seconds")) || 2;
  var bar = section.querySelector("[data-progress-bar]");
  var summary = section.querySelector("[data-progress-summary]");
  var refresh = section.querySelector("[data-progress-refresh]");
  var timer = null;

  function update(status) {
    Object.keys(status.counts).forEach(function (name) {
      var cell = section.querySelector('[data-count="' + name + '"]');
      if (cell) {
        cell.textContent = String(status.counts[name]);
      }
    });
    if (bar) {
      bar.max = Math.max(status.total, 1);
      bar.value = status.delivered;
      bar.textContent = status.delivered + " / " + status.total;
    }
    if (summary && summary.textContent !== status.summary) {
      summary.textContent = status.summary;
    }
    if (status.finished) {
      section.setAttribute("data-finished", "");
    }
  }

  function check() {
    if (document.hidden) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        if (!status) {
          return;
        }
        update(status);
        if (status.finished) {
          window.clearInterval(timer);
        }
      })
      .catch(function () {
        /* offline for a moment: the next poll tries again */
      });
  }

  if (refresh) {
    refresh.hidden = true; // the numbers update themselves
  }
  if (!section.hasAttribute("data-finished")) {
    timer = window.setInterval(check, seconds * 1000);
    check();
  }
})();
