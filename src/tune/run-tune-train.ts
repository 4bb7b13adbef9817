import { existsSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { writeGgufAdapter } from './adapter/gguf-adapter.ts';
import { writePeftAdapter } from './adapter/peft-export.ts';
import { buildExamples } from './data/build-examples.ts';
import { loadDataset, type DatasetRecord } from './data/dataset-records.ts';
import { openTuneTokenizer } from './data/tune-tokenizer.ts';
import { loadLlamaModel } from './model/llama-weights.ts';
import { fingerprintExamples, readCheckpoint, writeCheckpoint, type CheckpointIdentity } from './train/checkpoint.ts';
import { deriveSeed, seededRandom, shuffleInPlace } from './train/seeded-random.ts';
import { trainLora, type TrainProgress, type TrainResult } from './train/trainer.ts';
import type { TrainSettings } from './train/train-settings.ts';

/** Everything `unbundle tune train` does, as a function (the bench and tests call it too). */
export interface TuneTrainOptions {
  base: string;
  data: string;
  out: string;
  settings: TrainSettings;
  /** Validation data file; otherwise `validationSplit` of the data is held out. */
  validationData?: string;
  validationSplit: number;
  /** Longest training window in tokens; longer examples are split. */
  maxLength: number;
  /** Checkpoint file (default: `<out>.checkpoint.gguf`). */
  checkpoint?: string;
  resume?: string;
  maxSteps?: number;
  maxSeconds?: number;
  /** Also write the adapter as a Hugging Face PEFT folder here. */
  peftDir?: string;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface TuneTrainReport {
  adapterFile: string;
  adapterBytes: number;
  checkpointFile: string;
  peftFiles?: { safetensors: string; config: string };
  trainExamples: number;
  validationExamples: number;
  /** Tokens in one pass over the training examples. */
  tokensPerEpoch: number;
  result: TrainResult;
}

/** Holds out a seeded random `fraction` of the records (at most 1,000) for validation. */
export function splitRecords(records: readonly DatasetRecord[], fraction: number, seed: number): [DatasetRecord[], DatasetRecord[]] {
  if (fraction <= 0 || records.length < 2) return [[...records], []];
  const count = Math.min(1000, records.length - 1, Math.max(1, Math.round(records.length * fraction)));
  const order = shuffleInPlace([...records.keys()], seededRandom(deriveSeed(seed, 3)));
  const held = new Set(order.slice(0, count));
  return [records.filter((_, i) => !held.has(i)), records.filter((_, i) => held.has(i))];
}

export async function runTuneTrain(options: TuneTrainOptions): Promise<TuneTrainReport> {
  const model = loadLlamaModel(options.base);
  if (options.maxLength > model.config.contextLength) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `--max-length ${options.maxLength} exceeds the model's context of ${model.config.contextLength} tokens.`);
  }
  const outDir = path.dirname(path.resolve(options.out));
  if (!existsSync(outDir)) throw new UnbundleError('UNBUNDLE_E_USAGE', `The folder for --out does not exist: ${outDir}.`);
  const records = loadDataset(options.data);
  const [trainRecords, heldOut] = options.validationData ? [records, loadDataset(options.validationData)] : splitRecords(records, options.validationSplit, options.settings.seed);
  const tokenizer = await openTuneTokenizer(options.base);
  let train;
  let validation;
  try {
    train = buildExamples(trainRecords, tokenizer, options.maxLength, model.config.vocab);
    validation = buildExamples(heldOut, tokenizer, options.maxLength, model.config.vocab);
  } finally {
    await tokenizer.close();
  }
  const identity: CheckpointIdentity = {
    settings: options.settings,
    base: `${path.basename(options.base)}:${model.config.layers}x${model.config.embd}:${model.config.vocab}`,
    data: fingerprintExamples(train, validation),
  };
  const checkpointFile = options.checkpoint ?? `${options.out}.checkpoint.gguf`;
  const resume = options.resume ? readCheckpoint(options.resume, identity) : undefined;
  const result = await trainLora(model, train, validation, options.settings, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
    ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
    ...(resume ? { resume } : {}),
    onCheckpoint: (state) => writeCheckpoint(checkpointFile, state, identity),
  });
  const report: TuneTrainReport = {
    adapterFile: options.out,
    adapterBytes: 0,
    checkpointFile,
    trainExamples: train.length,
    validationExamples: validation.length,
    tokensPerEpoch: train.reduce((n, e) => n + e.tokens.length, 0),
    result,
  };
  // Written even when a limit stopped the run early: the adapter as trained so far is usable,
  // and the checkpoint lets a later run finish the schedule.
  {
    const name = `${path.basename(options.base, '.gguf')} LoRA (${options.settings.targets.join(',')}, rank ${options.settings.rank})`;
    report.adapterBytes = writeGgufAdapter(options.out, result.state.adapter, { name, baseModelName: path.basename(options.base, '.gguf') });
    if (options.peftDir) report.peftFiles = writePeftAdapter(options.peftDir, result.state.adapter, model.config, { baseModel: path.basename(options.base, '.gguf'), dropout: options.settings.dropout });
  }
  return report;
}
