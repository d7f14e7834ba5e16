"use strict";
// Table search and sort, and links that open a table filtered to the rows behind a figure.
// The page is complete without this script; it only filters and orders what is already there.
(function () {
  function matches(row, terms) {
    var tags = (row.getAttribute("data-tags") || "").toLowerCase().split(/\s+/);
    var text = row.textContent.toLowerCase();
    return terms.every(function (term) {
      if (term.indexOf("is:") === 0) { return tags.indexOf(term.slice(3)) >= 0; }
      if (term.indexOf("dataset:") === 0) { return tags.indexOf(term) >= 0; }
      return text.indexOf(term) >= 0;
    });
  }
  function applyFilter(input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = table.tBodies[0].rows, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = matches(rows[i], terms);
      rows[i].hidden = !ok;
      if (ok) { shown++; }
    }
    var count = document.querySelector('[data-count-for="' + table.id + '"]');
    if (count) { count.textContent = shown + " of " + rows.length + " rows"; }
  }
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var raw = cell.getAttribute("data-sort") || cell.textContent.trim();
    var number = parseFloat(raw.replace(/[,\s%]/g, ""));
    return isNaN(number) || !/^[-\d.,\s%]+$/.test(raw) ? raw.toLowerCase() : number;
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(header.parentNode.cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("input[data-table]").forEach(function (input) {
    input.addEventListener("input", function () { applyFilter(input); });
    applyFilter(input);
  });
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.tabIndex = 0;
      th.title = "Sort";
      th.addEventListener("click", function () { sortBy(table, index, th); });
      th.addEventListener("keydown", function (event) { if (event.key === "Enter") { sortBy(table, index, th); } });
    });
  });
  document.querySelectorAll("[data-filter]").forEach(function (link) {
    link.addEventListener("click", function () {
      var section = document.querySelector(link.getAttribute("href"));
      var input = section && section.querySelector("input[data-table]");
      if (input) { input.value = link.getAttribute("data-filter"); applyFilter(input); }
    });
  });
})();
