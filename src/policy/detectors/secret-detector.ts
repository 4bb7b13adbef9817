import { shannonEntropy } from '../checksums.ts';
import { detectorPriority, type Candidate, type Detector } from '../detection.ts';
import { bearerToken, credentialAssignment, credentialSeparators, isPlaceholder, prefixAnchors, type KnownToken } from './secret-patterns.ts';

/**
 * API keys and other secrets: tokens with a known prefix (found from cheap anchors, then matched
 * in full), long random-looking tokens (high entropy), private-key blocks, passwords in URLs,
 * `password = …` assignments and bearer tokens. Every kind starts from something rare that
 * indexOf or a literal regex finds fast, so prose without secrets costs little. A private-key block
 * cut short (a key pasted across two messages) is still reported from whichever of its BEGIN or
 * END lines a text holds.
 */

export interface HighEntropyOptions {
  /** Shortest token considered (characters). */
  minLength: number;
  /** Shannon entropy in bits per character a token must reach. */
  minBitsPerChar: number;
}

export const defaultHighEntropy: HighEntropyOptions = { minLength: 20, minBitsPerChar: 4.0 };

const tokenChar = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/=') tokenChar[c.charCodeAt(0)] = 1;

function isTokenChar(code: number): boolean {
  return code < 128 && tokenChar[code] === 1;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function secret(start: number, end: number, detector: string, priority: number = detectorPriority.secret): Candidate {
  return { type: 'SECRET', start, end, detector, priority };
}

/** High-entropy check: long, mixes letters and digits, not a plain hex hash or a path of words. */
function looksRandom(token: string, options: HighEntropyOptions): boolean {
  if (!/[A-Za-z]/.test(token)) return false;
  if (/^[0-9a-fA-F-]+$/.test(token)) return false; // hashes and UUIDs: identifiers, not credentials
  if (/^[a-z0-9_-]+$/.test(token) && /[_-]/.test(token)) return false; // snake/kebab-case names
  if (token.includes('//')) return false; // URL-ish
  return shannonEntropy(token) >= options.minBitsPerChar;
}

/** Letters, digits, '_' and '-': what may not touch a known token on either side ("GH=ghp_…" is fine). */
function isKeyChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 45;
}

function tryKnownToken(text: string, start: number, token: KnownToken, found: Candidate[]): void {
  if (start > 0 && isKeyChar(text.charCodeAt(start - 1))) return;
  token.pattern.lastIndex = start;
  const match = token.pattern.exec(text);
  if (match === null) return;
  const end = token.pattern.lastIndex;
  if (isKeyChar(text.charCodeAt(end)) || (token.check !== undefined && !token.check(match[0]))) return;
  found.push(secret(start, end, token.name));
}

function knownTokens(text: string, found: Candidate[]): void {
  for (const anchor of prefixAnchors) {
    if (typeof anchor.needle === 'string') {
      for (let at = text.indexOf(anchor.needle); at !== -1; at = text.indexOf(anchor.needle, at + 1)) {
        if (!anchor.before!.has(text.charCodeAt(at - 1))) continue;
        for (const entry of anchor.entries) {
          const start = at - entry.offset;
          if (start >= 0 && text.startsWith(entry.prefix, start)) tryKnownToken(text, start, entry.token, found);
        }
      }
    } else {
      const needle = anchor.needle;
      needle.lastIndex = 0;
      let match: RegExpExecArray | null;
      while ((match = needle.exec(text)) !== null) {
        const prefix = match[0];
        for (const entry of anchor.entries) if (entry.prefix === prefix) tryKnownToken(text, match.index, entry.token, found);
      }
    }
  }
}

/**
 * Entropy is checked from digit runs: a random token of 20+ characters almost surely holds a digit,
 * and the scanner visits digit runs anyway, so prose costs nothing here. Each token is measured
 * once, from its first digit run.
 */
function highEntropyAt(text: string, runStart: number, runEnd: number, options: HighEntropyOptions, found: Candidate[]): void {
  // '=' only counts as base64 padding at the end: "KEY=value" is two tokens.
  let start = runStart;
  while (start > 0 && isTokenChar(text.charCodeAt(start - 1)) && text.charCodeAt(start - 1) !== 61) {
    if (isDigit(text.charCodeAt(start - 1))) return; // not this token's first digit run
    start--;
  }
  let end = runEnd;
  while (end < text.length && isTokenChar(text.charCodeAt(end)) && text.charCodeAt(end) !== 61) end++;
  let padded = end;
  while (text.charCodeAt(padded) === 61) padded++;
  if (!isTokenChar(text.charCodeAt(padded))) end = padded;
  if (end - start < options.minLength) return;
  // Padding and separators carry no randomness; measure the body.
  let body = end;
  while (body > start && (text.charCodeAt(body - 1) === 61 || text.charCodeAt(body - 1) === 45)) body--;
  if (body - start >= options.minLength && !inUrl(text, start) && looksRandom(text.slice(start, body), options)) {
    found.push(secret(start, end, 'high-entropy', detectorPriority.highEntropy));
  }
}

/** Whether `at` lies in a URL ("https://docs…/d/1A2b…"): ids in links are addresses, not keys.
 * A secret in a query string (`?token=…`) is still caught as a credential assignment. */
function inUrl(text: string, at: number): boolean {
  for (let i = at - 1; i >= 2 && at - i < 512; i--) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 10 || code === 9 || code === 34 || code === 39 || code === 60 || code === 40) return false;
    if (code === 47 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 58) return true;
  }
  return false;
}

const pemBegin = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/y;
const pemBody = /(?:(?:\r?\n|\\n|[ \t])+(?:[A-Za-z0-9+/=]{16,}|[A-Za-z0-9+/]*={1,2}|[A-Za-z-]+: [^\n]*))*/y;
const pemEnd = /-----END ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/y;

function isBase64Char(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 43 || code === 47 || code === 61;
}

/**
 * Walks back from `end` over base64 lines (a key body whose BEGIN line is in an earlier text). The
 * line next to the footer may be short; earlier ones must be full-length-ish, so a word of prose
 * before the body is not swallowed.
 */
function bodyStartBefore(text: string, end: number): number {
  let i = end;
  for (let line = 0; ; line++) {
    let j = i;
    for (;;) {
      const code = text.charCodeAt(j - 1);
      if (code === 10 || code === 13 || code === 32 || code === 9) j--;
      else if (code === 110 && text.charCodeAt(j - 2) === 92) j -= 2; // a JSON-escaped "\n"
      else break;
    }
    let k = j;
    while (k > 0 && isBase64Char(text.charCodeAt(k - 1))) k--;
    if (j - k < (line === 0 ? 4 : 16)) return i;
    i = k;
  }
}

function privateKeys(text: string, found: Candidate[]): void {
  const blocks: Array<[number, number]> = [];
  // Where each footer was last found, so many BEGIN lines without an END cost one search, not one each.
  const footers = new Map<string, number>();
  for (let at = text.indexOf('-----BEGIN '); at !== -1; at = text.indexOf('-----BEGIN ', at + 1)) {
    pemBegin.lastIndex = at;
    const header = pemBegin.exec(text);
    if (header === null) continue;
    const footer = `-----END ${header[1]}-----`;
    let close = footers.get(footer);
    if (close === undefined || (close !== -1 && close < pemBegin.lastIndex)) {
      close = text.indexOf(footer, pemBegin.lastIndex);
      footers.set(footer, close);
    }
    let end: number;
    if (close !== -1 && close - at < 64_000) end = close + footer.length;
    else {
      pemBody.lastIndex = pemBegin.lastIndex;
      pemBody.exec(text);
      end = pemBody.lastIndex;
    }
    found.push(secret(at, end, 'private-key'));
    blocks.push([at, end]);
  }
  // A footer inside a block found above is that block's; a lone footer ends a body cut off above it.
  let next = 0;
  let coveredUntil = 0;
  for (let at = text.indexOf('-----END '); at !== -1; at = text.indexOf('-----END ', at + 1)) {
    while (next < blocks.length && blocks[next]![0] <= at) coveredUntil = Math.max(coveredUntil, blocks[next++]![1]);
    if (at < coveredUntil) continue;
    pemEnd.lastIndex = at;
    if (pemEnd.exec(text) === null) continue;
    found.push(secret(bodyStartBefore(text, at), pemEnd.lastIndex, 'private-key'));
  }
}

const urlCredentials = /[^\s:@/?#'"]{1,128}:([^\s@/?#'"]{1,256})@/y;

function passwordsInUrls(text: string, found: Candidate[]): void {
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    urlCredentials.lastIndex = at + 3;
    const match = urlCredentials.exec(text);
    if (match === null || /^(?:\$|<|\{|\*)/.test(match[1]!)) continue;
    const end = urlCredentials.lastIndex - 1;
    found.push(secret(end - match[1]!.length, end, 'url-password'));
  }
}

/** Values after a credential word must look made up: a digit plus another class, or three classes. */
function looksLikePassword(value: string): boolean {
  if (isPlaceholder(value)) return false;
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  return /\d/.test(value) || classes >= 3;
}

function isNameChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 45;
}

/** Where a credential name may begin inside an identifier: its start, after '_' or '-', or at a
 * camelCase hump ("clientSecret", "x-api-key", "my_password"). */
function nameStart(text: string, start: number, at: number): boolean {
  if (at === start) return true;
  const prev = text.charCodeAt(at - 1);
  const code = text.charCodeAt(at);
  return prev === 95 || prev === 45 || (code >= 65 && code <= 90 && prev >= 97 && prev <= 122);
}

/**
 * `password = …`, `"api_key": "…"`, `token is …`: anchored on the separators (found with indexOf),
 * then only names ending like a credential (…d, …e, …t, …n, …y) are matched in full.
 */
function credentialAssignments(text: string, found: Candidate[]): void {
  for (const separator of credentialSeparators) {
    for (let at = text.indexOf(separator); at !== -1; at = text.indexOf(separator, at + separator.length)) {
      let end = at;
      while (end > 0 && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 34 || text.charCodeAt(end - 1) === 39)) end--;
      const last = text.charCodeAt(end - 1) | 0x20;
      if (last !== 100 && last !== 101 && last !== 116 && last !== 110 && last !== 121) continue;
      let start = end;
      while (start > 0 && end - start < 64 && isNameChar(text.charCodeAt(start - 1))) start--;
      if (start > 0 && /[\p{L}\p{N}]/u.test(text.charAt(start - 1))) continue;
      for (let from = start; from < end; from++) {
        if (!nameStart(text, start, from)) continue;
        credentialAssignment.lastIndex = from;
        const match = credentialAssignment.exec(text);
        if (match === null) continue;
        const value = match[1]!;
        const valueEnd = credentialAssignment.lastIndex;
        if (looksLikePassword(value)) found.push(secret(valueEnd - value.length, valueEnd, 'credential-assignment'));
        break;
      }
    }
  }
  if (text.indexOf('earer') === -1) return;
  bearerToken.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = bearerToken.exec(text)) !== null) {
    const value = match[1]!;
    if (isPlaceholder(value)) continue;
    const end = match.index + match[0].length;
    found.push(secret(end - value.length, end, 'bearer-token'));
  }
}

export function secretDetector(highEntropy: HighEntropyOptions | false = defaultHighEntropy): Detector {
  return {
    name: 'secret',
    scan(text, found) {
      knownTokens(text, found);
      privateKeys(text, found);
      passwordsInUrls(text, found);
      credentialAssignments(text, found);
    },
    atDigitRun: highEntropy === false ? undefined : (text, runStart, runEnd, found) => highEntropyAt(text, runStart, runEnd, highEntropy, found),
  };
}
