// The portals' small behaviours: Chart.js charts declared in HTML, and re-initialisation
// after htmx swaps content in. No build step; vendored libraries only.
(function () {
  "use strict";

  // Numbers in the reader's locale and money with its currency, as the server writes them
  // (prm/formatting.py): <html data-locale="de-DE" data-currency="USD">.
  function moneyFormats(currency) {
    var locale = document.documentElement.dataset.locale || undefined;
    var options = { style: "currency", currency: currency, maximumFractionDigits: 0 };
    return {
      full: new Intl.NumberFormat(locale, options),
      compact: new Intl.NumberFormat(locale, Object.assign({}, options, { notation: "compact", maximumFractionDigits: 1 })),
    };
  }

  // config.formats = {axis id: "money"}: that axis's ticks in short money ($1.2M), and the
  // tooltips of the datasets drawn against it in whole money ($1,234,568).
  function applyFormats(config) {
    var formats = config.formats || {};
    delete config.formats;
    var options = config.options;
    var locale = document.documentElement.dataset.locale;
    if (locale) options.locale = locale;
    var currency = document.documentElement.dataset.currency || "USD";
    var byAxis = {};
    Object.keys(formats).forEach(function (axis) {
      if (formats[axis] !== "money") return;
      var money = moneyFormats(currency);
      byAxis[axis] = money;
      options.scales = options.scales || {};
      var scale = options.scales[axis] = options.scales[axis] || {};
      scale.ticks = Object.assign({}, scale.ticks, { callback: function (value) { return money.compact.format(value); } });
    });
    if (!Object.keys(byAxis).length) return;
    var horizontal = options.indexAxis === "y";
    options.plugins = options.plugins || {};
    var tooltip = options.plugins.tooltip = options.plugins.tooltip || {};
    tooltip.callbacks = Object.assign({}, tooltip.callbacks, {
      label: function (context) {
        var axis = horizontal ? (context.dataset.xAxisID || "x") : (context.dataset.yAxisID || "y");
        var value = horizontal ? context.parsed.x : context.parsed.y;
        var label = context.dataset.label ? context.dataset.label + ": " : "";
        return label + (byAxis[axis] ? byAxis[axis].full.format(value) : context.formattedValue);
      },
    });
  }

  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.chartDrawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var config = JSON.parse(source.textContent);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
      applyFormats(config);
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
