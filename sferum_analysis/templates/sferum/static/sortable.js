/* Sortable and filterable tables of the Sferum report: the page's only script.
   Inlined by index.html.j2; sferum_analysis.publish trusts it by its SHA-256 only
   (TRUSTED_SCRIPT_SHA256, also the page's Content-Security-Policy), so any change
   here needs the new hash there. No network, no globals, no inline handlers.
   Every table[data-sortable] with one header row gets a button in each header cell
   (aria-sort tells the order); rows of class "total" stay at the bottom; numbers
   such as "90,2", "1 234", "▼ −0,3" sort as numbers, "—" and empty cells last.
   Tables with FILTER_MIN_ROWS rows or more (or data-filter) get a text filter over
   their text columns. Without this script the tables are plain (also in the PDF). */
(function () {
  "use strict";
  var FILTER_MIN_ROWS = 10;
  var collator = new Intl.Collator("ru", { numeric: true, sensitivity: "base" });

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function isMissing(text) {
    return text === "" || text === "\u2014" || text === "\u2013" || text === "-";
  }

  /* "90,2" -> 90.2, "1 234" -> 1234, "▼ −0,3" -> -0.3, "▼ 2" -> -2; null if not a number */
  function parseNumber(text) {
    var t = text.replace(/[\s\u00a0\u202f]/g, "");
    var down = t.indexOf("\u25bc") >= 0;
    t = t.replace(/[\u25b2\u25bc%+]/g, "").replace(/[\u2212\u2013]/g, "-").replace(",", ".");
    if (!/^-?\d+(\.\d+)?$/.test(t)) { return null; }
    var value = parseFloat(t);
    return down && value > 0 ? -value : value;
  }

  function isTotal(row) { return row.classList.contains("total"); }

  function bodyRows(table) {
    var rows = [];
    for (var b = 0; b < table.tBodies.length; b++) {
      rows = rows.concat(Array.prototype.slice.call(table.tBodies[b].rows));
    }
    return rows;
  }

  function numericColumn(rows, index) {
    var seen = false;
    for (var i = 0; i < rows.length; i++) {
      var text = cellText(rows[i], index);
      if (isMissing(text)) { continue; }
      if (parseNumber(text) === null) { return false; }
      seen = true;
    }
    return seen;
  }

  function sortBy(table, headers, index, numeric) {
    var th = headers[index];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = bodyRows(table);
    var keyed = rows.filter(function (r) { return !isTotal(r); }).map(function (row, k) {
      var text = cellText(row, index);
      var key = isMissing(text) ? null : (numeric ? parseNumber(text) : text);
      return { row: row, key: key, order: k };
    });
    keyed.sort(function (a, b) {
      if (a.key === null || b.key === null) {  // missing values last in both directions
        return a.key === b.key ? a.order - b.order : (a.key === null ? 1 : -1);
      }
      var c = numeric ? a.key - b.key : collator.compare(a.key, b.key);
      return (ascending ? c : -c) || a.order - b.order;
    });
    keyed.forEach(function (item) { body.appendChild(item.row); });
    rows.filter(isTotal).forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function normalize(text) { return text.toLowerCase().replace(/\u0451/g, "\u0435"); }

  function addFilter(table, rows, textColumns) {
    var box = document.createElement("div");
    box.className = "table-filter";
    var label = document.createElement("label");
    label.appendChild(document.createTextNode("Фильтр по названию "));
    var input = document.createElement("input");
    input.type = "search";
    input.autocomplete = "off";
    label.appendChild(input);
    var count = document.createElement("span");
    count.className = "filter-count";
    count.setAttribute("aria-live", "polite");
    box.appendChild(label);
    box.appendChild(count);
    var anchor = table.parentNode.classList.contains("table-scroll") ? table.parentNode : table;
    anchor.parentNode.insertBefore(box, anchor);
    var data = rows.filter(function (r) { return !isTotal(r); });
    input.addEventListener("input", function () {
      var wanted = normalize(input.value.trim());
      var shown = 0;
      data.forEach(function (row) {
        var text = textColumns.map(function (i) { return cellText(row, i); }).join(" ");
        var match = wanted === "" || normalize(text).indexOf(wanted) >= 0;
        row.classList.toggle("filtered-out", !match);
        if (match) { shown++; }
      });
      count.textContent = wanted === "" ? "" :
        "Показано " + shown + " из " + data.length;
    });
  }

  function enhance(table) {
    var head = table.tHead;
    if (!head || head.rows.length !== 1 || table.tBodies.length !== 1) { return; }
    var headers = Array.prototype.slice.call(head.rows[0].cells);
    var rows = bodyRows(table);
    if (headers.some(function (h) { return h.colSpan > 1; }) ||
        rows.some(function (r) { return r.cells.length !== headers.length; })) { return; }
    var textColumns = [];
    headers.forEach(function (th, index) {
      var numeric = numericColumn(rows, index);
      if (!numeric) { textColumns.push(index); }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, headers, index, numeric); });
    });
    var data = rows.filter(function (r) { return !isTotal(r); });
    if (textColumns.length && (data.length >= FILTER_MIN_ROWS || table.hasAttribute("data-filter"))) {
      addFilter(table, rows, textColumns);
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), enhance);
})();
