// Quorum console: draws the overview's time series with the vendored uPlot (no network access).
// The same numbers are in the "Weekly figures" table, so the page is complete without JavaScript.
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("stats-data");
    if (!node || typeof uPlot === "undefined") { return; }
    var stats = JSON.parse(node.textContent);
    if (!stats.weeks.length) { return; }
    var xs = stats.weeks.map(function (w) { return Date.parse(w + "T00:00:00Z") / 1000; });
    var palette = { approve: "#2e9d52", comment: "#d4a017", needs_human: "#6a5acd", request_changes: "#c8553d" };
    function chart(id, series, data, yLabel) {
      var el = document.getElementById(id);
      if (!el) { return; }
      var width = Math.max(320, el.clientWidth || 480);
      var opts = {
        width: width, height: 230,
        scales: { x: { time: true } },
        axes: [{}, { label: yLabel, size: 56 }],
        series: [{}].concat(series)
      };
      new uPlot(opts, [xs].concat(data), el);
    }
    var actions = Object.keys(stats.decisions_by_action);
    chart("chart-actions", actions.map(function (a) {
      return { label: a, stroke: palette[a] || "#555", width: 2, points: { show: true } };
    }), actions.map(function (a) { return stats.decisions_by_action[a]; }), "decisions");
    chart("chart-rate", [{ label: "auto-approval %", stroke: "#2e9d52", width: 2, points: { show: true } }],
      [stats.approval_rate.map(function (r) { return r === null ? null : Math.round(r * 1000) / 10; })], "%");
    chart("chart-latency", [
      { label: "p50 ms", stroke: "#2456a6", width: 2, points: { show: true } },
      { label: "p95 ms", stroke: "#c8553d", width: 2, points: { show: true } }
    ], [stats.latency_p50_ms, stats.latency_p95_ms], "ms");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
