// The partner list's forms (the filter sidebar and the search box) send only the fields that
// are set: a blank field filters nothing, and the URL stays the one a person would type
// (/partners/?tier=gold, not ?tier=gold&annual_revenue_min=&annual_revenue_max=&…). Without
// this script the server redirects a query with blank values to the same clean URL.
(function () {
  "use strict";

  function dropBlankFields(event) {
    var data = event.formData;
    var entries = [];
    data.forEach(function (value, key) { entries.push([key, value]); });
    entries.forEach(function (entry) { data.delete(entry[0]); });
    entries.forEach(function (entry) {
      if (typeof entry[1] !== "string" || entry[1].trim() !== "") data.append(entry[0], entry[1]);
    });
  }

  document.querySelectorAll("form[data-clean-query]").forEach(function (form) {
    form.addEventListener("formdata", dropBlankFields);
  });
})();
