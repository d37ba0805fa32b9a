// The segment builder: a visual editor for nested all/any/not rules.
//
// The rule JSON lives in the form's textarea (#id_rule), which the form posts; the editor
// renders it as groups and conditions, writes every edit back, and (debounced) posts it to
// the preview view, whose HTML fragment shows the count and a sample, or the rule checker's
// errors, which are placed next to the condition each error's JSON-pointer path names.
// The field catalogue (types, operators, value kinds, choices) comes from the page as JSON.
// No framework, no build step.
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 350;
  var GROUP_KINDS = ["all", "any", "not"];

  function readJSON(id, fallback) {
    var element = document.getElementById(id);
    if (!element) return fallback;
    try { return JSON.parse(element.textContent); } catch (error) { return fallback; }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function icon(name) { return el("i", { className: "bi bi-" + name, "aria-hidden": "true" }); }

  function groupKind(node) {
    if (!node || typeof node !== "object" || Array.isArray(node)) return null;
    for (var i = 0; i < GROUP_KINDS.length; i++) if (GROUP_KINDS[i] in node) return GROUP_KINDS[i];
    return null;
  }

  function SegmentBuilder(root, textarea, fields, options) {
    this.root = root;
    this.textarea = textarea;
    this.fields = {};
    this.fieldList = fields;
    var self = this;
    fields.forEach(function (field) { self.fields[field.name] = field; });
    this.options = options || { tags: {}, segments: [] };
    this.previewUrl = root.dataset.previewUrl;
    this.previewBox = document.getElementById("segment-preview");
    this.spinner = document.getElementById("preview-spinner");
    this.generalErrors = document.getElementById("rule-general-errors");
    this.timer = null;
    this.request = null;
    this.rule = { all: [] };
  }

  SegmentBuilder.prototype.load = function (rule) {
    this.rule = groupKind(rule) ? rule : { all: rule && typeof rule === "object" ? [rule] : [] };
    this.render();
  };

  // ---- model helpers ------------------------------------------------------------------

  // The parent container and key of the node at a JSON-pointer path.
  SegmentBuilder.prototype.locate = function (path) {
    var parts = path.split("/").slice(1);
    var parent = null, key = null, node = this.rule;
    for (var i = 0; i < parts.length; i++) {
      parent = node; key = /^\d+$/.test(parts[i]) ? Number(parts[i]) : parts[i];
      node = parent[key];
    }
    return { parent: parent, key: key, node: node };
  };

  SegmentBuilder.prototype.replace = function (path, replacement) {
    if (path === "") { this.rule = replacement; return; }
    var spot = this.locate(path);
    spot.parent[spot.key] = replacement;
  };

  SegmentBuilder.prototype.remove = function (path) {
    var spot = this.locate(path);
    if (Array.isArray(spot.parent)) spot.parent.splice(spot.key, 1);
    else {
      // The only child of a "not": remove the whole negation.
      var parentPath = path.split("/").slice(0, -1).join("/");
      var outer = this.locate(parentPath);
      if (Array.isArray(outer.parent)) outer.parent.splice(outer.key, 1);
    }
    this.changed(true);
  };

  // ---- rendering ----------------------------------------------------------------------

  SegmentBuilder.prototype.render = function () {
    this.root.innerHTML = "";
    this.root.appendChild(this.renderGroup(this.rule, "", true));
    this.sync();
  };

  SegmentBuilder.prototype.renderNode = function (node, path) {
    return groupKind(node) ? this.renderGroup(node, path, false) : this.renderCondition(node, path);
  };

  SegmentBuilder.prototype.renderGroup = function (node, path, isRoot) {
    var self = this;
    var kind = groupKind(node);
    var box = el("div", { className: "rule-group rule-group-" + kind, "data-path": path, "data-kind": kind });
    var header = el("div", { className: "rule-group-header" });

    if (kind === "not") {
      header.appendChild(el("span", { className: "rule-not-label" }, [icon("slash-circle"), " NOT — none of this may hold"]));
      header.appendChild(el("div", { className: "ms-auto d-flex gap-1" }, [
        el("button", {
          type: "button", className: "btn btn-sm btn-outline-secondary", title: "Remove the negation",
          "data-action": "unnegate",
          onclick: function () { self.replace(path, node.not); self.changed(true); }
        }, [icon("arrow-counterclockwise"), " Un-negate"]),
        isRoot ? null : self.removeButton(path, "Remove this group")
      ]));
      box.appendChild(header);
      var inner = el("div", { className: "rule-children" });
      inner.appendChild(self.renderNode(node.not, path + "/not"));
      box.appendChild(inner);
      box.appendChild(el("div", { className: "rule-error", "data-error-for": path }));
      return box;
    }

    var toggle = el("div", { className: "btn-group btn-group-sm", role: "group", "aria-label": "Match" });
    [["all", "ALL"], ["any", "ANY"]].forEach(function (choice) {
      toggle.appendChild(el("button", {
        type: "button",
        className: "btn " + (kind === choice[0] ? "btn-primary" : "btn-outline-primary"),
        "aria-pressed": kind === choice[0] ? "true" : "false",
        "data-action": "kind-" + choice[0],
        onclick: function () {
          if (kind === choice[0]) return;
          var replacement = {}; replacement[choice[0]] = node[kind];
          self.replace(path, replacement); self.changed(true);
        }
      }, [choice[1]]));
    });
    header.appendChild(toggle);
    header.appendChild(el("span", { className: "rule-group-caption" }, [
      kind === "all" ? "of these must match" : "of these is enough"
    ]));
    var actions = el("div", { className: "ms-auto d-flex flex-wrap gap-1" }, [
      el("button", {
        type: "button", className: "btn btn-sm btn-outline-primary", "data-action": "add-condition",
        onclick: function () { node[kind].push({}); self.changed(true, true); }
      }, [icon("plus-lg"), " Condition"]),
      el("button", {
        type: "button", className: "btn btn-sm btn-outline-primary", "data-action": "add-group",
        onclick: function () { node[kind].push({ any: [] }); self.changed(true); }
      }, [icon("collection"), " Group"]),
      isRoot ? null : self.negateButton(path, node),
      isRoot ? null : self.removeButton(path, "Remove this group")
    ]);
    header.appendChild(actions);
    box.appendChild(header);

    var children = el("div", { className: "rule-children" });
    var members = Array.isArray(node[kind]) ? node[kind] : [];
    if (!members.length) {
      children.appendChild(el("div", { className: "rule-empty" }, [
        kind === "all"
          ? (isRoot ? "No conditions yet: every partner matches. Add a condition to narrow it down." : "Empty: matches every partner.")
          : "Empty: matches no partner. Add conditions; any one of them is enough."
      ]));
    }
    members.forEach(function (member, index) {
      children.appendChild(self.renderNode(member, path + "/" + kind + "/" + index));
    });
    box.appendChild(children);
    box.appendChild(el("div", { className: "rule-error", "data-error-for": path }));
    return box;
  };

  SegmentBuilder.prototype.negateButton = function (path, node, compact) {
    var self = this;
    return el("button", {
      type: "button", className: "btn btn-sm btn-outline-danger", title: "Negate: match partners for whom this does NOT hold",
      "aria-label": "Negate", "data-action": "negate",
      onclick: function () { self.replace(path, { not: node }); self.changed(true); }
    }, compact ? [icon("slash-circle")] : [icon("slash-circle"), " Negate"]);
  };

  SegmentBuilder.prototype.removeButton = function (path, label) {
    var self = this;
    return el("button", {
      type: "button", className: "btn btn-sm btn-outline-secondary", title: label, "aria-label": label,
      "data-action": "remove",
      onclick: function () { self.remove(path); }
    }, [icon("trash")]);
  };

  SegmentBuilder.prototype.fieldOf = function (name) {
    if (typeof name !== "string") return null;
    if (this.fields[name]) return this.fields[name];
    if (name.indexOf("attributes.") === 0) return this.fields["attributes.<key>"] || null;
    return null;
  };

  SegmentBuilder.prototype.renderCondition = function (node, path) {
    var self = this;
    var field = this.fieldOf(node.field);
    var row = el("div", { className: "rule-condition", "data-path": path });
    var controls = el("div", { className: "rule-condition-controls" });

    // Field, grouped by category.
    var fieldSelect = el("select", { className: "form-select form-select-sm rule-field", "aria-label": "Field" });
    fieldSelect.appendChild(el("option", { value: "", text: "Choose a field…" }));
    var groups = {};
    this.fieldList.forEach(function (entry) {
      if (!groups[entry.group]) {
        groups[entry.group] = el("optgroup", { label: entry.group });
        fieldSelect.appendChild(groups[entry.group]);
      }
      var value = entry.name;
      var selected = field && (field.name === entry.name);
      groups[entry.group].appendChild(el("option", { value: value, text: entry.label, selected: selected }));
    });
    fieldSelect.addEventListener("change", function () {
      var chosen = self.fields[fieldSelect.value];
      var replacement = chosen ? { field: chosen.name, op: chosen.ops[0] } : {};
      if (chosen && chosen.type === "custom") replacement.field = "attributes.";
      self.replace(path, replacement);
      self.changed(true);
    });
    if (field && field.help_text) fieldSelect.title = field.help_text;
    controls.appendChild(fieldSelect);

    if (field && field.type === "custom") {
      var key = String(node.field || "").replace(/^attributes\./, "");
      controls.appendChild(el("input", {
        type: "text", className: "form-control form-control-sm rule-key", placeholder: "attribute key",
        "aria-label": "Attribute key", value: key,
        oninput: function (event) { node.field = "attributes." + event.target.value.trim(); self.changed(false); }
      }));
    }

    if (field) {
      var opSelect = el("select", { className: "form-select form-select-sm rule-op", "aria-label": "Operator" });
      field.ops.forEach(function (op) {
        opSelect.appendChild(el("option", { value: op, text: field.op_labels[op], selected: node.op === op }));
      });
      opSelect.addEventListener("change", function () {
        var before = field.value_kinds[node.op];
        node.op = opSelect.value;
        if (field.value_kinds[node.op] !== before) delete node.value;
        self.changed(true);
      });
      controls.appendChild(opSelect);
      var valueBox = el("div", { className: "rule-value" });
      this.renderValue(valueBox, field, node);
      controls.appendChild(valueBox);
    }

    var negated = /\/not$/.test(path);
    var actions = el("div", { className: "rule-condition-actions" }, [
      negated ? null : this.negateButton(path, node, true), this.removeButton(path, "Remove this condition")
    ]);
    controls.appendChild(actions);
    row.appendChild(controls);
    row.appendChild(el("div", { className: "rule-error", "data-error-for": path }));
    return row;
  };

  // ---- value inputs -------------------------------------------------------------------

  SegmentBuilder.prototype.renderValue = function (box, field, node) {
    var self = this;
    var kind = field.value_kinds[node.op];
    var set = function (value) {
      if (value === undefined) delete node.value; else node.value = value;
      self.changed(false);
    };
    var number = function (text) {
      if (text === "" || text === null) return undefined;
      var parsed = Number(text);
      return isNaN(parsed) ? text : parsed;
    };
    var input = function (attrs, value, onchange) {
      var element = el("input", Object.assign({ className: "form-control form-control-sm", "aria-label": "Value" }, attrs));
      if (value !== undefined && value !== null) element.value = value;
      element.addEventListener("input", function () { onchange(element.value); });
      return element;
    };
    var pair = function (type, extra) {
      var current = Array.isArray(node.value) ? node.value.slice() : [undefined, undefined];
      var convert = type === "number" ? number : function (text) { return text || undefined; };
      var update = function () {
        if (current[0] === undefined && current[1] === undefined) set(undefined);
        else set([current[0] === undefined ? null : current[0], current[1] === undefined ? null : current[1]]);
      };
      var wrap = el("div", { className: "input-group input-group-sm" });
      wrap.appendChild(input(Object.assign({ type: type, "aria-label": "From" }, extra), current[0], function (text) { current[0] = convert(text); update(); }));
      wrap.appendChild(el("span", { className: "input-group-text", text: "and" }));
      wrap.appendChild(input(Object.assign({ type: type, "aria-label": "To" }, extra), current[1], function (text) { current[1] = convert(text); update(); }));
      return wrap;
    };

    switch (kind) {
      case "choice":
      case "tag":
        box.appendChild(this.choiceSelect(field.choices || [], node.value, function (value) { set(value || undefined); }, field));
        break;
      case "choices":
      case "tags":
        box.appendChild(this.tagPicker(node.value, field.choices || [], true, set, field));
        break;
      case "segments":
        var segments = (this.options.segments || []).map(function (s) { return { value: s.slug, label: s.name }; });
        box.appendChild(this.tagPicker(Array.isArray(node.value) ? node.value : (node.value ? [node.value] : undefined), segments, true, set));
        break;
      case "number":
        box.appendChild(input({ type: "number", step: "any", placeholder: "number" }, node.value, function (text) { set(number(text)); }));
        break;
      case "number_range":
        box.appendChild(pair("number", { step: "any" }));
        break;
      case "date":
        box.appendChild(input({ type: "date" }, node.value, function (text) { set(text || undefined); }));
        break;
      case "date_range":
        box.appendChild(pair("date", {}));
        break;
      case "days":
        var days = el("div", { className: "input-group input-group-sm" });
        days.appendChild(input({ type: "number", min: "0", step: "1", placeholder: "N" }, node.value, function (text) { set(number(text)); }));
        days.appendChild(el("span", { className: "input-group-text", text: "days" }));
        box.appendChild(days);
        break;
      case "text":
        box.appendChild(input({ type: "text", placeholder: "text" }, node.value, function (text) { set(text === "" ? undefined : text); }));
        break;
      case "json_value":
        box.appendChild(this.typedValue(node.value, set));
        break;
      case "json_values":
        box.appendChild(this.tagPicker(node.value, [], false, function (values) {
          set(values === undefined ? undefined : values.map(function (item) {
            return /^-?\d+(\.\d+)?$/.test(item) ? Number(item) : (item === "true" ? true : (item === "false" ? false : item));
          }));
        }));
        break;
      case "boolean":
        var flag = this.choiceSelect([{ value: "true", label: "Yes" }, { value: "false", label: "No" }],
          node.value === undefined ? undefined : String(node.value),
          function (value) { set(value === "" ? undefined : value === "true"); });
        box.appendChild(flag);
        break;
      case "none":
        box.appendChild(el("span", { className: "text-body-secondary small", text: "(no value)" }));
        break;
      default:
        box.appendChild(input({ type: "text" }, node.value, function (text) { set(text); }));
    }
  };

  // Lists longer than this get a search box in front of their menu (countries, tags).
  var SEARCH_MIN_CHOICES = 12;

  function fold(text) {
    return String(text).toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function matches(choice, query) {
    return !query || fold(choice.label).indexOf(query) !== -1 || fold(choice.value).indexOf(query) !== -1;
  }

  // A value that is not among the choices (a tag since deleted, a slug typed in the rule
  // JSON) is still shown, marked as unknown; the rule checker decides whether it is valid.
  function unknownLabel(value, field) {
    var what = field && field.type === "tags" ? "no such " + field.label.toLowerCase().replace(/ies$/, "y").replace(/s$/, "") : "unknown";
    return value + " (" + what + ")";
  }

  // A search box that filters a menu; Enter takes the first match.
  SegmentBuilder.prototype.searchBox = function (field, onquery, onenter) {
    var search = el("input", {
      type: "search", className: "form-control form-control-sm rule-search",
      placeholder: "Search…", "aria-label": "Search " + (field ? field.label.toLowerCase() : "values"), autocomplete: "off"
    });
    search.addEventListener("input", function () { onquery(fold(search.value.trim())); });
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();  // never submit the segment form from here
      if (onenter()) { search.value = ""; onquery(""); }
    });
    return search;
  };

  SegmentBuilder.prototype.choiceSelect = function (choices, value, onchange, field) {
    var select = el("select", { className: "form-select form-select-sm", "aria-label": "Value" });
    var known = choices.some(function (choice) { return choice.value === value; });
    var all = known || value === undefined || value === null || value === "" ? choices : [{ value: value, label: unknownLabel(value, field), unknown: true }].concat(choices);
    var query = "";
    var fill = function () {
      select.innerHTML = "";
      var shown = all.filter(function (choice) { return choice.value === select.dataset.value || matches(choice, query); });
      var prompt = !choices.length && field && field.type === "tags" ? "No " + field.label.toLowerCase() + " exist yet" : "Choose…";
      select.appendChild(el("option", { value: "", text: query ? prompt + " (" + shown.length + " found)" : prompt }));
      shown.forEach(function (choice) {
        select.appendChild(el("option", { value: choice.value, text: choice.label, selected: choice.value === select.dataset.value }));
      });
    };
    select.dataset.value = value === undefined || value === null ? "" : value;
    fill();
    select.addEventListener("change", function () { select.dataset.value = select.value; onchange(select.value); });
    if (choices.length < SEARCH_MIN_CHOICES) return select;
    var wrap = el("div", { className: "rule-search-select" });
    wrap.appendChild(this.searchBox(field, function (text) { query = text; fill(); }, function () {
      var first = all.filter(function (choice) { return !choice.unknown && matches(choice, query); })[0];
      if (!first) return false;
      select.dataset.value = first.value; fill(); onchange(first.value);
      return true;
    }));
    wrap.appendChild(select);
    return wrap;
  };

  var datalistCounter = 0;

  // Chips for a list value. With fixed choices a menu adds them (with a search box in front
  // of a long menu); otherwise free text (Enter or comma adds, suggestions from a datalist).
  SegmentBuilder.prototype.tagPicker = function (value, choices, fixed, onchange, field) {
    var values = Array.isArray(value) ? value.slice() : [];
    var labels = {};
    choices.forEach(function (choice) { labels[choice.value] = choice.label; });
    var wrap = el("div", { className: "tag-picker form-control form-control-sm" });
    var chips = el("span", { className: "tag-picker-chips" });
    wrap.appendChild(chips);
    var emit = function () { onchange(values.length ? values.slice() : undefined); };
    var draw = function () {
      chips.innerHTML = "";
      values.forEach(function (item, index) {
        var unknown = fixed && !(item in labels);
        var label = unknown ? unknownLabel(item, field) : String(labels[item] || item);
        chips.appendChild(el("span", {
          className: "badge tag-chip" + (unknown ? " tag-chip-unknown" : ""), "data-value": item,
          title: unknown ? "Not in the list: kept as it is in the rule" : null
        }, [
          label,
          el("button", {
            type: "button", className: "btn-close btn-close-sm ms-1", "aria-label": "Remove " + (labels[item] || item),
            onclick: function () { values.splice(index, 1); draw(); emit(); refreshOptions(); }
          })
        ]));
      });
    };
    var add = function (item) {
      item = String(item).trim();
      if (item && values.indexOf(item) === -1) { values.push(item); draw(); emit(); refreshOptions(); }
    };
    var refreshOptions = function () {};
    if (fixed) {
      var query = "";
      var select = el("select", { className: "form-select form-select-sm tag-picker-add", "aria-label": "Add value" });
      var available = function () {
        return choices.filter(function (choice) { return values.indexOf(choice.value) === -1 && matches(choice, query); });
      };
      refreshOptions = function () {
        select.innerHTML = "";
        var shown = available();
        var prompt = !choices.length && field && field.type === "tags"
          ? "No " + field.label.toLowerCase() + " exist yet"
          : (values.length ? "Add…" : "Choose…");
        select.appendChild(el("option", { value: "", text: query ? prompt + " (" + shown.length + " found)" : prompt }));
        shown.forEach(function (choice) { select.appendChild(el("option", { value: choice.value, text: choice.label })); });
      };
      select.addEventListener("change", function () { if (select.value) add(select.value); });
      if (choices.length >= SEARCH_MIN_CHOICES) {
        var search = this.searchBox(field, function (text) { query = text; refreshOptions(); }, function () {
          var first = available()[0];
          if (first) add(first.value);
          return Boolean(first);
        });
        search.className = "tag-picker-input rule-search";
        wrap.appendChild(search);
      }
      refreshOptions();
      wrap.appendChild(select);
    } else {
      var id = "rule-datalist-" + (++datalistCounter);
      var text = el("input", { type: "text", className: "tag-picker-input", list: id, "aria-label": "Add value", placeholder: "type, then Enter" });
      var list = el("datalist", { id: id });
      choices.forEach(function (choice) { list.appendChild(el("option", { value: choice.value, text: choice.label })); });
      text.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === ",") {
          event.preventDefault();
          add(text.value); text.value = "";
        } else if (event.key === "Backspace" && !text.value && values.length) {
          values.pop(); draw(); emit();
        }
      });
      text.addEventListener("change", function () {
        // Picking a suggestion from the datalist.
        if (choices.some(function (choice) { return choice.value === text.value; })) { add(text.value); text.value = ""; }
      });
      text.addEventListener("blur", function () { if (text.value.trim()) { add(text.value); text.value = ""; } });
      wrap.appendChild(text); wrap.appendChild(list);
    }
    draw();
    return wrap;
  };

  // An attribute value: text, number or yes/no.
  SegmentBuilder.prototype.typedValue = function (value, onchange) {
    var wrap = el("div", { className: "input-group input-group-sm" });
    var type = typeof value === "boolean" ? "boolean" : (typeof value === "number" ? "number" : "text");
    var select = el("select", { className: "form-select form-select-sm flex-grow-0 w-auto", "aria-label": "Value type" });
    [["text", "Text"], ["number", "Number"], ["boolean", "Yes/no"]].forEach(function (choice) {
      select.appendChild(el("option", { value: choice[0], text: choice[1], selected: type === choice[0] }));
    });
    var text = el("input", { type: "text", className: "form-control form-control-sm", "aria-label": "Value" });
    if (value !== undefined && value !== null) text.value = String(value);
    var emit = function () {
      var raw = text.value;
      if (select.value === "boolean") onchange(/^(true|yes|1)$/i.test(raw.trim()));
      else if (select.value === "number") onchange(raw === "" ? undefined : (isNaN(Number(raw)) ? raw : Number(raw)));
      else onchange(raw === "" ? undefined : raw);
    };
    select.addEventListener("change", emit);
    text.addEventListener("input", emit);
    wrap.appendChild(select); wrap.appendChild(text);
    return wrap;
  };

  // ---- syncing, preview and errors ----------------------------------------------------

  SegmentBuilder.prototype.sync = function () {
    this.textarea.value = JSON.stringify(this.rule, null, 2);
  };

  // `structural`: re-render (a node was added, removed or retyped). `focusNew`: focus the
  // last condition's field menu (after "add condition").
  SegmentBuilder.prototype.changed = function (structural, focusNew) {
    if (structural) {
      this.render();
      if (focusNew) {
        var selects = this.root.querySelectorAll(".rule-field");
        var candidates = Array.prototype.filter.call(selects, function (s) { return !s.value; });
        if (candidates.length) candidates[candidates.length - 1].focus();
      }
    } else {
      this.sync();
    }
    this.schedulePreview();
  };

  SegmentBuilder.prototype.schedulePreview = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.preview(); }, PREVIEW_DELAY_MS);
  };

  SegmentBuilder.prototype.csrfToken = function () {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  };

  SegmentBuilder.prototype.preview = function () {
    var self = this;
    if (!this.previewUrl || !window.fetch) return;
    if (this.request) this.request.abort();
    var controller = window.AbortController ? new AbortController() : null;
    this.request = controller;
    var body = new URLSearchParams();
    body.append("rule", JSON.stringify(this.rule));
    if (this.spinner) this.spinner.classList.add("htmx-request");
    this.root.dataset.previewState = "loading";
    fetch(this.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": this.csrfToken(), "X-Requested-With": "fetch" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      // A login page instead of the fragment: the session ended.
      if (response.redirected || response.status === 403) throw new Error("signed-out");
      return response.text();
    }).then(function (html) {
      if (self.request !== controller) return;
      self.previewBox.innerHTML = html;
      var errors = readJSON("preview-errors", []);
      self.showErrors(errors);
      self.root.dataset.previewState = errors.length ? "invalid" : "ready";
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      self.previewBox.innerHTML = error && error.message === "signed-out"
        ? '<div class="text-danger small"><i class="bi bi-lock me-1"></i>You are signed out. Sign in again in another tab, then edit the rule to refresh the count.</div>'
        : '<div class="text-danger small"><i class="bi bi-wifi-off me-1"></i>The preview is unavailable right now.</div>';
      self.root.dataset.previewState = "failed";
    }).then(function () {
      if (self.request === controller && self.spinner) self.spinner.classList.remove("htmx-request");
    });
  };

  // Each error goes under the deepest rendered node whose path starts its path; errors on
  // the whole rule go above the builder.
  SegmentBuilder.prototype.showErrors = function (errors) {
    var self = this;
    this.root.querySelectorAll(".rule-error").forEach(function (box) { box.innerHTML = ""; });
    this.root.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    var general = [];
    var nodes = Array.prototype.map.call(this.root.querySelectorAll("[data-path]"), function (node) {
      return { path: node.dataset.path, node: node };
    });
    var paths = (errors || []).map(function (error) { return error.path; });
    (errors || []).forEach(function (error) {
      // "needs an op" adds nothing to "needs a field" on the same, still empty, condition.
      if (/\/op$/.test(error.path) && paths.indexOf(error.path.replace(/op$/, "field")) !== -1) return;
      var best = null;
      nodes.forEach(function (candidate) {
        var p = candidate.path;
        var matches = p === "" || error.path === p || error.path.indexOf(p + "/") === 0;
        if (matches && (!best || p.length > best.path.length)) best = candidate;
      });
      if (!best || best.path === "") { general.push(error); return; }
      var box = best.node.querySelector(':scope > .rule-error');
      if (!box) { general.push(error); return; }
      best.node.classList.add("has-error");
      var detail = error.path.slice(best.path.length).replace(/^\//, "");
      box.appendChild(el("div", { className: "rule-error-message" }, [
        icon("exclamation-circle-fill"), " ", self.describePath(detail), error.message
      ]));
    });
    if (this.generalErrors) {
      this.generalErrors.innerHTML = "";
      general.forEach(function (error) { self.generalErrors.appendChild(el("div", { text: error.message })); });
      this.generalErrors.classList.toggle("d-none", !general.length);
    }
  };

  SegmentBuilder.prototype.describePath = function (detail) {
    var match = /^value\/(\d+)$/.exec(detail);
    if (match) return "value " + (Number(match[1]) + 1) + ": ";
    return "";
  };

  // ---- page wiring --------------------------------------------------------------------

  function init() {
    var root = document.getElementById("segment-builder");
    var textarea = document.getElementById("id_rule");
    if (!root || !textarea) return;
    var builder = new SegmentBuilder(root, textarea, readJSON("builder-fields", []), readJSON("builder-options", {}));
    builder.load(readJSON("builder-rule", { all: [] }));
    builder.showErrors(readJSON("builder-errors", []));
    window.PRM = window.PRM || {};
    window.PRM.segmentBuilder = builder;

    // Power users: the rule as JSON, editable; the builder follows valid JSON.
    var toggle = document.getElementById("rule-json-toggle");
    var panel = document.getElementById("rule-json");
    var jsonError = document.getElementById("rule-json-error");
    toggle.addEventListener("click", function () {
      var open = panel.classList.toggle("d-none") === false;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    textarea.addEventListener("input", function () {
      try {
        var rule = JSON.parse(textarea.value);
        textarea.classList.remove("is-invalid");
        builder.rule = groupKind(rule) ? rule : { all: [rule] };
        builder.root.innerHTML = "";
        builder.root.appendChild(builder.renderGroup(builder.rule, "", true));
        builder.schedulePreview();
      } catch (error) {
        textarea.classList.add("is-invalid");
        jsonError.textContent = "Not valid JSON yet: " + error.message;
      }
    });

    // Static segments have no rule.
    var ruleCard = document.getElementById("rule-card");
    var staticNote = document.getElementById("static-note");
    var previewCard = document.getElementById("preview-card");
    var kindInputs = document.querySelectorAll("input[name=kind]");
    function applyKind() {
      var checked = document.querySelector("input[name=kind]:checked");
      var isStatic = checked && checked.value === "static";
      ruleCard.classList.toggle("d-none", isStatic);
      previewCard.classList.toggle("d-none", isStatic);
      staticNote.classList.toggle("d-none", !isStatic);
    }
    kindInputs.forEach(function (input) { input.addEventListener("change", applyKind); });
    applyKind();

    builder.preview();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
