import type { GenerateRequest } from '../backends/types.ts';
import { toUnbundleError } from '../errors.ts';
import type { AttemptGuard } from '../executor/attempt-guard.ts';
import type { Executor, ExecutionOptions } from '../executor/executor.ts';
import type { Plan } from '../router/plan.ts';
import type { RequestContext } from './request-context.ts';
import { sendJson, startEventStream } from './respond.ts';
import { StreamWriter } from './stream-writer.ts';
import type { WireFormat } from './wire-format.ts';
import type { TrafficCapture } from '../tune/capture/traffic-capture.ts';

export interface GenerationCall {
  plan: Plan;
  request: GenerateRequest;
  stream: boolean;
  /** OpenAI's `stream_options.include_usage` (other formats always carry usage). */
  includeUsage: boolean;
  /** The client's wire format (OpenAI chat / completions, Anthropic messages). */
  wire: WireFormat;
  timeoutMs: number;
  /** Streams: per-attempt first-part deadline from x-unbundle-ttft-ms (else the model's setting). */
  firstTokenMs?: number;
  /** The policy's per-attempt hook, when a policy is configured. */
  guard?: AttemptGuard;
  /** Traffic capture for fine-tuning data, when `capture.enabled` (docs/tune.md). */
  capture?: TrafficCapture;
}

function planHeaders(requestId: string, plan: Plan, modelId: string, attempts: number): Record<string, string> {
  const headers: Record<string, string> = { 'x-request-id': requestId, 'x-unbundle-model': modelId, 'x-unbundle-attempts': String(attempts), 'x-unbundle-route': plan.primary, 'x-unbundle-route-reason': reasonHeader(plan.reasons) };
  if (plan.domain !== undefined) headers['x-unbundle-domain'] = plan.domain;
  else if (plan.requested !== plan.primary) headers['x-unbundle-domain'] = 'none';
  return headers;
}

/** The reasons as one short printable-ASCII header value (a header with other bytes is rejected by node). */
export function reasonHeader(reasons: readonly string[]): string {
  const joined = reasons.length === 1 ? reasons[0]! : reasons.join('; ');
  const ascii = /^[\x20-\x7e]*$/.test(joined) ? joined : joined.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 256 ? `${ascii.slice(0, 253)}...` : ascii;
}

/** Runs a generation request through the executor and answers in the client's wire format. */
export async function handleGeneration(ctx: RequestContext, executor: Pick<Executor, 'generate' | 'stream'>, call: GenerationCall): Promise<void> {
  const { plan, request, wire } = call;
  const created = Math.floor(Date.now() / 1000);
  const responseId = wire.responseId(ctx.id);
  ctx.stream = call.stream;
  const options: ExecutionOptions = { signal: ctx.signal, controller: ctx.controller, timeoutMs: call.timeoutMs, startedAt: ctx.start, attemptLog: (ctx.attemptLog = []) };
  if (call.firstTokenMs !== undefined) options.firstTokenMs = call.firstTokenMs;
  if (call.guard !== undefined) options.guard = call.guard;

  if (!call.stream) {
    const { result, modelId, attempts } = await executor.generate(plan, request, options);
    ctx.answeredBy = modelId;
    ctx.attempts = attempts;
    ctx.usage = result.usage;
    const body = wire.encodeResult(responseId, plan.requested, created, result);
    if (ctx.ledger) await ctx.ledger.seal();
    sendJson(ctx.res, 200, body, planHeaders(ctx.id, plan, modelId, attempts));
    if (call.capture?.wants(modelId, plan.requested, ctx.tenantId)) call.capture.record({ model: modelId, requested: plan.requested, tenantId: ctx.tenantId, request, answer: result.text });
    return;
  }

  // Failures before the first part fall back silently (or, when nothing is left, surface as a
  // normal error response); after the first byte they end the stream with an error event.
  const execution = await executor.stream(plan, request, options);
  ctx.answeredBy = execution.modelId;
  ctx.attempts = execution.attempts;
  const encoder = wire.streamEncoder(responseId, plan.requested, created, call.includeUsage);
  const { res } = ctx;
  // The answer's text is kept only when this exchange will be captured.
  let captured: string | undefined = call.capture?.wants(execution.modelId, plan.requested, ctx.tenantId) ? '' : undefined;
  // Parts that arrive together leave together (one chunk, one syscall); headers go with the first.
  const out = new StreamWriter(res);
  try {
    startEventStream(res, planHeaders(ctx.id, plan, execution.modelId, execution.attempts), false);
    let wait = out.write(encoder.start());
    if (wait !== undefined) await wait;
    let part = execution.first;
    for (;;) {
      if (part.type === 'text-delta' && ctx.ttftMs === undefined) ctx.ttftMs = performance.now() - ctx.start;
      if (part.type === 'usage') ctx.usage = part.usage;
      if (captured !== undefined && part.type === 'text-delta') captured += part.text;
      wait = out.write(encoder.encode(part));
      if (wait !== undefined) await wait;
      if (part.type === 'finish') break;
      const next = await execution.parts.next();
      if (next.done) throw toUnbundleError(new Error('the model stream ended without a finish part'));
      part = next.value;
    }
    if (ctx.ledger) await ctx.ledger.seal();
    out.end(encoder.done());
    if (captured !== undefined) call.capture!.record({ model: execution.modelId, requested: plan.requested, tenantId: ctx.tenantId, request, answer: captured });
  } catch (thrown) {
    captured = undefined;
    const error = toUnbundleError(thrown);
    ctx.error = error;
    if (!res.writableEnded && !res.destroyed) {
      // What the client has not yet been sent goes first, so the error event follows the answer so far.
      out.sendNow();
      if (ctx.ledger) await ctx.ledger.seal();
      out.end(encoder.error(error));
    }
  } finally {
    // Always close the backend's iterator, also after `finish`: a generator suspended at its last
    // yield would otherwise keep its slot (and its finally blocks) until garbage collection.
    await execution.parts.return?.().catch(() => undefined);
    execution.done();
  }
}
