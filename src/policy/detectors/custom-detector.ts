import { UnbundleError } from '../../errors.ts';
import { ibanChecksumValid, ibanValid, luhnValid } from '../checksums.ts';
import { detectorPriority, type Detector } from '../detection.ts';

/**
 * Detectors declared in config: a regex, an optional check-digit validator, and the label reported.
 * They outrank the built-ins on overlap, since someone wrote them for exactly this data.
 */

export const customValidators = ['luhn', 'mod97', 'iban'] as const;
export type CustomValidator = (typeof customValidators)[number];

export interface CustomDetectorSpec {
  /** What the detection's `type` says, e.g. EMPLOYEE_ID (UPPER_SNAKE_CASE). */
  label: string;
  pattern: string | RegExp;
  /** Regex flags besides g/y/d (which the scanner manages): i, m, s, u, v. */
  flags?: string;
  validator?: CustomValidator;
  /** Report only this capture group's span (default: the whole match). */
  group?: number;
}

const validators: Record<CustomValidator, (value: string) => boolean> = {
  luhn: (value) => /\d/.test(value) && luhnValid(value),
  // ISO 7064 mod 97-10 on the letters and digits (IBAN-style check digits, any length).
  mod97: (value) => ibanChecksumValid(value.replace(/[^A-Za-z0-9]/g, '')),
  iban: (value) => ibanValid(value.replace(/[\s-]/g, '')),
};

export const labelPattern = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Compiles a spec, or explains what is wrong with it (the config schema reuses this). */
export function compileCustomPattern(spec: Pick<CustomDetectorSpec, 'pattern' | 'flags' | 'group'>): RegExp | string {
  const source = typeof spec.pattern === 'string' ? spec.pattern : spec.pattern.source;
  const given = spec.flags ?? (typeof spec.pattern === 'string' ? '' : spec.pattern.flags);
  const flags = [...new Set(given.replace(/[gyd]/g, ''))].join('');
  if (!/^[imsuv]*$/.test(flags)) return `flags may only use i, m, s, u or v (got "${given}")`;
  let regex: RegExp;
  try {
    regex = new RegExp(source, `${flags}gd`);
  } catch (error) {
    return `not a valid regular expression: ${(error as Error).message}`;
  }
  if (new RegExp(`^(?:${source})$`, flags.replace('m', '')).test('')) return 'matches the empty string, which would flag every position: make it require at least one character';
  const groups = new RegExp(`${source}|`, flags).exec('')!.length - 1;
  if (spec.group !== undefined && (spec.group < 0 || spec.group > groups)) return `group ${spec.group} does not exist (the pattern has ${groups} capture group${groups === 1 ? '' : 's'})`;
  return regex;
}

export function customDetector(spec: CustomDetectorSpec): Detector {
  if (!labelPattern.test(spec.label)) {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `Custom detector label "${spec.label}" must be UPPER_SNAKE_CASE (letters, digits, "_"; starting with a letter).`);
  }
  const compiled = compileCustomPattern(spec);
  if (typeof compiled === 'string') throw new UnbundleError('UNBUNDLE_E_CONFIG', `Custom detector ${spec.label}: pattern ${compiled}.`);
  const validate = spec.validator === undefined ? undefined : validators[spec.validator];
  const group = spec.group ?? 0;
  const name = `custom:${spec.label}`;
  return {
    name,
    scan(text, found) {
      compiled.lastIndex = 0;
      let match: RegExpExecArray | null;
      while ((match = compiled.exec(text)) !== null) {
        if (match[0] === '') {
          compiled.lastIndex++;
          continue;
        }
        const span = match.indices?.[group];
        if (span === undefined || span[0] === span[1]) continue;
        const value = text.slice(span[0], span[1]);
        if (validate !== undefined && !validate(value)) continue;
        found.push({ type: spec.label, start: span[0], end: span[1], detector: name, priority: detectorPriority.custom });
      }
    },
  };
}
