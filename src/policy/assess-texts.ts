import type { CompiledPolicy } from './compile-policy.ts';
import { inZoneSet } from './compile-policy.ts';
import { higherClass, type DataClass } from './data-class.ts';
import type { Detection } from './detection.ts';
import type { Scanner } from './create-scanner.ts';

/** A detection as a policy message may name it: label, detector and class, never the value. */
export interface Finding {
  label: string;
  detector: string;
  dataClass: DataClass;
}

/** What one zone may receive: nothing (forbidden), the texts as they are, or some spans redacted. */
export interface ZoneVerdict {
  /** The findings whose class forbids this zone; undefined when the zone is allowed. */
  forbidden: Finding[] | undefined;
  /** Per text, the spans to replace by placeholders; undefined when nothing needs redacting. */
  redact: Detection[][] | undefined;
}

const clearVerdict: ZoneVerdict = { forbidden: undefined, redact: undefined };

/** Every request is at least `public`: the public rule applies to all of them, whatever was found. */
const anyRequest: Finding = { label: '', detector: '', dataClass: 'public' };

function pushUnique(list: Finding[], finding: Finding): void {
  if (!list.some((f) => f.label === finding.label && f.detector === finding.detector)) list.push(finding);
}

/**
 * One scan of one request's texts under one tenant's policy: the data class, the detector counts,
 * and, per zone (cached: a request meets few zones), whether that zone may see the data.
 */
export class Assessment {
  readonly detections: Detection[][];
  readonly dataClass: DataClass;
  readonly detectorCounts: Record<string, number>;
  /** Findings whose class says `block`: the whole request is refused. */
  readonly blocking: Finding[] | undefined;
  readonly empty: boolean;
  private readonly zones = new Map<string, ZoneVerdict>();

  constructor(readonly texts: readonly string[], private readonly policy: CompiledPolicy, scanner: Scanner) {
    this.detections = scanner.scanMany(texts);
    let dataClass: DataClass = 'public';
    const counts: Record<string, number> = {};
    let blocking: Finding[] | undefined;
    let empty = true;
    for (const list of this.detections) {
      for (const d of list) {
        empty = false;
        const found = policy.classOf(d.type);
        dataClass = higherClass(dataClass, found);
        counts[d.type] = (counts[d.type] ?? 0) + 1;
        if (policy.rules[found].action === 'block') pushUnique((blocking ??= []), { label: d.type, detector: d.detector, dataClass: found });
      }
    }
    if (policy.rules.public.action === 'block') pushUnique((blocking ??= []), anyRequest);
    this.dataClass = dataClass;
    this.detectorCounts = counts;
    this.blocking = blocking;
    this.empty = empty;
  }

  verdict(zone: string): ZoneVerdict {
    const base = this.policy.rules.public;
    if (this.empty && base.clear.any) return clearVerdict;
    let verdict = this.zones.get(zone);
    if (verdict === undefined) {
      verdict = this.judge(zone);
      this.zones.set(zone, verdict);
    }
    return verdict;
  }

  private judge(zone: string): ZoneVerdict {
    let forbidden: Finding[] | undefined;
    let redact: Detection[][] | undefined;
    const base = this.policy.rules.public;
    if (!inZoneSet(base.clear, zone) && !(base.action === 'redact' && inZoneSet(base.redacted, zone))) forbidden = [anyRequest];
    this.detections.forEach((list, index) => {
      for (const d of list) {
        const found = this.policy.classOf(d.type);
        const rule = this.policy.rules[found];
        if (inZoneSet(rule.clear, zone)) continue;
        if (rule.action === 'redact' && inZoneSet(rule.redacted, zone)) {
          redact ??= this.detections.map(() => []);
          redact[index]!.push(d);
        } else pushUnique((forbidden ??= []), { label: d.type, detector: d.detector, dataClass: found });
      }
    });
    return forbidden !== undefined ? { forbidden, redact: undefined } : { forbidden: undefined, redact };
  }

  /** "confidential data: EMAIL (detector "email"), restricted data: US_SSN (detector "us-ssn")". */
  static describe(findings: readonly Finding[]): string {
    return findings.map((f) => (f === anyRequest ? 'public data (the public rule applies to every request)' : `${f.dataClass} data: ${f.label} (detector "${f.detector}")`)).join(', ');
  }

  allowedZonesText(findings: readonly Finding[]): string {
    const classes = [...new Set(findings.map((f) => f.dataClass))];
    return classes
      .map((c) => {
        const rule = this.policy.rules[c];
        const clear = rule.clear.names.length > 0 ? rule.clear.names.join(', ') : 'none';
        return rule.action === 'redact' ? `${c}: ${clear} (redacted: ${rule.redacted.names.join(', ')})` : `${c}: ${clear}`;
      })
      .join('; ');
  }
}
