import { detectorPriority, isWordChar, textBefore, type Detector } from '../detection.ts';

/**
 * Street addresses, best effort: addresses have no checksum and no fixed shape, so this finds the
 * common written forms and accepts misses rather than flagging prose.
 *   - number first: `14 Crown Street`, `6400 12 Timms Drive`, `63 Avenue du Golf Arabe`
 *   - name first:   `Passauer Strasse 33`, `Koskikatu 25`, `Piroska u. 97.`, `Vicolo Calcirelli 13`
 *   - boxes:        `PSC 6293, Box 8158 APO AP 04336`, `Unit 4719 Box 7394 DPO AP 70942`, `P.O. Box 255`
 * then extended over what follows on the next lines: `Apt. 595`, `Suite 501`, `City, ST 12345`,
 * a city line, a `Country 12345` line. Street words must be capitalised; an all-lower-case address
 * is only found when its street word has a telltale ending (`hersnapvej 18`).
 */

/** `street|st` → `[sS][tT][rR]…`: case-insensitive keywords in a regex that must stay case-sensitive
 * elsewhere (with the `i` flag, `\p{Lu}` would match lower-case letters too). */
function caseless(alternation: string): string {
  let out = '';
  for (const char of alternation) {
    const upper = char.toUpperCase();
    out += upper !== char && /\p{L}/u.test(char) ? `[${char}${upper}]` : char;
  }
  return out;
}

/** First letter upper-case, the rest any case: "Via Roma 12" is an address, "sent via Rome" is not. */
function titled(alternation: string): string {
  return alternation
    .split('|')
    .map((w) => `${w[0]!.toUpperCase()}${caseless(w.slice(1))}`)
    .join('|');
}

const suffixes = caseless(
  'street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|close|place|pl|way|terrace|parkway|pkwy|square|squares|sq|highway|hwy|circle|cir|crescent|cres|gateway|route|trail|row|mews|walk|alley|grove|gardens|parks?|hill|heights|points?|union|pass|extensions?|courts?|streets|roads|avenues|plaza|esplanade|quay|wharf',
);
const prefixWords = `${titled('rue|avenue|avenida|via|viale|vicolo|calle|rua|piazza|plaza|praça|carrer|boulevard|chemin|allée|λεωφόρος|οδός')}|ul\\.|ulica|Av\\.|Bd\\.`;
const endings = ['strasse', 'straße', 'str.', 'gasse', 'weg', 'vej', 'vägen', 'gatan', 'gata', 'gade', 'katu', 'kuja', 'tie', 'straat', 'laan', 'plein', 'utca', 'út', 'tér', 'u.', 'allee', 'platz', 'damm', 'markt', 'graben', 'stræti', 'straeti', 'terrasse', 'veien', 'vegen'];
const streetWordEndings = caseless(endings.map((e) => e.replace('.', '\\.')).join('|'));

/** A capitalised street-name word; unit words start the unit part instead ("… Apt. 409"). */
const word = "(?!(?:Apt|Suite|Unit|Ste|Floor)\\b)\\p{Lu}[\\p{L}'’.-]*";
const particle = 'of|du|de|la|le|des|del|al|van|von|der';
const numberFirst = new RegExp(
  `\\d{1,6}[A-Za-z]?(?:\\s\\d{1,5})?\\s(?:(?:${word}|${particle})\\s){1,4}?(?:${suffixes})\\b\\.?|\\d{1,6}[A-Za-z]?(?:\\s\\d{1,5})?\\s(?:${prefixWords})(?:\\s(?:${word}|${particle})){1,4}`,
  'uy',
);
const nameFirst = new RegExp(
  `(?:^|[^\\p{L}\\d])((?:\\d{1,6}[A-Za-z]?\\s)?(?:(?:(?:${prefixWords})\\s)?(?:${word}\\s){0,3}?[\\p{L}'’-]*(?:${streetWordEndings})\\s|(?:${prefixWords})(?:\\s${word}){1,3}\\s))$`,
  'u',
);
/** `20789 Allika 46` is only an address when a unit or place follows (`\n Suite 501`, `, Riisa`). */
const numberNameNumber = new RegExp(`\\d{1,6}[A-Za-z]?\\s(?:${word}\\s){1,3}\\d{1,5}[A-Za-z]?\\.?`, 'uy');
const boxBefore = /(?:^|[^\p{L}])((?:PSC|Unit|CMR)\s|P\.?\s?O\.?\s?Box\s)$/iu;
const militaryBox = /(?:PSC|Unit|CMR)\s\d{1,5},?\s+Box\s\d{1,5},?\s+(?:APO|FPO|DPO)\s(?:AA|AE|AP)\s\d{5}/iy;
const poBox = /P\.?\s?O\.?\s?Box\s\d{1,6}/iy;
// The extension patterns run on text an attacker controls: no two adjacent quantifiers may match
// the same characters (",?\s*\n?[ \t]*" would backtrack quadratically over a run of spaces).
const unitLine = /,?[ \t]*(?:\n[ \t>]*)?(?:apt\.?|apartment|suite|ste\.?|unit|floor|fl\.?|#) ?\d{1,5}[A-Za-z]?/iy;
const cityStateZip = /,?[ \t]*(?:\n[ \t>]*)?\p{L}[\p{L} .'’-]{1,30}, ?\p{L}{2} \d{5}(?:-\d{4})?/uy;
const placeLine = /,?[ \t]*\n[ \t>]*(?:, ?)?\p{L}[\p{L} .'’()-]{0,38}(?: \d{4,6})?(?=[ \t]{0,8}(?:\n|$|[?.!]))/uy;
const commaPlace = /, \p{Lu}[\p{L}'’-]*(?: \p{Lu}[\p{L}'’-]*){0,2}(?: \d{4,6})?(?=[ \t]{0,8}(?:$|[\n?.!,]))/uy;

function sticky(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.exec(text) === null ? -1 : pattern.lastIndex;
}

/** Extends a street line over unit lines, a "City, ST 12345" line and up to two place lines. */
function extend(text: string, end: number): number {
  let next: number;
  while ((next = sticky(unitLine, text, end)) !== -1) end = next;
  if ((next = sticky(cityStateZip, text, end)) !== -1) return next;
  if ((next = sticky(commaPlace, text, end)) !== -1) end = next;
  for (let lines = 0; lines < 3 && (next = sticky(placeLine, text, end)) !== -1; lines++) {
    if (/[:@]|\b(?:mobile|phone|fax|desk|email|e-mail)\b/i.test(text.slice(end, next))) break;
    end = next;
  }
  return end;
}

/** Street-word endings by their last character: a lower-case word before a number is checked
 * against the two or three endings that could fit, not against all of them. */
const endingsByLastChar = new Map<number, string[]>();
for (const ending of endings) {
  const last = ending.charCodeAt(ending.length - 1);
  endingsByLastChar.set(last, [...(endingsByLastChar.get(last) ?? []), ending]);
}

/** Whether text[start, end) ends like a street word; compares in place (most words fail on their
 * last character, so nothing is allocated for them). */
function endsLikeStreet(text: string, start: number, end: number): boolean {
  const candidates = endingsByLastChar.get(text.charCodeAt(end - 1) | 0x20);
  if (candidates === undefined) return false;
  const lower = text.slice(start, end).toLowerCase();
  return candidates.some((ending) => lower.endsWith(ending));
}
const boxWords = new Set(['psc', 'unit', 'cmr', 'box']);
const prefixWordSet = new Set(['rue', 'avenue', 'avenida', 'via', 'viale', 'vicolo', 'calle', 'rua', 'piazza', 'plaza', 'praça', 'carrer', 'boulevard', 'chemin', 'allée', 'λεωφόρος', 'οδός', 'ul.', 'ulica', 'av.', 'bd.']);
const upper = /\p{Lu}/u;

/** An upper-case letter or a digit; the regex only for non-ASCII. */
function isUpperOrDigit(code: number, char: string): boolean {
  if (code < 128) return (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
  return upper.test(char);
}

/** Whether one of the `count` words ending at `end` is a street prefix word ("Vicolo Calcirelli 13"). */
function prefixWordWithin(text: string, end: number, count: number): boolean {
  let wordEnd = end;
  for (let n = 0; n < count && wordEnd > 0; n++) {
    const start = wordStartBefore(text, wordEnd);
    if (start === wordEnd) return false;
    if (prefixWordSet.has(text.slice(start, wordEnd).toLowerCase())) return true;
    if (text.charCodeAt(start - 1) !== 32) return false;
    wordEnd = start - 1;
  }
  return false;
}

function isWordPart(code: number): boolean {
  return code === 46 || code === 39 || code === 0x2019 || code === 45 || isWordChar(code);
}

/** Where the word ending just before `end` starts (letters, '.', apostrophes, '-'; at most 40). */
function wordStartBefore(text: string, end: number): number {
  let start = end;
  while (start > 0 && end - start < 40 && isWordPart(text.charCodeAt(start - 1))) start--;
  return start;
}

export function addressDetector(): Detector {
  return {
    name: 'address',
    atDigitRun(text, runStart, runEnd, found) {
      const before = text.charCodeAt(runStart - 1);
      if (runStart > 0 && isWordChar(before)) return;
      // Cheap gates first: every form needs "<word> <number>" or "<number> <Capital|digit>".
      const wordEnd = runStart - 1;
      const wordStart = before === 32 ? wordStartBefore(text, wordEnd) : wordEnd;
      const next = text.charCodeAt(runEnd) | 0x20;
      const gap = next >= 97 && next <= 122 ? runEnd + 1 : runEnd; // "221B Baker Street"
      const numberFirstPossible = runEnd - runStart <= 6 && text.charCodeAt(gap) === 32 && isUpperOrDigit(text.charCodeAt(gap + 1), text.charAt(gap + 1));
      // Name-first forms need a street-word ending on the word before the number, or a prefix
      // word ("Rue", "Via", "ul.") among the words before it.
      const namedPossible =
        wordStart < wordEnd &&
        (endsLikeStreet(text, wordStart, wordEnd) || (isUpperOrDigit(text.charCodeAt(wordStart), text.charAt(wordStart)) && prefixWordWithin(text, wordEnd, 4)));
      const boxPossible = wordEnd - wordStart <= 4 && wordStart < wordEnd && boxWords.has(text.slice(wordStart, wordEnd).toLowerCase());
      if (!numberFirstPossible && !namedPossible && !boxPossible) return;
      const window = textBefore(text, runStart, 48);
      let start = -1;
      let end = -1;
      if (boxPossible) {
        const box = boxBefore.exec(window);
        if (box !== null) {
          start = runStart - box[1]!.length;
          end = sticky(militaryBox, text, start);
          if (end === -1) end = sticky(poBox, text, start);
          if (end === -1) start = -1;
        }
      }
      if (start === -1 && numberFirstPossible) {
        end = sticky(numberFirst, text, runStart);
        if (end !== -1) {
          start = runStart;
          // "St." keeps its dot; "Street." ends a sentence.
          if (text.charCodeAt(end - 1) === 46 && /\p{L}{5}\.$/u.test(text.slice(end - 6, end))) end--;
        }
        else {
          end = sticky(numberNameNumber, text, runStart);
          if (end !== -1 && (sticky(unitLine, text, end) !== -1 || sticky(commaPlace, text, end) !== -1)) start = runStart;
        }
      }
      if (start === -1 && namedPossible) {
        const named = nameFirst.exec(window);
        if (named !== null) {
          start = runStart - named[1]!.length;
          end = runEnd;
          if (text.charCodeAt(end) === 46 && !/\d/.test(text.charAt(end + 1))) end++; // "u. 97."
        }
      }
      if (start === -1 || isWordChar(text.charCodeAt(end))) return;
      found.push({ type: 'ADDRESS', start, end: extend(text, end), detector: 'address', priority: detectorPriority.address });
    },
  };
}
