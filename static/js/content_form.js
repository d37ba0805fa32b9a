// The content form: only the panel of the chosen source (file, link or text) is shown.
(function () {
  "use strict";
  var form = document.getElementById("content-form");
  function show() {
    var chosen = form.querySelector('input[name="source"]:checked');
    form.querySelectorAll("[data-source-panel]").forEach(function (panel) {
      panel.hidden = !chosen || panel.dataset.sourcePanel !== chosen.value;
    });
  }
  form.querySelectorAll('input[name="source"]').forEach(function (radio) { radio.addEventListener("change", show); });
  show();
})();
