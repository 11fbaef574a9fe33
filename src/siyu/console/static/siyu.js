/* siyu console: charts (Plotly, served by siyu), tabs, job progress, confirmations. */
(function () {
  "use strict";

  var plotly = null;
  function loadPlotly(done) {
    if (window.Plotly) { done(window.Plotly); return; }
    if (plotly) { plotly.push(done); return; }
    plotly = [done];
    var s = document.createElement("script");
    s.src = "/static/vendor/plotly.min.js";
    s.onload = function () { plotly.forEach(function (f) { f(window.Plotly); }); };
    document.head.appendChild(s);
  }

  function draw(el) {
    if (el.dataset.rendered) return;
    var spec = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    loadPlotly(function (Plotly) {
      Plotly.newPlot(el, spec.data, spec.layout, {displayModeBar: false, responsive: true})
        .then(function () { el.dataset.rendered = "1"; });
    });
  }

  function drawVisible() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.offsetParent !== null) draw(el);
    });
  }

  function tabs() {
    document.querySelectorAll("[data-tab]").forEach(function (button) {
      button.addEventListener("click", function () {
        var group = button.parentElement;
        group.querySelectorAll("[data-tab]").forEach(function (b) {
          b.classList.toggle("current", b === button);
          var panel = document.getElementById("panel-" + b.dataset.tab);
          if (panel) panel.classList.toggle("hidden", b !== button);
        });
        drawVisible();
      });
    });
  }

  function pollJob(card) {
    var id = card.dataset.job;
    if (card.dataset.status !== "queued" && card.dataset.status !== "running") return;
    var bar = document.getElementById("job-bar");
    var stage = document.getElementById("job-stage");
    var stages = card.dataset.stages ? JSON.parse(card.dataset.stages) : null;
    function tick() {
      fetch("/api/v1/jobs/" + id, {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
          var named = (stages && stages[job.stage]) || job.stage;
          if (stage) stage.textContent = named + (job.total ? " " + job.done + " / " + job.total : "");
          if (bar && job.fraction !== null) {
            bar.classList.remove("indeterminate");
            bar.style.width = Math.round(job.fraction * 100) + "%";
          }
          setTimeout(tick, 700);
        })
        .catch(function () { setTimeout(tick, 2000); });
    }
    setTimeout(tick, 400);
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawVisible();
    tabs();
    confirmations();
    var job = document.querySelector("[data-job]");
    if (job) pollJob(job);
  });
})();
