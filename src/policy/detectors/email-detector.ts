import { detectorPriority, type Candidate, type Detector } from '../detection.ts';

/**
 * E-mail addresses, anchored on what every address must contain: an '@' (found with indexOf, the
 * fastest search there is) or a spelled-out "at" (`name [at] domain [dot] com`,
 * `name at domain dot com`). From the anchor we expand left over the local part and right over
 * domain labels, then check the shape (a TLD of letters, no empty labels).
 */

const localChar = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-\'') localChar[c.charCodeAt(0)] = 1;

function isLocalChar(code: number): boolean {
  return code < 128 && localChar[code] === 1;
}

function isLabelChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45;
}

/** A dot, plain or spelled out: `.`, `[.]`, `(dot)`, ` dot `, ` [dot] `. */
const dotForm = /\.|\s?[[({<]\s?(?:dot|DOT|\.)\s?[\])}>]\s?| (?:dot|DOT) /y;
const dotFormBefore = /(?:\.|\s?[[({<]\s?(?:dot|DOT|\.)\s?[\])}>]\s?| (?:dot|DOT) )$/;
/** A spelled-out at in brackets: `[at]`, `(at)`, `{@}` (spaces around it are skipped by hand, so
 * the regex starts with a bracket and V8 only stops at brackets). */
const bracketAt = /[[({<] ?(?:at|AT|@) ?[\])}>]/g;
/** A bare ` at `, which prose is full of; only looked for when a spelled dot is present too. */
const bareAt = / (?:at|AT) /g;

/** Whether "dot"/"DOT" occurs as a word: indexOf first, since it almost never does. */
function hasSpelledDot(text: string): boolean {
  for (const needle of ['dot', 'DOT']) {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 3)) {
      if (!/[A-Za-z]/.test(text.charAt(at - 1)) && !/[A-Za-z]/.test(text.charAt(at + 3))) return true;
    }
  }
  return false;
}

interface DomainEnd {
  end: number;
  /** The domain used at least one spelled-out dot. */
  spelled: boolean;
}

/** Parses `label(.label)+` from `i`; returns where it ends, or -1 when it is no domain. */
function parseDomain(text: string, i: number, allowSpelledDots: boolean): DomainEnd | -1 {
  let labels = 0;
  let spelled = false;
  let end = -1;
  let lastLabelStart = i;
  for (;;) {
    const labelStart = i;
    while (i < text.length && isLabelChar(text.charCodeAt(i))) i++;
    if (i === labelStart || i - labelStart > 63) break;
    if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) break;
    labels++;
    lastLabelStart = labelStart;
    end = i;
    dotForm.lastIndex = i;
    const dot = dotForm.exec(text);
    if (dot === null) break;
    if (dot[0] !== '.') {
      if (!allowSpelledDots) break;
      spelled = true;
    }
    i = dotForm.lastIndex;
  }
  if (labels < 2 || end === -1) return -1;
  const tld = text.slice(lastLabelStart, end);
  if (!/^(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{2,59})$/.test(tld)) return -1;
  return { end, spelled };
}

/** Expands the local part leftwards from `end` (exclusive); spelled dots allowed when asked. */
function localStart(text: string, end: number, allowSpelledDots: boolean): number {
  let i = end;
  for (;;) {
    const stop = i;
    while (i > 0 && isLocalChar(text.charCodeAt(i - 1))) i--;
    if (i === stop) return stop === end ? -1 : stop;
    if (!allowSpelledDots) break;
    const before = dotFormBefore.exec(text.slice(Math.max(0, i - 9), i));
    if (before === null || before[0] === '.') break;
    const jump = i - before[0].length;
    if (jump <= 0 || !isLocalChar(text.charCodeAt(jump - 1))) break;
    i = jump;
  }
  // Trailing sentence punctuation is never part of a local part's start.
  while (i < end && (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 39)) i++;
  return i < end ? i : -1;
}

function plainAddresses(text: string, found: Candidate[]): void {
  let at = text.indexOf('@');
  let coveredUntil = 0;
  while (at !== -1) {
    // Allow one space either side of the '@' ("jane @ example.com").
    const leftEnd = text.charCodeAt(at - 1) === 32 ? at - 1 : at;
    const rightStart = text.charCodeAt(at + 1) === 32 ? at + 2 : at + 1;
    const start = at > coveredUntil ? localStart(text, leftEnd, false) : -1;
    if (start !== -1 && start >= coveredUntil && at - start <= 66) {
      const local = text.slice(start, leftEnd);
      const domain = parseDomain(text, rightStart, false);
      if (domain !== -1 && !local.endsWith('.') && !local.includes('..')) {
        found.push({ type: 'EMAIL', start, end: domain.end, detector: 'email', priority: detectorPriority.email });
        coveredUntil = domain.end;
      }
    }
    at = text.indexOf('@', at + 1);
  }
}

function spelledAddresses(text: string, form: RegExp, bare: boolean, found: Candidate[]): void {
  form.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = form.exec(text)) !== null) {
    let localEnd = match.index;
    if (text.charCodeAt(localEnd - 1) === 32) localEnd--;
    const start = localStart(text, localEnd, true);
    if (start === -1) continue;
    let domainStart = match.index + match[0].length;
    if (text.charCodeAt(domainStart) === 32) domainStart++;
    const domain = parseDomain(text, domainStart, true);
    // "look at example.com" is prose, not an address: a bare "at" needs a spelled-out dot too.
    if (domain === -1 || (bare && !domain.spelled)) continue;
    found.push({ type: 'EMAIL', start, end: domain.end, detector: 'email-spelled', priority: detectorPriority.email });
    form.lastIndex = domain.end;
  }
}

export function emailDetector(): Detector {
  return {
    name: 'email',
    scan(text, found) {
      plainAddresses(text, found);
      spelledAddresses(text, bracketAt, false, found);
      if (hasSpelledDot(text)) spelledAddresses(text, bareAt, true, found);
    },
  };
}
