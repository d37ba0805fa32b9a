// Small form behaviours declared in the markup, so that no template needs an inline handler
// (the content security policy allows no inline script):
//   <form data-confirm="Delete this draft?">   asks before the form is sent;
//   <button data-confirm="…">                   asks before that button sends its form;
//   <select data-submit-on-change>              sends its form when the choice changes.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
      field.form.requestSubmit();
    }
  });
})();
