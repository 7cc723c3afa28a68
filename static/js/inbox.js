/* Torget inbox: progressive enhancement of the staff inbox and thread page.
 *
 * Everything here has a server-side equivalent that works without JavaScript:
 * - keyboard shortcuts (j/k, Enter/o, x, a, n, ?); the list of them is a visible section;
 * - filling the answer box from a canned reply (the "Use this canned reply" button posts);
 * - telling that new messages have come: every 15 s the page asks status.json and says so in a
 *   polite live region with a link that reloads the list (a reload shows the same).
 * No inline script or style anywhere (CSP: script-src 'self', style-src 'self').
 */
(function () {
  "use strict";

  // Elements where a key press means text, or does something of its own.
  var TEXT_FIELDS = "textarea, select, [contenteditable]:not([contenteditable='false'])";
  var NATIVE_ENTER = "a, button, input, select, textarea, summary";

  function isTyping(element) {
    if (!element || !element.closest) {
      return false;
    }
    if (element.closest(TEXT_FIELDS)) {
      return true;
    }
    if (element.tagName === "INPUT") {
      var type = (element.getAttribute("type") || "text").toLowerCase();
      return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) === -1;
    }
    return false;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-inbox-row]"));
  }

  var current = -1;

  function choose(index) {
    var all = rows();
    if (!all.length) {
      return;
    }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) {
      row.classList.toggle("is-current", i === current);
    });
    var link = all[current].querySelector("[data-inbox-open]");
    if (link) {
      link.focus();
    }
    all[current].scrollIntoView({ block: "nearest" });
  }

  // The chosen row: the one the focus is in (Tab or a click may have moved it there), else
  // the one j/k chose last.
  function currentRow() {
    var all = rows();
    var active = document.activeElement;
    var row = active && active.closest ? active.closest("[data-inbox-row]") : null;
    if (row && all.indexOf(row) !== current) {
      current = all.indexOf(row);
      all.forEach(function (other, i) {
        other.classList.toggle("is-current", i === current);
      });
    }
    return current >= 0 ? all[current] : null;
  }

  function focusField(field) {
    if (!field) {
      return false;
    }
    var details = field.closest("details");
    if (details) {
      details.open = true;
    }
    field.focus();
    return true;
  }

  function showHelp() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog && typeof dialog.showModal === "function") {
      if (!dialog.open) {
        dialog.showModal();
      }
    } else {
      var section = document.getElementById("shortcuts");
      if (section) {
        section.scrollIntoView();
        location.hash = "#shortcuts";
      }
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    var target = event.target;
    if (isTyping(target)) {
      return; // never while the person writes in a field
    }
    if (event.key === "Enter" && target && target.closest && target.closest(NATIVE_ENTER)) {
      return; // Enter on a link, button or checkbox does what it always does
    }
    if (document.querySelector("dialog[open]")) {
      return; // the help is open: Esc closes it
    }
    var row;
    switch (event.key) {
      case "j":
        currentRow();
        choose(current < 0 ? 0 : current + 1);
        break;
      case "k":
        currentRow();
        choose(current < 0 ? 0 : current - 1);
        break;
      case "o":
      case "Enter":
        row = currentRow();
        if (!row) {
          return;
        }
        var link = row.querySelector("[data-inbox-open]");
        if (!link) {
          return;
        }
        location.href = link.href;
        break;
      case "x":
        row = currentRow();
        var pick = row ? row.querySelector("[data-inbox-pick]") : null;
        if (!pick) {
          return;
        }
        pick.checked = !pick.checked;
        break;
      case "a":
        row = currentRow();
        if (
          !focusField(row ? row.querySelector("[data-inbox-answer]") : null) &&
          !focusField(document.getElementById("bulk_body")) &&
          !focusField(document.getElementById("answer_body"))
        ) {
          return;
        }
        break;
      case "n":
        if (focusField(document.getElementById("note_body"))) {
          break;
        }
        row = currentRow();
        var open = row ? row.querySelector("[data-inbox-open]") : null;
        if (!open) {
          return;
        }
        location.href = open.getAttribute("data-note-url");
        break;
      case "?":
        showHelp();
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  /* Canned replies: fill the answer box here instead of asking the server. */
  function cannedReplies() {
    var form = document.querySelector("[data-answer-form]");
    if (!form) {
      return;
    }
    var select = form.querySelector("[data-canned-select]");
    var use = form.querySelector("[data-canned-use]");
    var body = document.getElementById("answer_body");
    if (!select || !use || !body) {
      return;
    }
    use.addEventListener("click", function (event) {
      var option = select.options[select.selectedIndex];
      if (!option || !option.value) {
        return; // let the server say that none was chosen
      }
      event.preventDefault();
      var text = option.getAttribute("data-body") || "";
      var typed = body.value.trim();
      body.value = typed ? typed + "\n\n" + text : text;
      body.focus();
    });
  }

  /* New messages: poll the small JSON status of the inbox under the same filters. */
  function poller() {
    var live = document.getElementById("inbox-live");
    if (!live || !window.fetch || !window.URL) {
      return;
    }
    var seconds = parseInt(live.getAttribute("data-poll-seconds"), 10) || 15;
    var url = new URL(live.getAttribute("data-status-url"), location.href);
    url.searchParams.set("since", live.getAttribute("data-since"));
    var shown = 0;

    function check() {
      if (document.hidden) {
        return;
      }
      fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (status) {
          if (!status || status.new_messages <= 0 || status.new_messages === shown) {
            return;
          }
          shown = status.new_messages;
          var link = document.createElement("a");
          link.href = location.pathname + location.search;
          link.textContent = status.label;
          live.textContent = "";
          live.appendChild(link);
          live.classList.add("is-shown");
        })
        .catch(function () {
          /* offline for a moment: the next poll tries again */
        });
    }

    window.setInterval(check, seconds * 1000);
  }

  document.addEventListener("keydown", onKey);
  cannedReplies();
  poller();
})();
