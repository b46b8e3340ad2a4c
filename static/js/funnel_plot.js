// The outcomes report's funnel plot: each location's week-8 responder rate against its number of courses,
// with the group's rate and its 95 % and 99.8 % control limits. The table beside it says the same in words.
(function () {
  "use strict";
  const canvas = document.getElementById("funnel-plot");
  const source = document.getElementById("funnel-plot-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const styles = {
    "95 %": { borderColor: "#6c757d", borderDash: [5, 4] },
    "99.8 %": { borderColor: "#495057", borderDash: [] },
  };
  const lines = Object.keys(data.limits).map(function (name) {
    const level = name.split(" ").slice(1).join(" ");
    return Object.assign({
      label: name.charAt(0).toUpperCase() + name.slice(1) + " limit", type: "line", data: data.limits[name].map(function (p) { return { x: p.n, y: p.rate }; }),
      borderWidth: 1, pointRadius: 0, fill: false, parsing: false,
    }, styles[level] || {});
  });
  const datasets = [{
    label: "Locations", type: "scatter", parsing: false, backgroundColor: "#1f3b4d", pointRadius: 5,
    data: data.points.map(function (p) { return { x: p.n, y: Number(p.rate), name: p.name }; }),
  }].concat(lines);
  if (data.centre !== null) {
    const last = Math.max.apply(null, data.points.map(function (p) { return p.n; }).concat([10]));
    datasets.push({ label: "Group rate", type: "line", parsing: false, data: [{ x: 1, y: data.centre }, { x: last, y: data.centre }],
      borderColor: "#198754", borderWidth: 1, pointRadius: 0 });
  }
  new Chart(canvas, {
    data: { datasets: datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { type: "linear", min: 0, title: { display: true, text: "Courses with a week-8 ODI" } },
        y: { min: 0, max: 100, title: { display: true, text: "Responders at week 8 (%)" } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: function (item) {
          const name = item.raw.name ? item.raw.name + ": " : "";
          return name + item.raw.y + " % of " + item.raw.x;
        } } },
      },
    },
  });
})();
