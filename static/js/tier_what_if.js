// The tier what-if: inputs whose value differs from the current requirement are marked.
(function () {
  "use strict";
  var form = document.getElementById("what-if-form");
  function mark(input) {
    var now = input.dataset.current, value = input.value;
    var same = (now === "" && value === "") || (now !== "" && value !== "" && Number(now) === Number(value));
    input.classList.toggle("changed", !same);
  }
  form.addEventListener("input", function (event) { if (event.target.matches("input[data-current]")) mark(event.target); });
  form.querySelectorAll("input[data-current]").forEach(mark);
})();
