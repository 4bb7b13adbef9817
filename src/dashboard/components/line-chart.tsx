import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Draw points only (a scatter), no line. */
  pointsOnly?: boolean;
  dash?: number[];
  /** Join the points across null gaps (e.g. a front drawn through some of the points). */
  spanGaps?: boolean;
}

export interface ChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** [x values (ascending), ...one array per series]; null leaves a gap. */
  data: Array<Array<number | null>>;
  time?: boolean;
  height?: number;
  formatY?: (value: number) => string;
  formatX?: (value: number) => string;
  testId?: string;
  /** Fix the x axis to start here (e.g. the start of the selected time range) instead of the first point. */
  xMin?: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Canvas cannot read CSS variables: resolve `var(--x)` to the theme's colour. */
function color(value: string): string {
  return value.startsWith('var(') ? cssVar(value.slice(4, -1)) : value;
}

function xRange(start: number | undefined, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (start === undefined) return [min, max];
  const hi = max ?? start + 1;
  return [Math.min(start, min ?? start), Math.max(hi, start + 1)];
}

/** A uPlot chart with labelled axes (units in the labels) that follows its container's width. */
export function LineChart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const xMin = useRef(props.xMin);
  xMin.current = props.xMin;
  const shape = `${props.series.map((s) => s.label).join('|')}:${props.xLabel}:${props.yLabel}:${props.time ? 1 : 0}`;

  useEffect(() => {
    const target = box.current!;
    const axis = cssVar('--muted');
    const grid = cssVar('--grid');
    const opts: uPlot.Options = {
      width: Math.max(240, target.clientWidth),
      height: props.height ?? 220,
      scales: { x: { time: props.time ?? false, range: (_u, min, max) => xRange(xMin.current, min, max) } },
      legend: { live: true },
      cursor: { points: { size: 6 } },
      axes: [
        { label: props.xLabel, stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, ...(props.formatX ? { values: (_u: uPlot, values: number[]) => values.map((v) => props.formatX!(v)) } : {}) },
        { label: props.yLabel, stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: 70, ...(props.formatY ? { values: (_u: uPlot, values: number[]) => values.map((v) => props.formatY!(v)) } : {}) },
      ],
      series: [
        { label: props.xLabel, ...(props.formatX ? { value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.formatX!(v)) } : {}) },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: color(s.color),
          width: 2,
          spanGaps: s.spanGaps ?? false,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.pointsOnly ? { paths: () => null, points: { show: true, size: 9, fill: color(s.color) } } : { points: { show: false } }),
          ...(props.formatY ? { value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.formatY!(v)) } : {}),
        })),
      ],
    };
    plot.current = new uPlot(opts, props.data as uPlot.AlignedData, target);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, target.clientWidth), height: props.height ?? 220 }));
    observer.observe(target);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its shape changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  return (
    <figure class="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}: ${props.yLabel} against ${props.xLabel}`} />
    </figure>
  );
}
