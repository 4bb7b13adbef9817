import type { EmbedRequest, GenerateRequest } from '../backends/types.ts';
import type { AttemptGuard, PreparedGenerate } from '../executor/attempt-guard.ts';
import { UnbundleError } from '../errors.ts';
import type { Plan } from '../router/plan.ts';
import { Assessment, type Finding } from './assess-texts.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import type { Scanner } from './create-scanner.ts';
import type { DataClass } from './data-class.ts';
import { Placeholders, redactSpans } from './placeholders.ts';
import { rehydrateResult, rehydrateStream } from './rehydrate-stream.ts';
import { collectEmbedTexts, collectTexts, rewriteEmbedTexts, rewriteTexts } from './request-texts.ts';

export type PolicyDecision = 'allowed' | 'routed' | 'redacted' | 'blocked';

/** A model's zone by id; undefined for a model the portfolio does not have. */
export type ZoneOf = (modelId: string) => string | undefined;

type Source = { kind: 'generate'; request: GenerateRequest } | { kind: 'embed'; request: EmbedRequest };

/**
 * The policy's view of one request: scanned once, on arrival. It gives the data class and detector
 * counts (context, ledger, audit), the models allowed to see the request (for the router), a plan
 * check (explicit models), and — as the executor's AttemptGuard — the request each attempt may
 * send: as is, redacted with the restorers to re-hydrate the answer, or refused with a 403. It
 * also remembers what it let through, for the audit log. Never does I/O.
 */
export class RequestPolicy implements AttemptGuard {
  readonly dataClass: DataClass;
  readonly detectorCounts: Record<string, number>;
  /** Zones and models that received the request's data (successful guard calls), in order. */
  readonly zonesSeen: string[] = [];
  readonly modelsSeen: string[] = [];
  private readonly assessment: Assessment;
  private placeholders: Placeholders | undefined;
  private readonly redactedByZone = new Map<string, GenerateRequest | EmbedRequest>();
  private other: { request: unknown; assessment: Assessment } | undefined;
  private redacted = false;
  private narrowed = false;
  private refusedRequest = false;

  constructor(private readonly policy: CompiledPolicy, private readonly scanner: Scanner, private readonly zoneOf: ZoneOf, private readonly source: Source) {
    this.assessment = new Assessment(source.kind === 'generate' ? collectTexts(source.request) : collectEmbedTexts(source.request), policy, scanner);
    this.dataClass = this.assessment.dataClass;
    this.detectorCounts = this.assessment.detectorCounts;
  }

  get decision(): PolicyDecision {
    if (this.refusedRequest || (this.zonesSeen.length === 0 && this.narrowed)) return 'blocked';
    if (this.redacted) return 'redacted';
    return this.narrowed ? 'routed' : 'allowed';
  }

  /** Whether the policy lets `zone` see this request (in clear or redacted). */
  allowsZone(zone: string): boolean {
    return this.assessment.blocking === undefined && this.assessment.verdict(zone).forbidden === undefined;
  }

  /**
   * Checks the router's plan before anything is sent: a blocked class or a forbidden primary
   * refuses the request (403 naming class and detector); forbidden fallbacks are dropped.
   */
  restrictPlan(plan: Plan): Plan {
    const primaryZone = this.zoneOf(plan.primary);
    this.refusal(plan.primary, primaryZone, true);
    const fallbacks = plan.fallbacks.filter((id) => {
      const zone = this.zoneOf(id);
      return zone !== undefined && this.allowsZone(zone);
    });
    if (fallbacks.length === plan.fallbacks.length) return plan;
    this.narrowed = true;
    return { ...plan, fallbacks, reasons: [...plan.reasons, `policy: ${plan.fallbacks.length - fallbacks.length} fallback(s) outside the zones allowed for ${this.dataClass} data dropped`] };
  }

  /**
   * The router has nothing to choose from because no model of the portfolio is in a zone this
   * request may reach (`model: auto` and virtual models): the 403 that says so — the class and the
   * detector, never the value — rather than a generic "no model allowed".
   */
  refuseEverywhere(zones: readonly string[]): never {
    if (this.assessment.blocking !== undefined) this.refusal('', undefined, true);
    const forbidden: Finding[] = [];
    for (const zone of zones) for (const f of this.assessment.verdict(zone).forbidden ?? []) if (!forbidden.some((g) => g.label === f.label && g.detector === f.detector)) forbidden.push(f);
    this.refusedRequest = true;
    throw new UnbundleError(
      'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE',
      `The data policy allows none of this portfolio's zones (${[...new Set(zones)].join(', ') || 'none'}) to see this request: it carries ${Assessment.describe(forbidden)}. Zones allowed — ${this.assessment.allowedZonesText(forbidden)}. Remove that data, or add a model in an allowed zone.`,
      { param: 'model' },
    );
  }

  generate(modelId: string, request: GenerateRequest): PreparedGenerate {
    const zone = this.zoneOf(modelId);
    const assessment = this.assessmentFor(request);
    this.refusal(modelId, zone, false, assessment);
    const spans = assessment.verdict(zone!).redact;
    this.seen(modelId, zone!);
    if (spans === undefined) return { request };
    let redacted = assessment === this.assessment ? (this.redactedByZone.get(zone!) as GenerateRequest | undefined) : undefined;
    if (redacted === undefined) {
      redacted = rewriteTexts(request, this.redactTexts(assessment, spans));
      if (assessment === this.assessment) this.redactedByZone.set(zone!, redacted);
    }
    this.redacted = true;
    const placeholders = this.placeholders!;
    return {
      request: redacted,
      restoreResult: (result) => rehydrateResult(result, placeholders),
      restoreStream: (parts) => rehydrateStream(parts, placeholders),
    };
  }

  embed(modelId: string, request: EmbedRequest): EmbedRequest {
    const zone = this.zoneOf(modelId);
    const assessment = this.assessmentFor(request);
    this.refusal(modelId, zone, false, assessment);
    const spans = assessment.verdict(zone!).redact;
    this.seen(modelId, zone!);
    if (spans === undefined) return request;
    this.redacted = true;
    return rewriteEmbedTexts(request, this.redactTexts(assessment, spans));
  }

  private seen(modelId: string, zone: string): void {
    this.modelsSeen.push(modelId);
    if (!this.zonesSeen.includes(zone)) this.zonesSeen.push(zone);
  }

  private redactTexts(assessment: Assessment, spans: ReturnType<Assessment['verdict']>['redact'] & {}): string[] {
    const texts = assessment.texts;
    this.placeholders ??= new Placeholders((candidate) => this.assessment.texts.some((t) => t.includes(candidate)));
    return texts.map((text, i) => (spans[i]!.length === 0 ? text : redactSpans(text, spans[i]!, this.placeholders!)));
  }

  /** The executor may send a request other than the one scanned (e.g. a cascade's extra instruction): scan that one too. */
  private assessmentFor(request: GenerateRequest | EmbedRequest): Assessment {
    if (request === this.source.request) return this.assessment;
    if (this.other?.request !== request) {
      const texts = 'input' in request ? collectEmbedTexts(request) : collectTexts(request);
      this.other = { request, assessment: new Assessment(texts, this.policy, this.scanner) };
    }
    return this.other.assessment;
  }

  /** Throws the 403 for a model this request may not reach. */
  private refusal(modelId: string, zone: string | undefined, wholeRequest: boolean, assessment = this.assessment): void {
    const refuse = (error: UnbundleError): never => {
      if (wholeRequest) this.refusedRequest = true;
      else this.narrowed = true;
      throw error;
    };
    if (assessment.blocking !== undefined) {
      refuse(new UnbundleError('UNBUNDLE_E_POLICY_BLOCKED', `The data policy blocks this request: it carries ${Assessment.describe(assessment.blocking)}. Remove that data from the request and send it again.`));
    }
    if (zone === undefined) {
      refuse(new UnbundleError('UNBUNDLE_E_POLICY_FORBIDDEN_ZONE', `The data policy cannot place model '${modelId}': it is not in the portfolio, so its zone is unknown.`, { param: 'model' }));
    }
    const forbidden: Finding[] | undefined = assessment.verdict(zone!).forbidden;
    if (forbidden !== undefined) {
      refuse(new UnbundleError(
        'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE',
        `The data policy does not allow model '${modelId}' (zone ${zone}) to see this request: it carries ${Assessment.describe(forbidden)}. Zones allowed — ${assessment.allowedZonesText(forbidden)}. Choose a model in an allowed zone, or remove that data.`,
        { param: 'model' },
      ));
    }
  }
}
