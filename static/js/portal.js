/* The portal's only script of its own. Pages work without it. It moves keyboard and
   screen-reader focus to what changed after htmx swaps part of a page, and warns two
   minutes before a signed-in session would end for lack of use. */
(function () {
  "use strict";

  var WARN_BEFORE_MS = 2 * 60 * 1000;
  var idleTimer = null;

  function focusFirst(root) {
    var target = root.querySelector("#error-summary") || root.querySelector("h1, h2");
    if (!target) { return; }
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }

  function restartIdleTimer() {
    var minutes = parseInt(document.body.getAttribute("data-idle-minutes") || "", 10);
    var warning = document.getElementById("idle-warning");
    if (!minutes || !warning) { return; }
    warning.hidden = true;
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () {
      warning.hidden = false;
      var button = warning.querySelector("button");
      if (button) { button.focus(); }
    }, Math.max(minutes * 60 * 1000 - WARN_BEFORE_MS, 1000));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    restartIdleTimer();
  });

  // Requests the page makes by itself (the unread count) are not the person using it.
  // The badge sits inside the boosted menu link, so htmx may name that link as the
  // request's element: what the request swaps (its target) tells it apart too.
  function isBackground(detail) {
    if (!detail) { return false; }
    var nodes = [detail.elt, detail.target];
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (node && node.closest && node.closest("[data-background]")) { return true; }
    }
    return false;
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!isBackground(event.detail)) { restartIdleTimer(); }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    if (isBackground(detail)) { return; }
    if (detail.boosted) {
      var main = document.getElementById("main");
      if (main) { focusFirst(main); }
    } else if (detail.target && detail.target.id !== "idle-warning") {
      focusFirst(detail.target);
    }
  });
})();
