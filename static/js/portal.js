/* The portal's only script of its own. Pages work without it; it moves keyboard and
   screen-reader focus to what changed after htmx swaps part of a page. */
(function () {
  "use strict";

  function focusFirst(root) {
    var target = root.querySelector("#error-summary") || root.querySelector("h1, h2");
    if (!target) { return; }
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    if (detail.boosted) {
      var main = document.getElementById("main");
      if (main) { focusFirst(main); }
    } else if (detail.target) {
      focusFirst(detail.target);
    }
  });
})();
