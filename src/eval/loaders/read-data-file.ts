import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { UnbundleError } from '../../errors.ts';

/** Reads a data file as text, gunzipping `.gz`; a missing file is an error that names it. */
export async function readDataFile(file: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UnbundleError('UNBUNDLE_E_DATA', `cannot read the ${what} file ${file}: ${reason}`, { cause: error });
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new UnbundleError('UNBUNDLE_E_DATA', `${file} is not a valid gzip file: ${(error as Error).message}`, { cause: error });
    }
  }
  return bytes.toString('utf8');
}

export async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false;
  }
}

/** Options every loader takes. */
export interface LoaderOptions {
  /** Read only the first N rows of each file (for quick runs). */
  limit?: number;
  /** Skip malformed rows (reported in `skipped`) instead of refusing the file. */
  skipInvalid?: boolean;
}

/** Reads a JSON field of a row as a string, or undefined so validation reports the row. */
export function stringField(row: unknown, key: string): string | undefined {
  const value = (row as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}
