import type { TrainProgress } from './trainer.ts';

/** "1m05s", "42s", "1h02m": ETA and elapsed times a person reads at a glance. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One progress line: a bar, step, epoch, loss, learning rate, tokens/s and ETA. */
export function formatProgress(p: TrainProgress): string {
  if (p.kind === 'epoch') {
    const validation = p.validationLoss !== undefined ? ` | validation loss ${p.validationLoss.toFixed(4)} (ppl ${Math.exp(p.validationLoss).toFixed(2)})` : '';
    return `epoch ${p.epoch}/${p.epochs} done | train loss ${p.loss.toFixed(4)}${validation} | ${formatDuration(p.elapsedSeconds)} elapsed`;
  }
  const width = 20;
  const filled = Math.round((width * p.step) / p.totalSteps);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const percent = Math.floor((100 * p.step) / p.totalSteps);
  return `${bar} ${String(percent).padStart(3)}% step ${p.step}/${p.totalSteps} | epoch ${p.epoch}/${p.epochs} | loss ${p.loss.toFixed(4)} | lr ${p.learningRate.toExponential(2)} | ${Math.round(p.tokensPerSecond)} tok/s | ETA ${formatDuration(p.etaSeconds)}`;
}

/**
 * Writes progress to a stream: redrawn in place on a terminal (at most 5 times a second), and
 * as a plain line every `intervalSeconds` elsewhere (logs, CI), so output stays readable.
 */
export function progressPrinter(stream: NodeJS.WritableStream, intervalSeconds = 5): (p: TrainProgress) => void {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  let last = -Infinity;
  let open = false;
  return (p) => {
    const now = performance.now() / 1000;
    if (p.kind === 'epoch') {
      stream.write(`${open ? '\n' : ''}${formatProgress(p)}\n`);
      open = false;
      return;
    }
    const final = p.step === p.totalSteps;
    if (!final && now - last < (tty ? 0.2 : intervalSeconds)) return;
    last = now;
    if (tty) {
      stream.write(`\r${formatProgress(p)}\u001b[K`);
      open = true;
    } else {
      stream.write(`${formatProgress(p)}\n`);
    }
  };
}
