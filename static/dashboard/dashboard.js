/* Charts from the JSON each table carries (Chart.js, served from our own static files), and the
   what-if progress bar. Figures arrive as decimal strings; they become numbers only to be drawn. */
(function () {
  "use strict";

  var PALETTE = ["#0b57c9", "#e8710a", "#188038", "#a142f4", "#d93025", "#12a4af", "#f9ab00", "#5f6368"];

  function numbers(values) {
    return values.map(function (v) { return v === null ? null : Number(v); });
  }

  function datasets(spec) {
    var doughnut = spec.kind === "doughnut";
    return spec.series.map(function (s, i) {
      var colour = doughnut ? spec.labels.map(function (_, j) { return PALETTE[j % PALETTE.length]; }) : PALETTE[i % PALETTE.length];
      var set = { label: s.name, data: numbers(s.values), backgroundColor: colour, borderColor: colour };
      if (s.stack) { set.stack = s.stack; }
      return set;
    });
  }

  function options(spec) {
    var opts = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: spec.series.length > 1 || spec.kind === "doughnut" } } };
    if (spec.kind === "doughnut") { return opts; }
    var value = { beginAtZero: true, stacked: spec.stacked, title: { display: !!spec.yTitle, text: spec.yTitle } };
    var category = { stacked: spec.stacked, ticks: { autoSkip: true, maxRotation: 60 } };
    opts.indexAxis = spec.horizontal ? "y" : "x";
    opts.scales = spec.horizontal ? { x: value, y: category } : { x: category, y: value };
    return opts;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    new Chart(canvas, { type: spec.kind, data: { labels: spec.labels, datasets: datasets(spec) }, options: options(spec) });
    canvas.dataset.drawn = "true";
  }

  function follow(box) {
    var bar = document.getElementById("progress-bar"), text = document.getElementById("progress-text");
    function poll() {
      fetch(box.dataset.url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.total) { bar.value = Math.floor(100 * s.done / s.total); text.textContent = (box.dataset.of || "{done} of {total} receipts").replace("{done}", s.done).replace("{total}", s.total); }
          if (s.state === "done" || s.state === "failed" || s.state === "unknown") { window.location.reload(); }
          else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 500);
  }

  /* What-if: another programme is another starting point, so load its settings; one click is one run. */
  function whatifForm(form) {
    var programme = form.querySelector("select[name=programme]");
    if (programme) {
      programme.addEventListener("change", function () {
        window.location.search = "?programme=" + encodeURIComponent(programme.value);
      });
    }
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = button.dataset.busy || button.textContent;
    });
  }

  /* A sortable table: a click on a heading sorts the rows by it (numbers as numbers, "—" last); again reverses. */
  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var numeric = th.classList.contains("num");
        var down = th.getAttribute("aria-sort") !== "descending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var text = row.cells[index].textContent.trim();
          if (!numeric) { return text.toLowerCase(); }
          var n = parseFloat(text.replace(/[^0-9.\-]/g, ""));
          return isNaN(n) ? null : n;
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === y) { return 0; }
          if (x === null) { return 1; }
          if (y === null) { return -1; }
          return (x < y ? -1 : 1) * (down ? -1 : 1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  document.querySelectorAll("table.sortable").forEach(sortable);
  document.querySelectorAll("canvas[data-chart]").forEach(draw);
  var whatif = document.getElementById("whatif-form");
  if (whatif) { whatifForm(whatif); }
  var box = document.getElementById("progress");
  if (box) { follow(box); }
  document.body.dataset.ready = "true";
})();
