// The portals' small behaviours: Chart.js charts declared in HTML, and re-initialisation
// after htmx swaps content in. No build step; vendored libraries only.
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.chartDrawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var config = JSON.parse(source.textContent);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
      new window.Chart(canvas, config);
      canvas.dataset.chartDrawn = "1";
    });
  }

  function enableTooltips(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      window.bootstrap.Tooltip.getOrCreateInstance(el);
    });
  }

  function init(root) {
    drawCharts(root);
    enableTooltips(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
  window.PRM = { init: init };
})();
