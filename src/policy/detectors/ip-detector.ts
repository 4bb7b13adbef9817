import { ipv6Valid } from '../checksums.ts';
import { detectorPriority, isWordChar, type Detector } from '../detection.ts';

/**
 * IP addresses. IPv4 is tried at digit runs, with octets 0–255 and "defanged" dots accepted
 * (`10[.]0[.]0[.]1`, `10 dot 0 dot 0 dot 1`). IPv6 is anchored on ':' and must parse fully; it also
 * needs a decimal digit, which keeps `Add::Feed`-style identifiers (all hex letters) out.
 */

const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const dot = '(?:\\.|\\[\\.\\]|\\(\\.\\)|\\[dot\\]|\\(dot\\)| dot | \\. )';
const ipv4Shape = new RegExp(`${octet}(?:${dot}${octet}){3}`, 'y');

function isIpv6Char(code: number): boolean {
  return (code >= 48 && code <= 58) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function findIpv6(text: string, found: Parameters<NonNullable<Detector['scan']>>[1]): void {
  let colon = text.indexOf(':');
  let scannedUntil = 0;
  while (colon !== -1) {
    if (colon >= scannedUntil) {
      let start = colon;
      while (start > 0 && isIpv6Char(text.charCodeAt(start - 1))) start--;
      let end = colon + 1;
      while (end < text.length && (isIpv6Char(text.charCodeAt(end)) || text.charCodeAt(end) === 46)) end++;
      scannedUntil = end;
      // Trailing punctuation (a sentence's full stop, a label's colon) is not part of the address.
      while (end > start && (text.charCodeAt(end - 1) === 46 || (text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) !== 58))) end--;
      const value = text.slice(start, end);
      const bounded = (start === 0 || !isWordChar(text.charCodeAt(start - 1))) && !isWordChar(text.charCodeAt(end));
      if (bounded && value.length >= 6 && /\d/.test(value) && value.split(':').length >= 3 && ipv6Valid(value)) {
        found.push({ type: 'IP_ADDRESS', start, end, detector: 'ipv6', priority: detectorPriority.ipAddress });
      }
    }
    colon = text.indexOf(':', colon + 1);
  }
}

export function ipDetector(): Detector {
  return {
    name: 'ip-address',
    atDigitRun(text, runStart, runEnd, found) {
      if (runEnd - runStart > 3) return;
      const next = text.charCodeAt(runEnd);
      if (next !== 46 && next !== 91 && next !== 40 && !(next === 32 && (text.startsWith(' dot ', runEnd) || text.startsWith(' . ', runEnd)))) return;
      const before = text.charCodeAt(runStart - 1);
      if (runStart > 0 && (isWordChar(before) || before === 46)) return;
      ipv4Shape.lastIndex = runStart;
      if (ipv4Shape.exec(text) === null) return;
      const end = ipv4Shape.lastIndex;
      const after = text.charCodeAt(end);
      if (isWordChar(after)) return;
      if (after === 46 && /\d/.test(text.charAt(end + 1))) return;
      found.push({ type: 'IP_ADDRESS', start: runStart, end, detector: 'ipv4', priority: detectorPriority.ipAddress });
    },
    scan: findIpv6,
  };
}
