// Live charts for the Floe console: what the node's /metrics says about Produce, turned into
// rates between two scrapes, drawn as lines on a <canvas>. Each chart also writes its latest
// values to the canvas's data-latest attribute and its sample count to data-samples, so that a
// test (or a curious person) can read them without looking at pixels.

/** The samples of a Prometheus text exposition: { name, labels, value }. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Produce's counters in one scrape: request bytes, and the latency histogram (all outcomes). */
export function produceCounters(samples) {
  const out = { bytes: 0, requests: 0, buckets: new Map() };
  for (const s of samples) {
    if (s.labels.api !== 'Produce') continue;
    if (s.name === 'floe_kafka_request_bytes_total') out.bytes += s.value;
    else if (s.name === 'floe_kafka_request_duration_seconds_count') out.requests += s.value;
    else if (s.name === 'floe_kafka_request_duration_seconds_bucket') {
      const le = Number(s.labels.le); // "+Inf" is Infinity
      out.buckets.set(le, (out.buckets.get(le) ?? 0) + s.value);
    }
  }
  return out;
}

/**
 * The q-quantile of the requests counted between two scrapes, interpolated within its bucket as
 * Prometheus's histogram_quantile does; null when there were none.
 */
function quantile(q, before, after) {
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const cumulative = bounds.map((le) => (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0));
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const le = bounds[i];
    const n = cumulative[i];
    if (n >= rank) {
      if (le === Infinity) return lower;
      return lower + (le - lower) * ((rank - below) / Math.max(n - below, 1e-9));
    }
    lower = le;
    below = n;
  }
  return lower;
}

/** Bytes per second and p50/p99 latency (ms) between two scrapes `seconds` apart; null for a counter reset. */
export function produceRates(before, after, seconds) {
  const bytes = after.bytes - before.bytes;
  if (bytes < 0 || after.requests < before.requests || seconds <= 0) return null;
  const p50 = quantile(0.5, before, after);
  const p99 = quantile(0.99, before, after);
  return {
    bytesPerSecond: bytes / seconds,
    p50Ms: p50 === null ? null : p50 * 1000,
    p99Ms: p99 === null ? null : p99 * 1000,
  };
}

export function formatBytes(n) {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

export function formatMs(n) {
  return n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}

/** A line chart of the last `capacity` samples of a few series. */
export class Chart {
  /**
   * @param canvas the <canvas> to draw on
   * @param series [{ name, color }], one line each
   * @param format turns a value into an axis label
   */
  constructor(canvas, series, format, capacity = 60) {
    this.canvas = canvas;
    this.series = series;
    this.format = format;
    this.capacity = capacity;
    this.points = []; // arrays of values (or null), one per series
    this.samples = 0;
  }

  push(values) {
    this.points.push(values);
    if (this.points.length > this.capacity) this.points.shift();
    this.samples++;
    this.canvas.dataset.samples = String(this.samples);
    this.canvas.dataset.latest = JSON.stringify(Object.fromEntries(this.series.map((s, i) => [s.name, values[i]])));
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = c.clientWidth;
    const height = c.clientHeight;
    if (c.width !== Math.round(width * ratio)) c.width = Math.round(width * ratio);
    if (c.height !== Math.round(height * ratio)) c.height = Math.round(height * ratio);
    const g = c.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const left = 70;
    const right = 8;
    const top = 22;
    const bottom = 18;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const values = this.points.flat().filter((v) => v !== null);
    const max = niceCeiling(Math.max(0, ...values));
    const x = (i) => left + (plotW * i) / (this.capacity - 1);
    const y = (v) => top + plotH - (plotH * v) / max;

    // Grid and axis labels.
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#6b7785';
    g.strokeStyle = '#e6eaee';
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      g.beginPath();
      g.moveTo(left, Math.round(y(v)) + 0.5);
      g.lineTo(width - right, Math.round(y(v)) + 0.5);
      g.stroke();
      g.fillText(this.format(v), left - 6, y(v));
    }
    g.textAlign = 'left';
    g.textBaseline = 'alphabetic';
    g.fillText(`last ${this.capacity} samples`, left, height - 4);

    // Legend.
    let lx = left;
    for (const s of this.series) {
      g.fillStyle = s.color;
      g.fillRect(lx, 7, 10, 10);
      g.fillStyle = '#1d2733';
      g.fillText(s.name, lx + 14, 16);
      lx += g.measureText(s.name).width + 34;
    }

    // One line per series, broken where a value is missing.
    const offset = this.capacity - this.points.length;
    this.series.forEach((s, j) => {
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.beginPath();
      let pen = false;
      this.points.forEach((p, i) => {
        const v = p[j];
        if (v === null || v === undefined) {
          pen = false;
          return;
        }
        if (pen) g.lineTo(x(offset + i), y(v));
        else g.moveTo(x(offset + i), y(v));
        pen = true;
      });
      g.stroke();
    });
  }
}

/** 1, 2 or 5 times a power of ten, at least `v` (and at least 1). */
function niceCeiling(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
