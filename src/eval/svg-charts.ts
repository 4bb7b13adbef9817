/**
 * Small inline-SVG charts for the HTML report: no library, no network, readable without scripts.
 * Every text goes through `escapeHtml`.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface ScatterPoint {
  id: string;
  x: number;
  y: number;
  /** Drawn filled and joined by the front line. */
  onFront?: boolean;
  /** The baseline: drawn as a hollow square. */
  baseline?: boolean;
}

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Join the front points with a step line (quality vs cost). */
  drawFront?: boolean;
}

const width = 520;
const height = 330;
const margin = { left: 64, right: 24, top: 32, bottom: 52 };

function niceRange(values: readonly number[]): [number, number] {
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.5;
    return [Math.max(0, low - pad), high + pad];
  }
  const pad = (high - low) * 0.08;
  low = low >= 0 && low - pad < 0 ? 0 : low - pad;
  return [low, high + pad];
}

function tickLabel(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return value.toFixed(0);
  if (magnitude >= 1) return String(Number(value.toPrecision(3)));
  return String(Number(value.toPrecision(2)));
}

/** A scatter plot with labelled points, axes with five ticks each, and an optional front line. */
export function scatterSvg(points: readonly ScatterPoint[], options: ScatterOptions): string {
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart scatter" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}">`,
    `<title>${escapeHtml(options.title)}</title>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" class="chart-title">${escapeHtml(options.title)}</text>`,
  ];
  if (points.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="empty">no model has a known value on both axes</text></svg>`);
    return parts.join('');
  }
  const [x0, x1] = niceRange(points.map((p) => p.x));
  const [y0, y1] = niceRange(points.map((p) => p.y));
  const sx = (x: number) => margin.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => margin.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" class="plot-area"/>`);
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4;
    const yv = y0 + ((y1 - y0) * i) / 4;
    parts.push(
      `<line x1="${sx(xv).toFixed(1)}" y1="${margin.top + plotH}" x2="${sx(xv).toFixed(1)}" y2="${margin.top + plotH + 5}" class="tick"/>`,
      `<text x="${sx(xv).toFixed(1)}" y="${margin.top + plotH + 18}" text-anchor="middle" class="tick-label">${tickLabel(xv)}</text>`,
      `<line x1="${margin.left - 5}" y1="${sy(yv).toFixed(1)}" x2="${margin.left + plotW}" y2="${sy(yv).toFixed(1)}" class="grid"/>`,
      `<text x="${margin.left - 8}" y="${(sy(yv) + 4).toFixed(1)}" text-anchor="end" class="tick-label">${tickLabel(yv)}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle" class="axis-label">${escapeHtml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(options.yLabel)}</text>`,
  );
  if (options.drawFront) {
    const front = points.filter((p) => p.onFront).sort((a, b) => a.x - b.x);
    if (front.length > 1) {
      const path = front.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`).join(' ');
      parts.push(`<path d="${path}" class="front-line"/>`);
    }
  }
  for (const point of points) {
    const cx = sx(point.x).toFixed(1);
    const cy = sy(point.y).toFixed(1);
    const kind = point.baseline ? 'baseline' : point.onFront ? 'front' : 'model';
    const shape = point.baseline
      ? `<rect x="${(Number(cx) - 5).toFixed(1)}" y="${(Number(cy) - 5).toFixed(1)}" width="10" height="10" class="point ${kind}"/>`
      : `<circle cx="${cx}" cy="${cy}" r="6" class="point ${kind}"/>`;
    parts.push(
      `<g class="point-group" data-model="${escapeHtml(point.id)}">${shape}<title>${escapeHtml(`${point.id}: ${tickLabel(point.y)} at ${tickLabel(point.x)}`)}</title>`,
      `<text x="${(Number(cx) + 9).toFixed(1)}" y="${(Number(cy) - 8).toFixed(1)}" class="point-label">${escapeHtml(point.id)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface BarGroup {
  label: string;
  bars: Array<{ id: string; value: number }>;
}

/** Grouped horizontal bars (per-domain scores), one colour per model in a fixed order. */
export function groupedBarsSvg(groups: readonly BarGroup[], ids: readonly string[], title: string): string {
  const barH = 14;
  const groupGap = 14;
  const labelW = 140;
  const chartW = 520;
  const plotW = chartW - labelW - 70;
  const max = Math.max(1e-12, ...groups.flatMap((group) => group.bars.map((bar) => bar.value)).filter(Number.isFinite));
  const heightTotal = 40 + groups.length * (ids.length * barH + groupGap) + ids.length * 18;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 ${chartW} ${heightTotal}" width="${chartW}" height="${heightTotal}" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<text x="${chartW / 2}" y="18" text-anchor="middle" class="chart-title">${escapeHtml(title)}</text>`,
  ];
  let y = 32;
  for (const group of groups) {
    parts.push(`<text x="${labelW - 8}" y="${y + (ids.length * barH) / 2 + 4}" text-anchor="end" class="tick-label">${escapeHtml(group.label)}</text>`);
    ids.forEach((id, index) => {
      const bar = group.bars.find((entry) => entry.id === id);
      const value = bar && Number.isFinite(bar.value) ? bar.value : undefined;
      const w = value === undefined ? 0 : Math.max(1, (value / max) * plotW);
      parts.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" class="bar series-${index % 8}" data-model="${escapeHtml(id)}"><title>${escapeHtml(`${id}: ${value === undefined ? 'no score' : tickLabel(value)}`)}</title></rect>`,
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 4}" class="bar-label">${value === undefined ? '—' : tickLabel(value)}</text>`,
      );
      y += barH;
    });
    y += groupGap;
  }
  ids.forEach((id, index) => {
    parts.push(`<rect x="${labelW}" y="${y}" width="12" height="12" class="bar series-${index % 8}"/><text x="${labelW + 18}" y="${y + 10}" class="tick-label">${escapeHtml(id)}</text>`);
    y += 18;
  });
  parts.push('</svg>');
  return parts.join('');
}
