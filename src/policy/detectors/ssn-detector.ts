import { ssnValid } from '../checksums.ts';
import { detectorPriority, isWordChar, textBefore, type Detector } from '../detection.ts';

/**
 * US Social Security numbers: AAA-GG-SSSS with '-', ' ', '.' or " - " between the parts (the same
 * separator twice), checked against the SSA's structural rules. Nine bare digits are any id at
 * all, so they count only next to a word about social security.
 */

const ssnShape = /(\d{3})(-| - | |\.|)(\d{2})\2(\d{4})/y;
const separatorStart = /[- .]/;
const ssnContext = /\bssn|social\s+security|\bss\s?#|\bss\s?no|soc\.?\s?sec/i;

export function ssnDetector(): Detector {
  return {
    name: 'us-ssn',
    atDigitRun(text, runStart, runEnd, found) {
      const length = runEnd - runStart;
      if (length !== 9 && (length !== 3 || !separatorStart.test(text.charAt(runEnd)))) return;
      const before = text.charCodeAt(runStart - 1);
      if (runStart > 0 && (isWordChar(before) || before === 45 || before === 46)) return;
      ssnShape.lastIndex = runStart;
      const match = ssnShape.exec(text);
      if (match === null) return;
      const end = ssnShape.lastIndex;
      const after = text.charCodeAt(end);
      if (isWordChar(after)) return;
      if ((after === 45 || after === 46) && /\d/.test(text.charAt(end + 1))) return;
      if (!ssnValid(match[1]!, match[3]!, match[4]!)) return;
      if (match[2] === '' && !ssnContext.test(textBefore(text, runStart, 40))) return;
      found.push({ type: 'US_SSN', start: runStart, end, detector: 'us-ssn', priority: detectorPriority.usSsn });
    },
  };
}
