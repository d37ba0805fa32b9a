// Review queues (prm/queues.py): select all on the page, and the Bootstrap confirmation of a
// decision on one row or on the selected rows. Without this script the same links and
// buttons lead to the server's confirmation page.
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue-row]"));
  }

  function refreshSelection() {
    var all = rows();
    var checked = all.filter(function (box) { return box.checked; });
    var bulk = document.querySelector("[data-queue-bulk]");
    if (!bulk) return;
    var count = bulk.querySelector("[data-queue-selected-count]");
    if (count) count.textContent = checked.length ? checked.length + " selected" : "";
    var selectAll = bulk.querySelector("[data-queue-select-all]");
    if (selectAll) {
      selectAll.checked = all.length > 0 && checked.length === all.length;
      selectAll.indeterminate = checked.length > 0 && checked.length < all.length;
    }
    bulk.querySelectorAll("[data-queue-confirm='bulk']").forEach(function (button) {
      button.disabled = checked.length === 0;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-queue-select-all]")) {
      rows().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("[data-queue-select-all], [data-queue-row]")) refreshSelection();
  });

  function rowLabel(box) {
    return (box.getAttribute("aria-label") || "").replace(/^Select /, "");
  }

  function openModal(trigger) {
    var modalElement = document.querySelector("[data-queue-modal]");
    if (!modalElement || !window.bootstrap) return false;
    var form = modalElement.querySelector("[data-queue-modal-form]");
    var data = trigger.dataset;
    var ids = modalElement.querySelector("[data-queue-modal-ids]");
    var items = modalElement.querySelector("[data-queue-modal-items]");
    ids.replaceChildren();
    items.replaceChildren();
    function addId(value) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "ids";
      input.value = value;
      ids.appendChild(input);
    }
    if (data.queueConfirm === "bulk") {
      var checked = rows().filter(function (box) { return box.checked; });
      if (!checked.length) return true;
      checked.forEach(function (box) {
        addId(box.value);
        var item = document.createElement("li");
        item.textContent = rowLabel(box);
        items.appendChild(item);
      });
    } else if (data.queueIds) {
      addId(data.queueIds);
    }
    var title = data.queueTitle;
    var bulk = trigger.closest("[data-queue-bulk]");
    if (bulk) {
      var count = ids.children.length;
      title = data.queueLabel + " " + count + " " +
        (count === 1 ? bulk.dataset.noun : bulk.dataset.nounPlural) + "?";
    }
    form.action = data.queueUrl;
    modalElement.querySelector("[data-queue-modal-action]").value = data.queueAction;
    modalElement.querySelector("[data-queue-modal-title]").textContent = title;
    modalElement.querySelector("[data-queue-modal-note]").textContent = data.queueNote || "";
    var reason = modalElement.querySelector("[data-queue-modal-reason]");
    reason.hidden = !data.queueReason;
    reason.querySelector("textarea").disabled = !data.queueReason;
    modalElement.querySelector("[data-queue-modal-reason-label]").textContent = data.queueReason || "";
    var submit = modalElement.querySelector("[data-queue-modal-submit]");
    submit.textContent = data.queueLabel;
    submit.classList.toggle("btn-danger", !!data.queueDanger);
    submit.classList.toggle("btn-success", !data.queueDanger);
    window.bootstrap.Modal.getOrCreateInstance(modalElement).show();
    return true;
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-queue-confirm]");
    if (trigger && openModal(trigger)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", refreshSelection);
})();
