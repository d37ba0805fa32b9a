// The campaign page: the test-send form's errors, the test send's contact, and the height of
// the rendered e-mail preview.
(function () {
  "use strict";

  // The test-send form answers 400 with its errors: show them instead of ignoring the swap.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 502) && event.detail.requestConfig.elt.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A test send renders for the contact chosen in the preview.
  document.body.addEventListener("htmx:afterSettle", function () {
    var chosen = document.getElementById("preview-contact");
    var field = document.querySelector("[data-preview-contact]");
    if (chosen && field) field.value = chosen.value;
  });

  // The preview frame (sandboxed, same origin so that this page may measure it) grows to
  // the height of the e-mail it shows. Load events do not bubble: listen while capturing.
  function fitFrame(frame) {
    var page = frame.contentDocument && frame.contentDocument.documentElement;
    if (page) frame.style.height = Math.max(240, page.scrollHeight + 24) + "px";
  }
  document.addEventListener("load", function (event) {
    if (event.target.matches && event.target.matches("iframe.preview-frame")) fitFrame(event.target);
  }, true);
})();
