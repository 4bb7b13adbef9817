import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../../errors.ts';
import type { ChatMessage } from '../../backends/types.ts';
import type { DatasetRecord } from './dataset-records.ts';

/**
 * Hands a dataset to GPU trainers: OpenAI's chat fine-tuning JSONL (also read by TRL's SFTTrainer
 * and most hosted fine-tuning APIs), or an Axolotl starter (dataset + config). The adapter they
 * produce comes back with `unbundle tune import`.
 */
export type ExportFormat = 'openai-jsonl' | 'axolotl';

export interface ExportOptions {
  format: ExportFormat;
  outDir: string;
  /** Hugging Face id of the base model, for the Axolotl config. */
  baseModel?: string;
  rank?: number;
  alpha?: number;
  sequenceLength?: number;
}

function asMessages(record: DatasetRecord): ChatMessage[] | undefined {
  if (record.kind === 'chat') return record.messages;
  if (record.kind === 'completion') return [{ role: 'user', content: record.prompt }, { role: 'assistant', content: record.completion }];
  return undefined;
}

export function exportDataset(records: readonly DatasetRecord[], options: ExportOptions): { files: string[]; examples: number } {
  mkdirSync(options.outDir, { recursive: true });
  if (options.format === 'openai-jsonl') {
    const text = records.find((r) => r.kind === 'text');
    if (text) {
      throw new UnbundleError('UNBUNDLE_E_DATA', `line ${text.line}: plain-text examples have no user/assistant turns, and OpenAI's chat fine-tuning format needs them. Export text corpora with --format axolotl (completion training), or convert them to prompt/completion pairs.`);
    }
    const file = path.join(options.outDir, 'train.openai.jsonl');
    writeFileSync(file, records.map((r) => `${JSON.stringify({ messages: asMessages(r)!.map((m) => ({ role: m.role, content: m.content })) })}\n`).join(''));
    return { files: [file], examples: records.length };
  }
  const allText = records.every((r) => r.kind === 'text');
  if (!allText && records.some((r) => r.kind === 'text')) {
    throw new UnbundleError('UNBUNDLE_E_DATA', 'the data mixes plain text with conversations; Axolotl takes one dataset type per file. Export them separately.');
  }
  const dataFile = path.join(options.outDir, 'train.jsonl');
  writeFileSync(dataFile, records.map((r) => `${JSON.stringify(r.kind === 'text' ? { text: r.text } : { messages: asMessages(r)!.map((m) => ({ role: m.role, content: m.content })) })}\n`).join(''));
  const rank = options.rank ?? 16;
  const config = [
    '# Axolotl starter config written by `unbundle tune export` — review before training.',
    '# Train on a GPU, then bring the adapter home:',
    '#   unbundle tune import OUTPUT/adapter_model.safetensors --base BASE.gguf --out adapter.gguf',
    `base_model: ${options.baseModel ?? 'meta-llama/Llama-3.2-1B-Instruct  # set your base model'}`,
    'load_in_8bit: false',
    'load_in_4bit: false',
    'adapter: lora',
    `lora_r: ${rank}`,
    `lora_alpha: ${options.alpha ?? rank * 2}`,
    'lora_dropout: 0.05',
    'lora_target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]',
    'datasets:',
    `  - path: ${path.basename(dataFile)}`,
    '    ds_type: json',
    allText ? '    type: completion' : '    type: chat_template\n    field_messages: messages\n    roles_to_train: [assistant]',
    `sequence_len: ${options.sequenceLength ?? 2048}`,
    'sample_packing: false',
    'micro_batch_size: 2',
    'gradient_accumulation_steps: 4',
    'num_epochs: 2',
    'learning_rate: 0.0002',
    'lr_scheduler: cosine',
    'warmup_ratio: 0.05',
    'optimizer: adamw_torch',
    'bf16: auto',
    'val_set_size: 0.05',
    'output_dir: ./lora-out',
    'save_safetensors: true',
    '',
  ].join('\n');
  const configFile = path.join(options.outDir, 'axolotl.yaml');
  writeFileSync(configFile, config);
  return { files: [dataFile, configFile], examples: records.length };
}
