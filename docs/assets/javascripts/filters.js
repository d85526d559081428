// Filters for generated index tables. The table works without JavaScript; with it, a
// <div class="pm-filterable" data-filters="Severity,Status,Services,Year"> gets one <select>
// per named column ("Year" reads the first four characters of the "Date" column, and
// comma-separated cells such as Services offer each value on its own).
(function () {
  "use strict";

  function cellValues(cell, column) {
    var text = cell ? cell.textContent.trim() : "";
    if (column === "Year") return [text.slice(0, 4)];
    return text.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
  }

  function setUp(wrapper) {
    if (wrapper.dataset.pmReady) return;
    var table = wrapper.querySelector("table");
    if (!table || !table.tHead) return;
    wrapper.dataset.pmReady = "1";
    var headers = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      return th.textContent.trim();
    });
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var filters = (wrapper.dataset.filters || "").split(",").map(function (f) { return f.trim(); });
    var bar = document.createElement("form");
    bar.className = "pm-filters";
    bar.setAttribute("role", "search");
    bar.setAttribute("aria-label", "Filter the table");
    var selects = [];
    filters.forEach(function (name) {
      var index = headers.indexOf(name === "Year" ? "Date" : name);
      if (index < 0) return;
      var seen = {};
      rows.forEach(function (row) {
        cellValues(row.cells[index], name).forEach(function (v) { seen[v] = true; });
      });
      var values = Object.keys(seen).sort();
      if (name === "Year") values.reverse();
      var label = document.createElement("label");
      label.textContent = name;
      var select = document.createElement("select");
      select.name = name;
      select.dataset.column = String(index);
      var all = document.createElement("option");
      all.value = "";
      all.textContent = "All";
      select.appendChild(all);
      values.forEach(function (v) {
        var option = document.createElement("option");
        option.value = v;
        option.textContent = v;
        select.appendChild(option);
      });
      label.appendChild(select);
      bar.appendChild(label);
      selects.push(select);
    });
    var count = document.createElement("output");
    count.setAttribute("aria-live", "polite");
    bar.appendChild(count);

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var visible = selects.every(function (select) {
          return !select.value ||
            cellValues(row.cells[Number(select.dataset.column)], select.name).indexOf(select.value) >= 0;
        });
        row.hidden = !visible;
        if (visible) shown += 1;
      });
      count.textContent = shown + " of " + rows.length + " shown";
    }

    bar.addEventListener("change", apply);
    bar.addEventListener("submit", function (event) { event.preventDefault(); });
    wrapper.insertBefore(bar, wrapper.firstChild);
    apply();
  }

  function init() {
    document.querySelectorAll(".pm-filterable").forEach(setUp);
  }

  // Material's instant loading replaces pages without a reload: use its observable when present.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
