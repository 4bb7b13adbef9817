/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. Each record keeps
 * the 1-based line it starts on, so a bad row can be reported where an editor shows it.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
}

const countNewlines = (text: string): number => {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
};

export function parseCsv(text: string): CsvRecord[] {
  const source = text.replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  const delimiter = /[,\r\n]/g;
  let line = 1;
  let position = 0;
  while (position < source.length) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (source[position] === '"') {
        // Scan whole quoted runs with indexOf rather than char by char: most fields hold no quotes.
        let end = position + 1;
        let raw = '';
        for (;;) {
          const quote = source.indexOf('"', end);
          if (quote < 0) {
            raw += source.slice(end);
            end = source.length;
            break;
          }
          raw += source.slice(end, quote);
          if (source[quote + 1] === '"') {
            raw += '"';
            end = quote + 2;
          } else {
            end = quote + 1;
            break;
          }
        }
        line += countNewlines(raw);
        // Text after the closing quote (malformed, e.g. "a"b) is kept rather than dropped.
        delimiter.lastIndex = end;
        const next = delimiter.exec(source);
        const stop = next ? next.index : source.length;
        value = raw + source.slice(end, stop);
        position = stop;
      } else {
        delimiter.lastIndex = position;
        const next = delimiter.exec(source);
        const stop = next ? next.index : source.length;
        value = source.slice(position, stop);
        position = stop;
      }
      fields.push(value);
      const separator = source[position];
      if (separator === ',') {
        position++;
        continue;
      }
      if (separator === '\r') position++;
      if (source[position] === '\n') position++;
      line++;
      break;
    }
    // A blank line is not a record of one empty field.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
  }
  return records;
}
