/**
 * Hashed n-gram features of a prompt: word unigrams and bigrams, plus character n-grams, each
 * hashed into 2^bits buckets. No vocabulary is stored, so the model file holds only weights and a
 * word never seen in training still shares character n-grams with ones that were.
 *
 * Each feature counts once per prompt (binary features): a prompt that repeats "loan" ten times
 * is not ten times more about banking, and it keeps long prompts from swamping the weights.
 *
 * The text is normalised once into a code buffer: lower-case, every digit becomes "0" (so "16 eggs"
 * and "24 eggs" look alike), and whitespace runs collapse to one space, or one newline if the run
 * holds a line break (line structure is a strong hint of code).
 */

export interface FeatureOptions {
  /** log2 of the bucket count. */
  bits: number;
  /** Character n-gram lengths, inclusive. */
  charMin: number;
  charMax: number;
  /** Characters read from the prompt; a long prompt is read at its head and its tail. */
  maxChars: number;
}

export const defaultFeatureOptions: Readonly<FeatureOptions> = Object.freeze({ bits: 18, charMin: 2, charMax: 4, maxChars: 2048 });

/** Where one prompt's features landed: word features first, then character features. */
export interface FeatureBuffer {
  buckets: Int32Array;
  wordCount: number;
  charCount: number;
}

const wordSalt = 0x9e3779b9;
const bigramSalt = 0x85ebca6b;
const space = 32;
const newline = 10;
const zero = 48;

function mix(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x7feb352d);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x846ca68b);
  return hash ^ (hash >>> 16);
}

/** Lower-case of each UTF-16 code unit, filled on first sight (0 = not yet known). */
const lowerTable = new Uint16Array(65536);

function lowerCase(code: number): number {
  let lower = lowerTable[code]!;
  if (lower === 0) {
    const mapped = String.fromCharCode(code).toLowerCase();
    // Some characters lower-case to two units (İ -> i̇); keep those as they are.
    lower = mapped.length === 1 ? mapped.charCodeAt(0) : code;
    lowerTable[code] = lower;
  }
  return lower;
}

function isWordCode(code: number): boolean {
  return (code >= 97 && code <= 122) || code === zero || code === 95 || code > 127;
}

/**
 * Reusable scratch space: predicting is synchronous and single-threaded, so one buffer per
 * extractor avoids an allocation per request.
 */
export class FeatureExtractor {
  private codes = new Uint16Array(0);
  private buckets = new Int32Array(0);
  /**
   * seen[bucket] === stamp marks a bucket already emitted for the current prompt and group. One
   * byte per bucket keeps this table cache-resident; it is cleared once every 127 prompts.
   */
  private readonly seen: Uint8Array;
  private stamp = 0;
  readonly options: Readonly<FeatureOptions>;
  private readonly mask: number;

  constructor(options: Readonly<FeatureOptions> = defaultFeatureOptions) {
    this.options = options;
    this.mask = (1 << options.bits) - 1;
    this.seen = new Uint8Array(1 << options.bits);
  }

  /**
   * Fills and returns the shared buffer; copy `buckets` before the next call if you keep it.
   * With `spans`, each kept feature also pushes the [start, end) of its n-gram in
   * `normalisedText(text)`, which is how `route explain` names features.
   */
  extract(text: string, spans?: number[]): FeatureBuffer {
    const length = this.normalise(text);
    const codes = this.codes;
    const { charMin, charMax } = this.options;
    const capacity = length * (2 + charMax - charMin + 1) + 4;
    if (this.buckets.length < capacity) this.buckets = new Int32Array(capacity * 2);
    const buckets = this.buckets;
    const mask = this.mask;
    const seen = this.seen;
    if (this.stamp >= 254) {
      seen.fill(0);
      this.stamp = 0;
    }
    const wordStamp = ++this.stamp;
    const charStamp = ++this.stamp;
    let n = 0;
    let bucket = 0;

    let previous = 0;
    let previousStart = -1;
    for (let i = 0; i < length; ) {
      if (!isWordCode(codes[i]!)) {
        i++;
        continue;
      }
      const start = i;
      let hash = wordSalt;
      while (i < length && isWordCode(codes[i]!)) hash = Math.imul(hash ^ codes[i++]!, 0x01000193);
      hash = mix(hash);
      bucket = hash & mask;
      if (seen[bucket] !== wordStamp) {
        seen[bucket] = wordStamp;
        buckets[n++] = bucket;
        spans?.push(start, i);
      }
      if (previousStart >= 0) {
        bucket = mix(Math.imul(previous, 31) ^ hash ^ bigramSalt) & mask;
        if (seen[bucket] !== wordStamp) {
          seen[bucket] = wordStamp;
          buckets[n++] = bucket;
          spans?.push(previousStart, i);
        }
      }
      previous = hash;
      previousStart = start;
    }
    const wordCount = n;

    for (let i = 0; i + charMin <= length; i++) {
      let hash = 0x811c9dc5;
      const end = Math.min(length, i + charMax);
      for (let j = i; j < end; j++) {
        hash = Math.imul(hash ^ codes[j]!, 0x01000193);
        if (j - i + 1 < charMin) continue;
        bucket = mix(hash + j - i) & mask;
        if (seen[bucket] === charStamp) continue;
        seen[bucket] = charStamp;
        buckets[n++] = bucket;
        spans?.push(i, j + 1);
      }
    }
    return { buckets, wordCount, charCount: n - wordCount };
  }

  /** The normalised text the features are computed from, for `route explain`. */
  normalisedText(text: string): string {
    const length = this.normalise(text);
    return String.fromCharCode(...this.codes.subarray(0, length));
  }

  private normalise(text: string): number {
    const { maxChars } = this.options;
    // A long prompt is read as head + " " + tail without building that string: no garbage per call.
    const long = text.length > maxChars;
    const headEnd = long ? maxChars - maxChars / 4 : text.length;
    const tailStart = long ? text.length - maxChars / 4 : text.length;
    if (this.codes.length < maxChars + 4) this.codes = new Uint16Array(maxChars + 4);
    const codes = this.codes;
    let length = 0;
    codes[length++] = space;
    let pendingSpace = 0;
    for (let i = 0; i < text.length; i++) {
      if (i === headEnd && long) {
        i = tailStart;
        if (pendingSpace === 0) pendingSpace = space;
      }
      let code = text.charCodeAt(i);
      if (code === space || code === newline || code === 9 || code === 13) {
        if (code === newline || pendingSpace === 0) pendingSpace = code === newline ? newline : space;
        continue;
      }
      if (pendingSpace !== 0) {
        // The buffer already starts with a space; leading blanks add nothing but a newline.
        if (length > 1 || pendingSpace === newline) codes[length++] = pendingSpace;
        pendingSpace = 0;
      }
      if (code >= 65 && code <= 90) code += 32;
      else if (code >= 48 && code <= 57) code = zero;
      else if (code > 127) code = lowerCase(code);
      codes[length++] = code;
    }
    // A blank prompt has no features at all; the model then answers with its bias (the prior).
    if (length === 1) return 0;
    codes[length++] = space;
    return length;
  }
}
