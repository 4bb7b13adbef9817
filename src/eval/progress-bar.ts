/**
 * Progress with an ETA on stderr. On a terminal: one line redrawn in place, at most every 100 ms.
 * Elsewhere (CI logs, pipes): a plain line at every 10% and at the end, so logs stay readable.
 */

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Ends the bar's line (a terminal needs a newline after the last redraw). */
  finish(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export function createProgressBar(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, label: string, now: () => number = () => performance.now()): ProgressBar {
  const tty = stream.isTTY === true;
  let started: number | undefined;
  let startDone = 0;
  let lastDraw = 0;
  let lastDecile = -1;
  let drawn = false;
  let last = { done: 0, total: 0 };

  function text(done: number, total: number): string {
    const elapsed = (now() - (started ?? now())) / 1000;
    const fresh = done - startDone;
    // The ETA counts only this session's pace: items reused from a journal cost nothing.
    const eta = fresh > 0 ? formatDuration(((total - done) * elapsed) / fresh) : '?';
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    return `${label} ${done}/${total} ${percent}% elapsed ${formatDuration(elapsed)} ETA ${done >= total ? '0:00' : eta}`;
  }

  return {
    update(done, total) {
      if (started === undefined) {
        started = now();
        startDone = done;
      }
      last = { done, total };
      const t = now();
      if (tty) {
        if (done < total && t - lastDraw < 100 && drawn) return;
        lastDraw = t;
        const width = 24;
        const filled = total === 0 ? width : Math.round((done / total) * width);
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text(done, total)}\u001b[K`);
        drawn = true;
        return;
      }
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${text(done, total)}\n`);
    },
    finish() {
      if (tty && drawn) {
        if (last.done < last.total) stream.write(`\r${text(last.done, last.total)}\u001b[K`);
        stream.write('\n');
      }
    },
  };
}
