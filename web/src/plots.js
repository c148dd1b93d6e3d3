// Line charts with uPlot: f(x) beside its autograd derivative, and a series against its index
// (a loss curve).

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

let current = null;

function draw(target, title, xLabel, xs, lines) {
  if (current !== null) current.destroy();
  target.replaceChildren();
  const width = Math.max(280, target.clientWidth || 360);
  const options = {
    title,
    width,
    height: Math.round(width * 0.62),
    scales: { x: { time: false } },
    axes: [{ label: xLabel }, {}],
    series: [
      { label: xLabel },
      ...lines.map((line, i) => ({ label: line.label, stroke: COLORS[i % COLORS.length],
        width: 2, points: { show: xs.length <= 60 } })),
    ],
  };
  current = new uPlot(options, [xs, ...lines.map((line) => line.values)], target);
  target.dataset.series = lines.map((line) => line.label).join("|");
  return current;
}

export function plotFunction(target, expr, xs, ys, grads) {
  return draw(target, `f(x) = ${expr}`, "x", xs, [
    { label: "f(x)", values: ys },
    { label: "df/dx (autograd)", values: grads },
  ]);
}

export function plotSeries(target, title, values) {
  const index = values.map((_, i) => i);
  return draw(target, title, "step", index, [{ label: title, values }]);
}
