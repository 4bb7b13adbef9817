import { UnbundleError } from '../../errors.ts';
import type { DataFormat } from './labelled-data.ts';

/** Flag values shared by the `unbundle route ...` commands, with errors that name the flag. */

export function formatFlag(command: string, value: string | undefined): DataFormat | undefined {
  if (value === undefined) return undefined;
  if (value === 'jsonl' || value === 'csv') return value;
  throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${command}: --format must be jsonl or csv, got "${value}".`);
}

/** A number from 0 to 1, such as a threshold or a share. */
export function fractionFlag(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${command}: --${flag} must be a number from 0 to 1, got "${value}".`);
  }
  return n;
}
