// Agent Beacon dashboard: draws the charts (Chart.js, vendored) from the /api/ answers that
// back each page. Pages are complete without it; it only adds the charts.
(function () {
  "use strict";

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function palette() {
    return [1, 2, 3, 4, 5, 6].map(function (n) { return cssVar("--chart-" + n); });
  }

  function number(value) {
    return Number(value).toLocaleString("en-US");
  }

  function money(value) {
    return "$" + Number(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 4 });
  }

  function baseOptions(format) {
    var text = cssVar("--muted");
    var grid = cssVar("--line");
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { labels: { color: text, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: function (item) {
              var label = item.dataset.label ? item.dataset.label + ": " : "";
              var raw = item.parsed.y !== undefined && item.parsed.y !== null ? item.parsed.y : item.parsed;
              if (item.chart.config.options.indexAxis === "y") { raw = item.parsed.x; }
              return label + format(raw);
            }
          }
        }
      },
      scales: {
        x: { ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { color: grid } },
        y: { ticks: { color: text, callback: function (v) { return format(v); } }, grid: { color: grid }, beginAtZero: true }
      }
    };
  }

  // Each chart kind: the API answer -> a Chart.js config, or null when there is nothing to draw.
  var kinds = {
    "events-per-day": function (data) {
      if (!data.days || !data.days.length) { return null; }
      return {
        type: "bar",
        data: {
          labels: data.days.map(function (d) { return d.day; }),
          datasets: [{ label: "events", data: data.days.map(function (d) { return d.events; }), backgroundColor: palette()[0], borderRadius: 3 }]
        },
        options: Object.assign(baseOptions(number), { plugins: { legend: { display: false } } })
      };
    },
    "tokens-per-day": function (data) {
      if (!data.by_day || !data.by_day.length) { return null; }
      var colors = palette();
      var options = baseOptions(number);
      options.scales.x.stacked = true;
      options.scales.y.stacked = true;
      return {
        type: "bar",
        data: {
          labels: data.by_day.map(function (d) { return d.day; }),
          datasets: [
            { label: "input tokens", data: data.by_day.map(function (d) { return d.input_tokens; }), backgroundColor: colors[0], borderRadius: 3 },
            { label: "output tokens", data: data.by_day.map(function (d) { return d.output_tokens; }), backgroundColor: colors[1], borderRadius: 3 }
          ]
        },
        options: options
      };
    },
    "cost-per-day": function (data) {
      if (!data.by_day || !data.by_day.some(function (d) { return d.cost_usd > 0; })) { return null; }
      var options = baseOptions(money);
      options.plugins.legend = { display: false };
      return {
        type: "bar",
        data: {
          labels: data.by_day.map(function (d) { return d.day; }),
          datasets: [{ label: "cost", data: data.by_day.map(function (d) { return d.cost_usd; }), backgroundColor: palette()[2], borderRadius: 3 }]
        },
        options: options
      };
    },
    "tokens-by-model": function (data) {
      if (!data.by_model || !data.by_model.length) { return null; }
      var options = baseOptions(number);
      options.indexAxis = "y";
      options.plugins.legend = { display: false };
      options.scales = {
        x: { ticks: { color: cssVar("--muted"), callback: function (v) { return number(v); } }, grid: { color: cssVar("--line") }, beginAtZero: true },
        y: { ticks: { color: cssVar("--muted") }, grid: { display: false } }
      };
      return {
        type: "bar",
        data: {
          labels: data.by_model.map(function (d) { return d.name; }),
          datasets: [{ label: "tokens", data: data.by_model.map(function (d) { return d.tokens; }), backgroundColor: palette(), borderRadius: 3 }]
        },
        options: options
      };
    },
    "tokens-by-harness": function (data) {
      if (!data.by_harness || !data.by_harness.length) { return null; }
      return {
        type: "doughnut",
        data: {
          labels: data.by_harness.map(function (d) { return d.name; }),
          datasets: [{ label: "tokens", data: data.by_harness.map(function (d) { return d.tokens; }), backgroundColor: palette(), borderColor: cssVar("--panel") }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { position: "right", labels: { color: cssVar("--muted"), boxWidth: 12 } } }
        }
      };
    }
  };

  function showEmpty(canvas, text) {
    var box = document.createElement("div");
    box.className = "chart-empty";
    box.textContent = text;
    canvas.replaceWith(box);
  }

  function draw(canvas) {
    var kind = kinds[canvas.dataset.chart];
    if (!kind || typeof window.Chart === "undefined") {
      showEmpty(canvas, "Charts are unavailable.");
      return;
    }
    fetch(canvas.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 202) { return { pending: true }; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data.pending) { showEmpty(canvas, "Still indexing the log\u2026 reload in a moment."); return; }
        var config = kind(data);
        if (!config) { showEmpty(canvas, canvas.dataset.empty || "Nothing to chart yet."); return; }
        new window.Chart(canvas, config);
        canvas.dataset.rendered = "true";
      })
      .catch(function (error) {
        showEmpty(canvas, "Could not load the chart (" + error.message + ").");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  });
})();
