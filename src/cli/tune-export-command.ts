import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { describeProblems } from '../tune/data/dataset-records.ts';
import { exportDataset, type ExportFormat } from '../tune/data/export-dataset.ts';
import { readDataSource } from '../tune/data/read-data-source.ts';
import { intFlag, parseCommandArgs, type Command } from './command.ts';

export const tuneExportCommand: Command = {
  name: 'tune export',
  summary: 'Write a dataset (and starter config) for GPU trainers: OpenAI JSONL or Axolotl',
  usage: `Usage: unbundle tune export --data FILE --format openai-jsonl|axolotl --out DIR [options]

Converts a dataset (any shape "unbundle tune data" reads) for training elsewhere:
  openai-jsonl   DIR/train.openai.jsonl in OpenAI's chat fine-tuning format ({"messages": [...]})
  axolotl        DIR/train.jsonl and DIR/axolotl.yaml, a LoRA starter config
Bring the trained adapter back with "unbundle tune import".

Options:
  --base-model ID    Hugging Face id of the base model (axolotl config)
  --rank N           LoRA rank (default 16)      --alpha N   LoRA alpha (default 2 × rank)
  --seq-len N        sequence length (default 2048)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('tune export', argv, {
      data: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, 'base-model': { type: 'string' },
      rank: { type: 'string' }, alpha: { type: 'string' }, 'seq-len': { type: 'string' },
    });
    for (const required of ['data', 'format', 'out'] as const) {
      if (!values[required]) throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle tune export: --${required} is required. Run "unbundle tune export --help" for usage.`);
    }
    if (values.format !== 'openai-jsonl' && values.format !== 'axolotl') {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle tune export: --format must be openai-jsonl or axolotl, got "${values.format}".`);
    }
    const dataFile = path.resolve(io.cwd, values.data!);
    const read = readDataSource(dataFile);
    if (read.problems.length > 0) throw new UnbundleError('UNBUNDLE_E_DATA', `${describeProblems(values.data!, read.problems)}\nRun "unbundle tune data prepare" first.`);
    const rank = intFlag('tune export', 'rank', values.rank, 1, 1024);
    const alpha = intFlag('tune export', 'alpha', values.alpha, 1, 4096);
    const sequenceLength = intFlag('tune export', 'seq-len', values['seq-len'], 16, 1_048_576);
    const result = exportDataset(read.records, {
      format: values.format as ExportFormat,
      outDir: path.resolve(io.cwd, values.out!),
      ...(values['base-model'] ? { baseModel: values['base-model'] } : {}),
      ...(rank !== undefined ? { rank } : {}),
      ...(alpha !== undefined ? { alpha } : {}),
      ...(sequenceLength !== undefined ? { sequenceLength } : {}),
    });
    io.stdout.write(`exported ${result.examples} examples: ${result.files.join(', ')}\n`);
    return 0;
  },
};
