// The campaign form: schedule and survey fields shown for the choices made, variables
// inserted at the cursor of the template last focused, live template checks.
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  function showSchedule() {
    var checked = form.querySelector('input[name="schedule_kind"]:checked');
    var kind = checked ? checked.value : "now";
    form.querySelectorAll("[data-schedule-for]").forEach(function (el) {
      el.hidden = el.dataset.scheduleFor.split(" ").indexOf(kind) === -1;
    });
    var recurrence = form.querySelector('select[name="recurrence"]').value;
    form.querySelectorAll("[data-recurrence-for]").forEach(function (el) {
      el.hidden = el.dataset.recurrenceFor !== recurrence;
    });
    var reentry = form.querySelector('select[name="reentry"]');
    form.querySelectorAll("[data-reentry-for]").forEach(function (el) {
      el.hidden = !reentry || el.dataset.reentryFor !== reentry.value;
    });
  }
  function showSurvey() {
    form.querySelector("[data-survey-fields]").hidden = !form.querySelector('input[name="has_survey"]').checked;
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "schedule_kind" || event.target.name === "recurrence" || event.target.name === "reentry") showSchedule();
    if (event.target.name === "has_survey") showSurvey();
  });
  showSchedule();
  showSurvey();

  var target = form.querySelector('textarea[name="body_template"]');
  form.querySelectorAll("[data-template-field]").forEach(function (field) {
    field.addEventListener("focus", function () { target = field; });
  });
  form.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = "{{ " + button.dataset.insert + " }}";
      var start = target.selectionStart, end = target.selectionEnd;
      target.setRangeText(text, start, end, "end");
      target.focus();
      target.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // A live check replaces the errors of the last save for that template.
  form.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target.classList.contains("template-check")) return;
    var wrapper = event.target.closest(".template-field");
    wrapper.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    var field = wrapper.querySelector("[data-template-field]");
    field.classList.toggle("is-invalid", !!event.target.querySelector("[role=alert]"));
  });
})();
