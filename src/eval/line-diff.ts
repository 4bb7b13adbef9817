/**
 * A unified diff of two small texts (config files), for dry runs: longest common subsequence over
 * lines, hunks with `context` lines around each change. Quadratic, which is fine at config size.
 */
export function lineDiff(before: string, after: string, names: { from: string; to: string }, context = 2): string {
  if (before === after) return '';
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  type Op = { kind: ' ' | '-' | '+'; text: string; aLine: number; bLine: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', text: a[i++]!, aLine: i, bLine: ++j });
    else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) ops.push({ kind: '+', text: b[j++]!, aLine: i, bLine: j });
    else ops.push({ kind: '-', text: a[i++]!, aLine: i, bLine: j });
  }
  const out = [`--- ${names.from}`, `+++ ${names.to}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while the next change is within 2 × context unchanged lines.
    for (;;) {
      while (end < ops.length && ops[end]!.kind !== ' ') end++;
      let gap = end;
      while (gap < ops.length && ops[gap]!.kind === ' ' && gap - end < context * 2) gap++;
      if (gap < ops.length && ops[gap]!.kind !== ' ') end = gap;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    const aStart = hunk[0]!.kind === '+' ? hunk[0]!.aLine + 1 : hunk[0]!.aLine;
    const bStart = hunk[0]!.kind === '-' ? hunk[0]!.bLine + 1 : hunk[0]!.bLine;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`, ...hunk.map((op) => `${op.kind}${op.text}`));
    k = stop;
  }
  return `${out.join('\n')}\n`;
}
