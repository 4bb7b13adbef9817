/**
 * Softmax cross-entropy over rows of logits. `targets[t]` < 0 marks a row that is not scored (a
 * prompt token in chat data). Each scored row's loss is multiplied by `weight`, so a caller can
 * average over every scored token of an accumulated batch.
 */
export function crossEntropy(logits: Float32Array, rows: number, vocab: number, targets: Int32Array, weight: number, dLogits: Float32Array | undefined): number {
  let loss = 0;
  for (let t = 0; t < rows; t++) {
    const o = t * vocab;
    const target = targets[t]!;
    if (target < 0) {
      if (dLogits) dLogits.fill(0, o, o + vocab);
      continue;
    }
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (logits[o + i]! > max) max = logits[o + i]!;
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(logits[o + i]! - max);
    const logSum = Math.log(sum) + max;
    loss += weight * (logSum - logits[o + target]!);
    if (dLogits) {
      for (let i = 0; i < vocab; i++) dLogits[o + i] = weight * Math.exp(logits[o + i]! - logSum);
      dLogits[o + target] -= weight;
    }
  }
  return loss;
}

/** log p(next token) for each row: the numbers perplexity is made of. */
export function logSoftmaxAt(logits: Float32Array, row: number, vocab: number, token: number): number {
  const o = row * vocab;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (logits[o + i]! > max) max = logits[o + i]!;
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(logits[o + i]! - max);
  return logits[o + token]! - max - Math.log(sum);
}
