// The content form: only the panel of the chosen source (file, link or text) is shown, the
// publication date only when the item is scheduled, and a new item's button says what saving
// does (save a draft, publish, schedule).
(function () {
  "use strict";
  var form = document.getElementById("content-form");

  function checked(name) { return form.querySelector('input[name="' + name + '"]:checked'); }

  function showPanels(name, attribute) {
    var chosen = checked(name);
    form.querySelectorAll("[data-" + attribute + "]").forEach(function (panel) {
      panel.hidden = !chosen || panel.getAttribute("data-" + attribute) !== chosen.value;
    });
  }

  function showSource() { showPanels("source", "source-panel"); }

  function showPublication() {
    showPanels("publication", "publication-panel");
    var chosen = checked("publication");
    var button = document.getElementById("content-submit");
    var label = chosen && button.getAttribute("data-label-" + chosen.value);
    if (label) button.querySelector("[data-submit-label]").textContent = label;
  }

  form.querySelectorAll('input[name="source"]').forEach(function (radio) { radio.addEventListener("change", showSource); });
  form.querySelectorAll('input[name="publication"]').forEach(function (radio) { radio.addEventListener("change", showPublication); });
  showSource();
  showPublication();
})();
