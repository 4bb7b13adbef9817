import { UnbundleError } from '../../errors.ts';
import { crossEntropy } from '../model/cross-entropy.ts';
import { llamaBackward } from '../model/llama-backward.ts';
import { llamaForward } from '../model/llama-forward.ts';
import type { LlamaModel } from '../model/llama-weights.ts';
import { createLoraAdapter, loraFactors, type LoraAdapter } from '../model/lora.ts';
import { adamWStep, clipGradientNorm, createAdamWState, type AdamWState, type Parameter } from './adamw.ts';
import { learningRateAt } from './lr-schedule.ts';
import { deriveSeed, seededRandom, shuffleInPlace } from './seeded-random.ts';
import { scoredTokens, type TrainingExample, type TrainSettings } from './train-settings.ts';

export interface TrainProgress {
  kind: 'step' | 'epoch';
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  /** Mean loss per scored token of this step (or, for 'epoch', of the epoch). */
  loss: number;
  validationLoss?: number;
  learningRate: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  etaSeconds: number;
}

/** Where a run stands; what a checkpoint stores and a resume restores. */
export interface TrainState {
  adapter: LoraAdapter;
  optimizer: AdamWState;
  /** Optimizer steps completed. */
  step: number;
}

export interface TrainHooks {
  onProgress?: (progress: TrainProgress) => void;
  /** Called after each epoch and when the run stops early, e.g. to write a checkpoint. */
  onCheckpoint?: (state: TrainState) => void | Promise<void>;
  signal?: AbortSignal;
  /** Stop (after saving) once this many optimizer steps are done in total. */
  maxSteps?: number;
  /** Stop (after saving) after this many seconds of this process's training. */
  maxSeconds?: number;
  resume?: TrainState;
}

export interface TrainResult {
  state: TrainState;
  totalSteps: number;
  completed: boolean;
  stoppedBecause?: 'max-steps' | 'time-limit' | 'aborted';
  /** Mean training loss per epoch finished in this process. */
  epochLosses: number[];
  /** Validation loss after each epoch finished in this process (empty without validation data). */
  validationLosses: number[];
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
}

export function stepsPerEpoch(exampleCount: number, settings: TrainSettings): number {
  return Math.ceil(exampleCount / (settings.batchSize * settings.gradAccum));
}

/** Mean loss per scored token over `examples`, without dropout (the validation metric). */
export function meanLoss(model: LlamaModel, adapter: LoraAdapter | undefined, examples: readonly TrainingExample[]): number {
  let total = 0;
  let count = 0;
  for (const example of examples) {
    const { logits } = llamaForward(model, example.tokens, { adapter });
    total += crossEntropy(logits, example.tokens.length, model.config.vocab, example.targets, 1, undefined);
    count += scoredTokens(example);
  }
  return count === 0 ? Number.NaN : total / count;
}

function parametersOf(adapter: LoraAdapter): Parameter[] {
  const parameters: Parameter[] = [];
  for (const { factor } of loraFactors(adapter)) {
    factor.gradA ??= new Float32Array(factor.a.length);
    factor.gradB ??= new Float32Array(factor.b.length);
    parameters.push({ data: factor.a, grad: factor.gradA }, { data: factor.b, grad: factor.gradB });
  }
  return parameters;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Trains a LoRA adapter on `train`, reporting validation loss on `validation` after each epoch. */
export async function trainLora(model: LlamaModel, train: readonly TrainingExample[], validation: readonly TrainingExample[], settings: TrainSettings, hooks: TrainHooks = {}): Promise<TrainResult> {
  if (train.length === 0) throw new UnbundleError('UNBUNDLE_E_DATA', 'There are no training examples left after tokenising; check the data file.');
  const state: TrainState = hooks.resume ?? (() => {
    const adapter = createLoraAdapter(model.config, settings.targets, settings.rank, settings.alpha, seededRandom(deriveSeed(settings.seed, 0)));
    return { adapter, optimizer: createAdamWState(parametersOf(adapter)), step: 0 };
  })();
  const parameters = parametersOf(state.adapter);
  const perEpoch = stepsPerEpoch(train.length, settings);
  const totalSteps = perEpoch * settings.epochs;
  const warmup = Math.round(settings.warmupRatio * totalSteps);
  const group = settings.batchSize * settings.gradAccum;
  const result: TrainResult = { state, totalSteps, completed: false, epochLosses: [], validationLosses: [], tokens: 0, seconds: 0, tokensPerSecond: 0 };
  const started = performance.now();
  const startStep = state.step;
  let computeMs = 0;
  let epochLoss = 0;
  let epochTokens = 0;
  let order: number[] = [];
  let orderEpoch = -1;

  while (state.step < totalSteps) {
    const elapsed = (performance.now() - started) / 1000;
    if (hooks.signal?.aborted) result.stoppedBecause = 'aborted';
    else if (hooks.maxSteps !== undefined && state.step >= hooks.maxSteps) result.stoppedBecause = 'max-steps';
    else if (hooks.maxSeconds !== undefined && elapsed >= hooks.maxSeconds) result.stoppedBecause = 'time-limit';
    if (result.stoppedBecause) break;

    const epoch = Math.floor(state.step / perEpoch);
    if (epoch !== orderEpoch) {
      order = shuffleInPlace(Array.from({ length: train.length }, (_, i) => i), seededRandom(deriveSeed(settings.seed, 1, epoch)));
      orderEpoch = epoch;
    }
    const within = state.step % perEpoch;
    const batch = order.slice(within * group, (within + 1) * group).map((i) => train[i]!);
    const scored = batch.reduce((n, example) => n + scoredTokens(example), 0);
    const t0 = performance.now();
    for (const { grad } of parameters) grad.fill(0);
    const dropout = settings.dropout > 0 ? { p: settings.dropout, random: seededRandom(deriveSeed(settings.seed, 2, state.step)) } : undefined;
    let stepLoss = 0;
    let stepTokens = 0;
    for (const example of batch) {
      const options = { adapter: state.adapter, dropout };
      const { logits, trace } = llamaForward(model, example.tokens, options);
      const dLogits = new Float32Array(logits.length);
      stepLoss += crossEntropy(logits, example.tokens.length, model.config.vocab, example.targets, scored > 0 ? 1 / scored : 0, dLogits);
      llamaBackward(model, trace, dLogits, options);
      stepTokens += example.tokens.length;
    }
    clipGradientNorm(parameters, settings.maxGradNorm);
    const learningRate = learningRateAt(state.step, totalSteps, settings.learningRate, warmup);
    adamWStep(parameters, state.optimizer, learningRate, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: settings.weightDecay });
    state.step += 1;
    computeMs += performance.now() - t0;
    result.tokens += stepTokens;
    epochLoss += stepLoss * scored;
    epochTokens += scored;

    const tokensPerSecond = result.tokens / (computeMs / 1000);
    const done = state.step - startStep;
    const progress = (kind: TrainProgress['kind'], loss: number, validationLoss?: number): TrainProgress => ({
      kind, step: state.step, totalSteps, epoch: epoch + 1, epochs: settings.epochs, loss, learningRate, tokensPerSecond,
      elapsedSeconds: (performance.now() - started) / 1000,
      etaSeconds: ((performance.now() - started) / 1000 / done) * (totalSteps - state.step),
      ...(validationLoss !== undefined ? { validationLoss } : {}),
    });
    hooks.onProgress?.(progress('step', stepLoss));
    if (state.step % perEpoch === 0 || state.step === totalSteps) {
      const trainLoss = epochTokens > 0 ? epochLoss / epochTokens : Number.NaN;
      result.epochLosses.push(trainLoss);
      epochLoss = 0;
      epochTokens = 0;
      let validationLoss: number | undefined;
      if (validation.length > 0) {
        validationLoss = meanLoss(model, state.adapter, validation);
        result.validationLosses.push(validationLoss);
      }
      hooks.onProgress?.(progress('epoch', trainLoss, validationLoss));
      await hooks.onCheckpoint?.(state);
    }
    await yieldToEventLoop();
  }
  result.completed = state.step >= totalSteps;
  if (!result.completed) await hooks.onCheckpoint?.(state);
  result.seconds = (performance.now() - started) / 1000;
  result.tokensPerSecond = computeMs > 0 ? result.tokens / (computeMs / 1000) : 0;
  return result;
}
