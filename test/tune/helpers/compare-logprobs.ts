import { logSoftmaxAt } from '../../../src/tune/model/cross-entropy.ts';

/**
 * The largest |log p_ours − log p_llama.cpp| over every position and every token llama.cpp
 * gives a probability above 1e-6 (below that, its float32 softmax output has few digits left).
 */
export function worstLogprobGap(logits: Float32Array, reference: readonly Float64Array[], vocab: number): number {
  let worst = 0;
  reference.forEach((row, t) => {
    for (let v = 0; v < vocab; v++) {
      if (row[v]! < Math.log(1e-6)) continue;
      worst = Math.max(worst, Math.abs(row[v]! - logSoftmaxAt(logits, t, vocab, v)));
    }
  });
  return worst;
}
