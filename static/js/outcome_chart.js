// The patient chart's outcome plot: ODI (left axis, %) and back/leg pain (right axis, 0-10) over
// time, session dates as vertical lines, the baseline and the meaningful-change threshold.
(function () {
  "use strict";
  const canvas = document.getElementById("outcome-chart");
  const source = document.getElementById("outcome-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const annotations = {};
  data.sessions.forEach(function (day, index) {
    annotations["session" + index] = {
      type: "line", xMin: day, xMax: day, borderColor: "rgba(31, 59, 77, 0.25)", borderWidth: 1,
    };
  });
  if (data.baseline !== null) {
    annotations.baseline = {
      type: "line", yScaleID: "odi", yMin: data.baseline, yMax: data.baseline, borderColor: "#6c757d",
      borderDash: [4, 4], borderWidth: 1, label: { display: true, content: "baseline " + data.baseline, position: "start", font: { size: 10 } },
    };
  }
  if (data.threshold !== null) {
    annotations.threshold = {
      type: "line", yScaleID: "odi", yMin: data.threshold, yMax: data.threshold, borderColor: "#198754",
      borderDash: [2, 3], borderWidth: 1, label: { display: true, content: "meaningful change", position: "end", font: { size: 10 } },
    };
  }
  const point = function (values) {
    return values.map(function (value, i) { return { x: data.dates[i], y: value }; });
  };
  new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        { label: "ODI %", data: point(data.odi), yAxisID: "odi", borderColor: "#1f3b4d", backgroundColor: "#1f3b4d", spanGaps: true },
        { label: "Back pain", data: point(data.back_pain), yAxisID: "pain", borderColor: "#d97706", backgroundColor: "#d97706", borderDash: [5, 3] },
        { label: "Leg pain", data: point(data.leg_pain), yAxisID: "pain", borderColor: "#b02a37", backgroundColor: "#b02a37" },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: true,
      scales: {
        // Placed by ISO day, labelled as the pages write dates ("Mar 3"): data.labels maps one to the other.
        x: {
          type: "category", labels: Object.keys(data.labels).sort(),
          ticks: { callback: function (value) { return data.labels[this.getLabelForValue(value)]; } },
        },
        odi: { position: "left", min: 0, max: 100, title: { display: true, text: "ODI %" } },
        pain: { position: "right", min: 0, max: 10, grid: { drawOnChartArea: false }, title: { display: true, text: "Pain 0-10" } },
      },
      plugins: {
        annotation: { annotations: annotations },
        legend: { position: "bottom" },
        tooltip: { callbacks: { title: function (items) { return items.length ? data.labels[items[0].label] : ""; } } },
      },
    },
  });
})();
