/**
 * Temperature scaling (Guo et al., 2017): one scalar T that divides every logit, chosen to
 * minimise the negative log-likelihood of held-out examples. It changes confidences, never the
 * ranking, so accuracy is untouched while "0.9 confident" comes to mean right about 9 times in 10.
 */
export function fitTemperature(logits: readonly Float64Array[], labels: readonly number[]): number {
  if (logits.length === 0) return 1;
  // NLL is unimodal in log T; golden-section search over T in [0.05, 20].
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = negativeLogLikelihood(logits, labels, Math.exp(a));
  let fb = negativeLogLikelihood(logits, labels, Math.exp(b));
  for (let step = 0; step < 60; step++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = negativeLogLikelihood(logits, labels, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = negativeLogLikelihood(logits, labels, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/** Mean negative log-likelihood of the labels under softmax(logits / temperature). */
export function negativeLogLikelihood(logits: readonly Float64Array[], labels: readonly number[], temperature: number): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const row = logits[i]!;
    let max = -Infinity;
    for (const value of row) max = Math.max(max, value / temperature);
    let sum = 0;
    for (const value of row) sum += Math.exp(value / temperature - max);
    total += Math.log(sum) + max - row[labels[i]!]! / temperature;
  }
  return total / logits.length;
}
