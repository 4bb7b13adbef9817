/** One CSV record and the 1-based line it starts on, so errors can point at the file. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Thrown for malformed CSV; `line` is where the broken record starts. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes, `""` for a quote inside a
 * quoted field, and newlines allowed inside quotes (MMLU's questions have them). CRLF and LF are
 * both accepted; blank lines are skipped. A quote in the middle of an unquoted field is kept as
 * text, since spreadsheet exports produce that and rejecting it helps nobody.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  // True once the current record has any content, so a blank line is not a record of one "" field.
  let inRecord = false;
  let atFieldStart = true;

  const endRecord = (): void => {
    if (inRecord) records.push({ line: recordLine, fields: [...fields, field] });
    fields = [];
    field = '';
    inRecord = false;
    atFieldStart = true;
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && atFieldStart) {
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new CsvSyntaxError(quoteLine, 'a quoted field is never closed (missing the closing ")');
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      inRecord = true;
      atFieldStart = false;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvSyntaxError(line, `unexpected text after a closing quote: ${JSON.stringify(text.slice(i, i + 12))} — a quoted field must end at a comma or the end of the line`);
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      inRecord = true;
      atFieldStart = true;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    inRecord = true;
    atFieldStart = false;
    i++;
  }
  endRecord();
  return records;
}
