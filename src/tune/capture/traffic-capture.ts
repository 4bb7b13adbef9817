import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ChatMessage, GenerateRequest } from '../../backends/types.ts';
import type { Scanner } from '../../policy/create-scanner.ts';
import { scrubText } from '../data/scrub-records.ts';
import type { CaptureConfig } from './capture-schema.ts';

/**
 * Turns production traffic into training data: each captured exchange (the request's messages
 * plus the answer) is scrubbed and appended to `<dir>/<model>/<YYYY-MM-DD>.jsonl` in the chat
 * fine-tuning format that `unbundle tune data prepare` reads. Writes are batched and off the
 * request's path; a failed write is counted and logged, never thrown at a client.
 */
export interface CapturedExchange {
  model: string;
  requested: string;
  tenantId: string | undefined;
  request: GenerateRequest;
  answer: string;
}

export interface CaptureStats {
  captured: number;
  dropped: number;
  skipped: number;
  writeErrors: number;
}

const flushEvery = 250;

function textOf(content: ChatMessage['content']): string {
  return typeof content === 'string' ? content : content.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('\n');
}

export class TrafficCapture {
  readonly stats: CaptureStats = { captured: 0, dropped: 0, skipped: 0, writeErrors: 0 };
  private readonly pending = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly models: Set<string>;
  private readonly tenants: Set<string>;

  constructor(
    private readonly config: CaptureConfig,
    readonly dir: string,
    private readonly scanner: Scanner,
    private readonly random: () => number = Math.random,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    this.models = new Set(config.models);
    this.tenants = new Set(config.tenants);
  }

  /** Cheap pre-check, so streams only accumulate their text when the exchange will be kept. */
  wants(model: string, requested: string, tenantId: string | undefined): boolean {
    if (!this.config.enabled) return false;
    if (this.models.size > 0 && !this.models.has(model) && !this.models.has(requested)) return false;
    if (this.tenants.size > 0 && (tenantId === undefined || !this.tenants.has(tenantId))) return false;
    return this.config.sampleRate >= 1 || this.random() < this.config.sampleRate;
  }

  record(exchange: CapturedExchange): void {
    const counts: Record<string, number> = {};
    const scrub = (text: string): string => scrubText(text, this.scanner, counts);
    const messages = exchange.request.kind === 'chat'
      ? exchange.request.messages.filter((m) => m.role !== 'tool').map((m) => ({ role: m.role, content: scrub(textOf(m.content)) }))
      : [{ role: 'user', content: scrub(exchange.request.prompt) }];
    messages.push({ role: 'assistant', content: scrub(exchange.answer) });
    if (exchange.answer.trim() === '') {
      this.stats.skipped++;
      return;
    }
    if (this.config.scrub === 'drop' && Object.keys(counts).length > 0) {
      this.stats.dropped++;
      return;
    }
    const day = new Date().toISOString().slice(0, 10);
    const file = path.join(this.dir, exchange.model.replace(/[^A-Za-z0-9._-]/g, '_'), `${day}.jsonl`);
    const line = `${JSON.stringify({ messages })}\n`;
    const list = this.pending.get(file);
    if (list) list.push(line);
    else this.pending.set(file, [line]);
    this.stats.captured++;
    if ([...this.pending.values()].reduce((n, l) => n + l.length, 0) >= flushEvery) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), 200).unref();
  }

  /** Writes what is pending; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.entries()];
    this.pending.clear();
    this.writing = this.writing.then(async () => {
      for (const [file, lines] of batch) {
        try {
          await mkdir(path.dirname(file), { recursive: true });
          await appendFile(file, lines.join(''));
        } catch (error) {
          this.stats.writeErrors += lines.length;
          this.onError(error as Error);
        }
      }
    });
    return this.writing;
  }
}
