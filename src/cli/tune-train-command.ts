import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import { numberFlag, parseTrainFlags } from '../tune/parse-train-flags.ts';
import { runTuneTrain } from '../tune/run-tune-train.ts';
import { AdapterRegistry } from '../tune/registry/adapter-registry.ts';
import { formatDuration, progressPrinter } from '../tune/train/progress-line.ts';
import { parseCommandArgs, type Command } from './command.ts';

export const tuneTrainCommand: Command = {
  name: 'tune train',
  summary: 'Fine-tune a LoRA adapter for a llama GGUF model on the CPU',
  usage: `Usage: unbundle tune train --base MODEL.gguf --data DATA --out ADAPTER.gguf [options]

Trains a LoRA adapter for a llama-architecture GGUF model (F32/F16/BF16 or quantised, which is
decoded on load) and writes a GGUF LoRA adapter that llama.cpp / node-llama-cpp load. Progress
(loss, tokens/s, ETA) goes to stderr; a summary goes to stdout.

Data (--data, --val): .jsonl with one example per line, each {"messages": [...]} (trains on the
assistant turns), {"prompt": "...", "completion": "..."} (trains on the completion) or
{"text": "..."}; any other extension is plain text with one example per line.

Options:
  --base FILE          the base model (.gguf, llama architecture)            (required)
  --data FILE          training data                                          (required)
  --out FILE           the adapter to write (.gguf)                          (required)
  --target LIST        projections to adapt: q,k,v,o,gate,up,down            (default all)
  --rank N             LoRA rank                                              (default 8)
  --alpha X            LoRA alpha; the update is scaled by alpha / rank       (default 16)
  --dropout P          dropout on the LoRA input                              (default 0.05)
  --epochs N           passes over the data                                   (default 1)
  --lr X               peak learning rate (AdamW)                             (default 0.001)
  --warmup R           warm-up steps as a fraction of all steps, then cosine  (default 0.05)
  --batch N            sequences per micro-batch                              (default 8)
  --grad-accum N       micro-batches per optimizer step                       (default 1)
  --weight-decay X     AdamW weight decay                                     (default 0)
  --max-grad-norm X    clip the gradient norm (0: off)                        (default 1)
  --max-length N       longest training window in tokens                      (default 256)
  --val FILE           validation data; otherwise --val-split of --data is held out
  --val-split R        fraction held out for validation loss each epoch       (default 0.05)
  --seed N             seed for initialisation, data order and dropout        (default 1)
  --checkpoint FILE    where to save progress each epoch       (default OUT.checkpoint.gguf)
  --resume FILE        continue from a checkpoint (same options and data)
  --max-steps N        stop after N optimizer steps in total (saves a checkpoint)
  --max-minutes M      stop after M minutes (saves a checkpoint)
  --peft DIR           also write a Hugging Face PEFT adapter folder
  --register NAME      add the adapter to the registry as NAME@<next version> ("tune list")
  --registry DIR       the registry folder (default $UNBUNDLE_DATA_DIR/adapters)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('tune train', argv, {
      base: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, val: { type: 'string' }, 'val-split': { type: 'string' },
      target: { type: 'string' }, rank: { type: 'string' }, alpha: { type: 'string' }, dropout: { type: 'string' }, epochs: { type: 'string' },
      lr: { type: 'string' }, warmup: { type: 'string' }, batch: { type: 'string' }, 'grad-accum': { type: 'string' }, 'weight-decay': { type: 'string' },
      'max-grad-norm': { type: 'string' }, 'max-length': { type: 'string' }, seed: { type: 'string' }, checkpoint: { type: 'string' }, resume: { type: 'string' },
      'max-steps': { type: 'string' }, 'max-minutes': { type: 'string' }, peft: { type: 'string' },
      register: { type: 'string' }, registry: { type: 'string' },
    });
    for (const required of ['base', 'data', 'out'] as const) {
      if (!values[required]) throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle tune train: --${required} is required. Run "unbundle tune train --help" for usage.`);
    }
    const file = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(io.cwd, p));
    const settings = parseTrainFlags(values);
    const maxMinutes = numberFlag('max-minutes', values['max-minutes'], 0.01, 1e6);
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    try {
      const report = await runTuneTrain({
        base: file(values.base)!,
        data: file(values.data)!,
        out: file(values.out)!,
        settings,
        ...(values.val ? { validationData: file(values.val)! } : {}),
        validationSplit: numberFlag('val-split', values['val-split'], 0, 0.5) ?? 0.05,
        maxLength: numberFlag('max-length', values['max-length'], 2, 1 << 20, true) ?? 256,
        ...(values.checkpoint ? { checkpoint: file(values.checkpoint)! } : {}),
        ...(values.resume ? { resume: file(values.resume)! } : {}),
        ...(values['max-steps'] ? { maxSteps: numberFlag('max-steps', values['max-steps'], 1, 1e9, true)! } : {}),
        ...(maxMinutes !== undefined ? { maxSeconds: maxMinutes * 60 } : {}),
        ...(values.peft ? { peftDir: file(values.peft)! } : {}),
        onProgress: progressPrinter(io.stderr),
        signal: controller.signal,
      });
      const { result } = report;
      const lines = [
        `adapter: ${report.adapterFile} (${report.adapterBytes} bytes)`,
        `examples: ${report.trainExamples} train, ${report.validationExamples} validation; ${report.tokensPerEpoch} tokens per epoch`,
        `steps: ${result.state.step}/${result.totalSteps}${result.completed ? '' : ` (stopped early: ${result.stoppedBecause}; resume with --resume ${report.checkpointFile})`}`,
        `train loss by epoch: ${result.epochLosses.map((l) => l.toFixed(4)).join(', ') || '-'}`,
        `validation loss by epoch: ${result.validationLosses.map((l) => l.toFixed(4)).join(', ') || '-'}`,
        `time: ${formatDuration(result.seconds)}; ${Math.round(result.tokensPerSecond)} tokens/s`,
      ];
      if (report.peftFiles) lines.push(`peft: ${report.peftFiles.safetensors}`);
      if (values.register && result.completed) {
        const registry = values.registry ? new AdapterRegistry(path.resolve(io.cwd, values.registry)) : AdapterRegistry.at(io.env, io.cwd);
        const meta = await registry.register({
          name: values.register,
          source: 'trained',
          adapterFile: report.adapterFile,
          baseFile: file(values.base)!,
          dataFile: file(values.data)!,
          dataset: { trainExamples: report.trainExamples, validationExamples: report.validationExamples },
          hyperparameters: { ...settings, maxLength: numberFlag('max-length', values['max-length'], 2, 1 << 20, true) ?? 256 },
          ...(result.validationLosses.length > 0 ? { validationLoss: result.validationLosses.at(-1)! } : {}),
        });
        lines.push(`registered: ${meta.name}@${meta.version} (${meta.file})`);
      } else if (values.register) lines.push(`not registered: the run stopped early (${result.stoppedBecause}); finish it with --resume, then register`);
      io.stdout.write(`${lines.join('\n')}\n`);
      return result.stoppedBecause === 'aborted' ? 1 : 0;
    } finally {
      process.removeListener('SIGINT', stop);
    }
  },
};
