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
          if (s.total) { bar.value = Math.floor(100 * s.done / s.total); text.textContent = s.done + " of " + s.total + " receipts"; }
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

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
  var whatif = document.getElementById("whatif-form");
  if (whatif) { whatifForm(whatif); }
  var box = document.getElementById("progress");
  if (box) { follow(box); }
  document.body.dataset.ready = "true";
})();
