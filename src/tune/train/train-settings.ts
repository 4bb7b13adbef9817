import type { ProjectionName } from '../model/projections.ts';

/** Everything that decides what a training run computes (and must match on resume). */
export interface TrainSettings {
  targets: ProjectionName[];
  rank: number;
  alpha: number;
  dropout: number;
  epochs: number;
  learningRate: number;
  /** Warm-up steps as a fraction of all optimizer steps. */
  warmupRatio: number;
  /** Sequences per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimizer step (effective batch = batchSize × gradAccum). */
  gradAccum: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
}

export const defaultTrainSettings: TrainSettings = {
  targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'],
  rank: 8,
  alpha: 16,
  dropout: 0.05,
  epochs: 1,
  learningRate: 1e-3,
  warmupRatio: 0.05,
  batchSize: 8,
  gradAccum: 1,
  weightDecay: 0,
  maxGradNorm: 1,
  seed: 1,
};

/** One training sequence: input tokens and, per position, the token to predict or -1. */
export interface TrainingExample {
  tokens: Int32Array;
  targets: Int32Array;
}

export function scoredTokens(example: TrainingExample): number {
  let n = 0;
  for (let i = 0; i < example.targets.length; i++) if (example.targets[i]! >= 0) n++;
  return n;
}
