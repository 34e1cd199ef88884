// trendscout's charts on the home page. Vega, Vega-Lite and vega-embed are served
// locally by datasette-dashboards; nothing is loaded from the internet.
/* global vegaEmbed */

function trendscoutWeeklyChart(selector, rows) {
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    description: "Posts per week by language",
    width: "container",
    height: 220,
    data: { values: rows },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "week", type: "ordinal", timeUnit: "yearmonthdate",
        title: "Week starting", axis: { format: "%d %b", labelAngle: 0 }
      },
      y: { field: "posts", type: "quantitative", aggregate: "sum", title: "Posts" },
      color: { field: "language", type: "nominal", title: "Language" }
    },
    config: { view: { stroke: null }, background: null }
  };
  // SVG keeps the chart crisp in screenshots and readable by tests and screen readers.
  return vegaEmbed(selector, spec, { renderer: "svg", actions: false });
}
