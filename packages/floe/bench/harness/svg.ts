// Small hand-written SVG charts for docs/bench/: grouped bars on a log scale (latency
// percentiles) and lines over time (throughput). Plain SVG 1.1, no scripts, readable as text.

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2'];
const FONT = 'font-family="sans-serif" font-size="12"';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Both charts' size and plot area (the legend sits in the right margin). */
const AREA = (() => {
  const width = 760;
  const height = 360;
  const left = 60;
  const top = 36;
  return { width, height, left, top, plotW: width - left - 170, plotH: height - top - 50 };
})();

export interface Series {
  name: string;
  values: number[];
}

function legend(series: readonly { name: string }[], x: number, y: number): string {
  return series
    .map((s, i) => `<rect x="${x}" y="${y + i * 18}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 18}" y="${y + i * 18 + 10}" ${FONT}>${esc(s.name)}</text>`)
    .join('');
}

function frame(width: number, height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-family="sans-serif" font-size="14" font-weight="bold">${esc(title)}</text>
${body}
</svg>
`;
}

/** Grouped bars, one group per category and one bar per series, on a log10 axis. */
export function barChartLog(opts: { title: string; yLabel: string; categories: string[]; series: Series[] }): string {
  const { width, height, left, top, plotW, plotH } = AREA;
  const all = opts.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(1, ...all)));
  const hi = Math.ceil(Math.log10(Math.max(10, ...all)));
  const y = (v: number) => top + plotH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * plotH;
  let body = '';
  for (let e = lo; e <= hi; e++) {
    body += `<line x1="${left}" x2="${left + plotW}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${left - 6}" y="${y(10 ** e) + 4}" text-anchor="end" ${FONT}>${fmt(10 ** e)}</text>`;
  }
  body += `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" ${FONT}>${esc(opts.yLabel)}</text>`;
  const groupW = plotW / opts.categories.length;
  const barW = (groupW * 0.8) / opts.series.length;
  opts.categories.forEach((cat, c) => {
    const gx = left + c * groupW + groupW * 0.1;
    body += `<text x="${left + c * groupW + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle" ${FONT}>${esc(cat)}</text>`;
    opts.series.forEach((s, i) => {
      const v = s.values[c];
      if (v === undefined || !Number.isFinite(v)) return;
      const by = y(v);
      body += `<rect x="${(gx + i * barW).toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - by).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${s.name} ${cat}: ${fmt(v)}`)}</title></rect>`;
      body += `<text x="${(gx + i * barW + barW / 2 - 1).toFixed(1)}" y="${(by - 3).toFixed(1)}" text-anchor="middle" font-family="sans-serif" font-size="9">${fmt(v)}</text>`;
    });
  });
  body += `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`;
  body += legend(opts.series, left + plotW + 16, top + 4);
  return frame(width, height, opts.title, body);
}

/** Lines of (x, y) points sharing linear axes from 0. */
export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: { name: string; points: { x: number; y: number }[] }[] }): string {
  const { width, height, left, top, plotW, plotH } = AREA;
  const pts = opts.series.flatMap((s) => s.points);
  const xMax = niceCeil(Math.max(1, ...pts.map((p) => p.x)));
  const yMax = niceCeil(Math.max(1, ...pts.map((p) => p.y)));
  const x = (v: number) => left + (v / xMax) * plotW;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  let body = '';
  for (let i = 0; i <= 5; i++) {
    const yv = (yMax * i) / 5;
    const xv = (xMax * i) / 5;
    body += `<line x1="${left}" x2="${left + plotW}" y1="${y(yv)}" y2="${y(yv)}" stroke="#ddd"/><text x="${left - 6}" y="${y(yv) + 4}" text-anchor="end" ${FONT}>${fmt(yv)}</text>`;
    body += `<text x="${x(xv)}" y="${top + plotH + 16}" text-anchor="middle" ${FONT}>${fmt(xv)}</text>`;
  }
  body += `<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle" ${FONT}>${esc(opts.xLabel)}</text>`;
  body += `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" ${FONT}>${esc(opts.yLabel)}</text>`;
  opts.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    body += `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`;
  });
  body += `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`;
  body += legend(opts.series, left + plotW + 16, top + 4);
  return frame(width, height, opts.title, body);
}

/** 1, 2 or 5 times a power of ten, at least v. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
