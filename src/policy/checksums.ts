/**
 * Check digits and structural rules that turn "looks like a number" into "is one": most of the
 * precision of the structured detectors comes from here, not from the patterns.
 */

/** Luhn (mod 10) over the ASCII digits of `value`; other characters are ignored. */
export function luhnValid(value: string): boolean {
  let sum = 0;
  let count = 0;
  let double = false;
  for (let i = value.length - 1; i >= 0; i--) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) continue;
    let digit = code - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
    count++;
  }
  return count > 0 && sum % 10 === 0;
}

/** IBAN length by country (ISO 13616 registry). A wrong length fails before the checksum runs. */
export const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 7064 mod 97-10 over an IBAN's letters and digits (spaces already removed), any case. */
export function ibanChecksumValid(compact: string): boolean {
  if (compact.length < 5) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i) | 0x20; // lower-cases letters, leaves digits alone
    if (code >= 48 && code <= 57) remainder = (remainder * 10 + (code - 48)) % 97;
    else if (code >= 97 && code <= 122) remainder = (remainder * 100 + (code - 87)) % 97;
    else return false;
  }
  return remainder === 1;
}

/** A full IBAN check: known country, exact length for it, two check digits, mod 97. */
export function ibanValid(compact: string): boolean {
  const country = compact.slice(0, 2).toUpperCase();
  const length = ibanLengths[country];
  return length === compact.length && /^\d\d$/.test(compact.slice(2, 4)) && ibanChecksumValid(compact);
}

/**
 * US SSN structure (SSA rules since 2011 randomisation): area 001–899 except 666, group 01–99,
 * serial 0001–9999; plus the two numbers famous for appearing in advertising.
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  const joined = `${area}${group}${serial}`;
  return joined !== '078051120' && joined !== '219099999';
}

/** True for a syntactically valid IPv6 address (no zone, no brackets); embedded IPv4 allowed. */
export function ipv6Valid(value: string): boolean {
  if (value.length < 2 || value.length > 45) return false;
  const double = value.indexOf('::');
  if (double !== -1 && value.indexOf('::', double + 1) !== -1) return false;
  let groups = 0;
  const parts = double === -1 ? [value] : [value.slice(0, double), value.slice(double + 2)];
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (part === '') continue;
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      const last = p === parts.length - 1 && i === pieces.length - 1;
      if (last && piece.includes('.')) {
        if (!ipv4Valid(piece)) return false;
        groups += 2;
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) groups++;
      else return false;
    }
  }
  return double === -1 ? groups === 8 : groups <= 7;
}

export function ipv4Valid(value: string): boolean {
  const octets = value.split('.');
  if (octets.length !== 4) return false;
  return octets.every((octet) => /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(octet));
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
