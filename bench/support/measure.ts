import autocannon from 'autocannon';
import { Pool } from 'undici';

export interface Target {
  name: string;
  origin: string;
  path: string;
  headers: Record<string, string>;
}

export interface Throughput {
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
  total: number;
}

/** Closed-loop load from this process with `connections` keep-alive connections for `seconds`. */
export async function throughput(target: Target, body: string, connections: number, seconds: number): Promise<Throughput> {
  const result = await autocannon({
    url: `${target.origin}${target.path}`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
  });
  return { requestsPerSecond: result.requests.average, errors: result.errors + result.timeouts, non2xx: result.non2xx, total: result.requests.total };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Sequential requests over one keep-alive connection, timed with hrtime: full response time and
 * time to the first body byte (for streams). Returns sorted milliseconds.
 */
export async function sequentialLatency(target: Target, body: string, count: number): Promise<{ total: number[]; firstByte: number[] }> {
  const pool = new Pool(target.origin, { connections: 1 });
  const total: number[] = [];
  const firstByte: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      const response = await pool.request({ method: 'POST', path: target.path, headers: { 'content-type': 'application/json', ...target.headers }, body });
      let first: bigint | undefined;
      for await (const _chunk of response.body) first ??= process.hrtime.bigint();
      const t1 = process.hrtime.bigint();
      if (response.statusCode !== 200) throw new Error(`${target.name} answered ${response.statusCode}`);
      total.push(Number(t1 - t0) / 1e6);
      firstByte.push(Number((first ?? t1) - t0) / 1e6);
    }
  } finally {
    await pool.close();
  }
  return { total: total.sort((a, b) => a - b), firstByte: firstByte.sort((a, b) => a - b) };
}

export function formatRow(cells: Array<string | number>, widths: number[]): string {
  return cells.map((cell, i) => String(cell).padEnd(widths[i] ?? 12)).join('  ');
}
