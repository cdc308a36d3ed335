// Unplugged front-end glue. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      htmx.config.allowEval = false;
      htmx.config.allowScriptTags = false;
      htmx.config.selfRequestsOnly = true;
      htmx.config.includeIndicatorStyles = false;
      htmx.config.historyCacheSize = 0;
    }
    bindComposer(document);
  });

  // Every HTMX request carries the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) evt.detail.headers["X-CSRF-Token"] = meta.content;
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    bindComposer(evt.target);
  });

  // Count characters the way the network does (graphemes on Bluesky, URLs as 23 on X).
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  function countFor(network, unit, text) {
    if (network === "x") text = text.replace(/https?:\/\/\S+/g, "x".repeat(23));
    if (unit === "graphemes" && segmenter) return Array.from(segmenter.segment(text)).length;
    return Array.from(text).length;
  }
  function bindComposer(root) {
    var areas = (root.querySelectorAll ? root : document).querySelectorAll("textarea[data-limit]");
    areas.forEach(function (area) {
      if (area.dataset.bound) return;
      area.dataset.bound = "1";
      var out = document.getElementById(area.getAttribute("aria-describedby"));
      var update = function () {
        var n = countFor(area.dataset.network, area.dataset.unit, area.value.trim());
        var max = parseInt(area.dataset.limit, 10);
        if (out) {
          out.textContent = n + " / " + max + " " + area.dataset.unit;
          out.classList.toggle("over", n > max);
        }
      };
      area.addEventListener("input", update);
      update();
    });
  }
})();
