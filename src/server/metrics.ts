/**
 * A tiny Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format. Written for the hot path: an observation is a Map lookup and a few adds.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  let key = '';
  for (const name in labels) key += `${name}="${escapeLabel(labels[name]!)}",`;
  return key.length > 0 ? key.slice(0, -1) : key;
}

const labelSpecial = /[\\\n"]/;

/** Label values almost never hold these; test once rather than run three replaces per label. */
function escapeLabel(value: string): string {
  if (!labelSpecial.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  /** Labels of each series, kept once when the series first appears (read by the dashboard). */
  private readonly labelsOf = new Map<string, Labels>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    this.add(labelKey(labels), labels, by);
  }

  /** One series, its key built once: for a hot path that keeps the handle (see Gateway.finish). */
  handle(labels: Labels): (by?: number) => void {
    const key = labelKey(labels);
    return (by = 1) => this.add(key, labels, by);
  }

  private add(key: string, labels: Labels, by: number): void {
    const value = this.values.get(key);
    if (value === undefined) this.labelsOf.set(key, labels);
    this.values.set(key, (value ?? 0) + by);
  }

  /** Every series with its labels and current value (off the hot path: dashboards, reports). */
  series(): Array<{ labels: Labels; value: number }> {
    const out: Array<{ labels: Labels; value: number }> = [];
    for (const [key, value] of this.values) out.push({ labels: this.labelsOf.get(key)!, value });
    return out;
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [key, value] of this.values) out += `${this.name}${key ? `{${key}}` : ''} ${value}\n`;
    return out;
  }
}

/** A gauge whose values are read at scrape time, so nothing is updated on the hot path. */
export class CollectedGauge implements Metric {
  constructor(readonly name: string, readonly help: string, private readonly collect: () => Array<[Labels, number]>) {}

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    for (const [labels, value] of this.collect()) {
      const key = labelKey(labels);
      out += `${this.name}${key ? `{${key}}` : ''} ${value}\n`;
    }
    return out;
  }
}

export interface HistogramSeries {
  labels: Labels;
  /** Per-bucket (not cumulative) counts; observations above the last bucket are only in `count`. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  private readonly series = new Map<string, HistogramSeries>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    this.record(this.entry(labelKey(labels), labels), value);
  }

  /** One series, looked up once: for a hot path that keeps the handle (see Gateway.finish). */
  handle(labels: Labels): (value: number) => void {
    const key = labelKey(labels);
    return (value) => this.record(this.entry(key, labels), value);
  }

  private entry(key: string, labels: Labels): HistogramSeries {
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    return entry;
  }

  private record(entry: HistogramSeries, value: number): void {
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= this.buckets[i]!) {
        entry.counts[i]!++;
        break;
      }
    }
    entry.sum += value;
    entry.count++;
  }

  /** The live series (read-only by convention: copy what must outlive this call). */
  allSeries(): Iterable<HistogramSeries> {
    return this.series.values();
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [key, entry] of this.series) {
      const prefix = key ? `${key},` : '';
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += entry.counts[i]!;
        out += `${this.name}_bucket{${prefix}le="${this.buckets[i]}"} ${cumulative}\n`;
      }
      out += `${this.name}_bucket{${prefix}le="+Inf"} ${entry.count}\n`;
      out += `${this.name}_sum${key ? `{${key}}` : ''} ${entry.sum}\n`;
      out += `${this.name}_count${key ? `{${key}}` : ''} ${entry.count}\n`;
    }
    return out;
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  collectedGauge(name: string, help: string, collect: () => Array<[Labels, number]>): CollectedGauge {
    return this.add(new CollectedGauge(name, help, collect));
  }

  render(): string {
    return this.metrics.map((metric) => metric.render()).join('');
  }

  private add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
}
