// "Was this page helpful?": with JavaScript, "No" opens "What did you miss?" in place instead
// of after a reload. Without it the form works as it is (the server asks in a second step).
(function () {
  "use strict";
  document.querySelectorAll("[data-feedback]").forEach(function (form) {
    var no = form.querySelector("[data-feedback-no]");
    var more = form.querySelector("[data-feedback-more]");
    if (!no || !more) return;
    no.addEventListener("click", function (event) {
      if (!more.hidden) return;
      event.preventDefault();
      more.hidden = false;
      no.setAttribute("aria-expanded", "true");
      var text = more.querySelector("textarea");
      if (text) text.focus();
    });
  });
})();
