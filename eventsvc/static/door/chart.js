// The arrivals chart of the live panel, drawn as the event's dashboard draws it on the server
// (eventsvc/services/door_stats.py `arrivals_chart`): an SVG bar per five minutes, each naming its
// time and count, with the dashboard's measures, colour and class ("chart", styled by site.css),
// so that both read alike. tests/browser/test_door.py compares the two bar by bar.

const SVG = "http://www.w3.org/2000/svg";

/** The dashboard's measures: the viewBox, the margins, the widest slot a bar gets, the bar colour. */
export const CHART = { width: 640, height: 200, left: 40, right: 10, top: 20, bottom: 28, maxSlot: 36, colour: "#b3122e" };

/** Where the bars of `counts` go: `{ slot, plotHeight, peak, bars: [{ x, y, width, height }] }`. */
export function barLayout(counts, chart = CHART) {
  const plotWidth = chart.width - chart.left - chart.right;
  const plotHeight = chart.height - chart.top - chart.bottom;
  const peak = Math.max(0, ...counts) || 1;
  const slot = counts.length ? Math.min(plotWidth / counts.length, chart.maxSlot) : 0;
  const bars = counts.map((count, index) => {
    const height = (plotHeight * count) / peak;
    return { x: chart.left + index * slot + slot * 0.1, y: chart.top + plotHeight - height,
      width: Math.max(slot * 0.8, 1), height };
  });
  return { slot, plotHeight, peak, bars };
}

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** The chart of `series` (`…/checkin-stats`' `arrivals`: `[{ from, count }]`) as an SVG element
 * labelled `title`; `time(iso)` writes the start of a slot ("18:05"). */
export function arrivalsChart(series, { title, time }) {
  const { width, height, left, right, top } = CHART;
  const { slot, plotHeight, peak, bars } = barLayout(series.map((item) => item.count));
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart", "aria-label": title });
  svg.append(svgElement("title", {}, title),
    svgElement("line", { x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, stroke: "#888" }));
  if (!series.length) return svg;
  bars.forEach((bar, index) => {
    const rect = svgElement("rect", { x: bar.x.toFixed(1), y: bar.y.toFixed(1), width: bar.width.toFixed(1),
      height: bar.height.toFixed(1), fill: CHART.colour });
    rect.append(svgElement("title", {}, `${time(series[index].from)}: ${series[index].count}`));
    svg.append(rect);
  });
  svg.append(svgElement("text", { x: left - 6, y: top + 4, "text-anchor": "end", "font-size": 11 }, String(peak)),
    svgElement("text", { x: left, y: height - 8, "font-size": 11 }, time(series[0].from)));
  if (series.length > 1) {
    svg.append(svgElement("text", { x: (left + series.length * slot).toFixed(1), y: height - 8, "text-anchor": "end",
      "font-size": 11 }, time(series.at(-1).from)));
  }
  return svg;
}
