// The quiz editor of a learning step (templates/enablement/_quiz_editor.html).
//
// Without this script its buttons post the form with a `quiz-action` and the server answers
// with the editor changed. With it, the same buttons add, remove and reorder questions and
// choices in the page, and every input is renumbered the way enablement.forms.quiz reads
// them back: <prefix>-<q>-text, <prefix>-<q>-choice-<c>, the radio <prefix>-<q>-answer = <c>.
// The editor arrives in htmx swaps too, so everything is delegated from the document.
(function () {
  "use strict";

  var MIN_CHOICES = 2;

  function clone(editor, name) {
    var template = editor.querySelector('template[data-quiz-template="' + name + '"]');
    var node = template.content.firstElementChild.cloneNode(true);
    enhance(node);
    return node;
  }

  function children(parent, selector) {
    return Array.prototype.filter.call(parent.children, function (child) { return child.matches(selector); });
  }

  function questionsOf(editor) {
    return children(editor.querySelector("[data-quiz-questions]"), "[data-quiz-question]");
  }

  function choicesOf(question) {
    return children(question.querySelector("[data-quiz-choices]"), "[data-quiz-choice]");
  }

  function action(node, name) { return node.querySelector('[data-quiz-action="' + name + '"]'); }

  function field(node, name) { return node.querySelector('[data-quiz-field="' + name + '"]'); }

  // Names, ids, labels and button values after a change. The radios are first moved to
  // names no question has, so that renaming one group never takes the checked state from
  // another that still carries that name.
  function renumber(editor) {
    var prefix = editor.dataset.prefix;
    var questions = questionsOf(editor);
    questions.forEach(function (question, q) {
      question.querySelectorAll('[data-quiz-field="answer"]').forEach(function (radio) { radio.name = prefix + "-renumbering-" + q; });
    });
    questions.forEach(function (question, q) {
      var number = q + 1;
      var base = prefix + "-" + q;
      question.querySelector("[data-quiz-number]").textContent = number;
      var text = field(question, "text");
      text.name = base + "-text";
      text.id = "id_" + text.name;
      text.setAttribute("aria-label", "Question " + number);
      question.querySelector("[data-quiz-question-actions]").setAttribute("aria-label", "Actions for question " + number);
      var up = action(question, "up"), down = action(question, "down"), remove = action(question, "remove-question");
      up.value = "up-" + q; up.setAttribute("aria-label", "Move question " + number + " up"); up.disabled = q === 0;
      down.value = "down-" + q; down.setAttribute("aria-label", "Move question " + number + " down"); down.disabled = q === questions.length - 1;
      remove.value = "remove-question-" + q; remove.setAttribute("aria-label", "Remove question " + number);
      var add = action(question, "add-choice");
      add.value = "add-choice-" + q; add.setAttribute("aria-label", "Add a choice to question " + number);
      var choices = choicesOf(question);
      choices.forEach(function (choice, c) {
        var label = "choice " + (c + 1) + " of question " + number;
        var radio = field(choice, "answer");
        radio.name = base + "-answer";
        radio.value = String(c);
        radio.id = "id_" + base + "-answer-" + c;
        radio.setAttribute("aria-label", "Choice " + (c + 1) + " of question " + number + " is the right answer");
        var input = field(choice, "choice");
        input.name = base + "-choice-" + c;
        input.id = "id_" + input.name;
        input.placeholder = "Choice " + (c + 1);
        input.setAttribute("aria-label", "Question " + number + ", choice " + (c + 1));
        var drop = action(choice, "remove-choice");
        drop.value = "remove-choice-" + q + "-" + c;
        drop.setAttribute("aria-label", "Remove " + label);
        drop.disabled = choices.length <= MIN_CHOICES;
      });
    });
    var filled = questions.length > 0;
    editor.querySelector("[data-quiz-empty]").hidden = filled;
    editor.querySelector("[data-quiz-filled]").hidden = !filled;
    var passMark = editor.querySelector("[data-quiz-pass-mark]");
    if (passMark) passMark.hidden = !filled;
  }

  function run(button) {
    var editor = button.closest("[data-quiz-editor]");
    var list = editor.querySelector("[data-quiz-questions]");
    var question = button.closest("[data-quiz-question]");
    var focus = null;
    switch (button.dataset.quizAction) {
      case "add-question":
        var added = clone(editor, "question");
        list.appendChild(added);
        focus = function () { field(added, "text").focus(); };
        break;
      case "remove-question":
        var next = question.nextElementSibling || question.previousElementSibling;
        question.remove();
        focus = function () { (next ? field(next, "text") : action(editor, "add-question")).focus(); };
        break;
      case "up":
        if (question.previousElementSibling) list.insertBefore(question, question.previousElementSibling);
        focus = function () { var up = action(question, "up"); (up.disabled ? action(question, "down") : up).focus(); };
        break;
      case "down":
        if (question.nextElementSibling) list.insertBefore(question.nextElementSibling, question);
        focus = function () { var down = action(question, "down"); (down.disabled ? action(question, "up") : down).focus(); };
        break;
      case "add-choice":
        var choice = clone(editor, "choice");
        question.querySelector("[data-quiz-choices]").appendChild(choice);
        focus = function () { field(choice, "choice").focus(); };
        break;
      case "remove-choice":
        if (choicesOf(question).length <= MIN_CHOICES) return;
        button.closest("[data-quiz-choice]").remove();
        focus = function () { action(question, "add-choice").focus(); };
        break;
      default:
        return;
    }
    renumber(editor);
    if (focus) focus();
  }

  // The buttons stop being submit buttons here, so that pressing Enter in a text input
  // submits the step, never an editing action.
  function enhance(root) {
    root.querySelectorAll("[data-quiz-action]").forEach(function (button) { button.type = "button"; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-quiz-editor] [data-quiz-action]");
    if (!button || button.disabled) return;
    event.preventDefault();
    run(button);
  });

  enhance(document);
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
