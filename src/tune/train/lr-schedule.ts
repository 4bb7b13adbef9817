/**
 * Linear warm-up to the peak learning rate, then cosine decay to `minRatio` of it: the schedule
 * most LoRA recipes use. `step` counts optimizer updates from 0.
 */
export function learningRateAt(step: number, totalSteps: number, peak: number, warmupSteps: number, minRatio = 0): number {
  if (warmupSteps > 0 && step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return peak * (minRatio + (1 - minRatio) * cosine);
}
