import type { DatasetRecord } from './dataset-records.ts';

/** All of a record's text, fields joined by newlines: what dedupe compares and the split hashes. */
export function recordText(record: DatasetRecord): string {
  switch (record.kind) {
    case 'text':
      return record.text;
    case 'completion':
      return `${record.prompt}\n${record.completion}`;
    case 'chat':
      return record.messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : ''}`).join('\n');
  }
}

/** The same record with every text field passed through `map` (scrubbing). */
export function mapRecordText(record: DatasetRecord, map: (text: string) => string): DatasetRecord {
  switch (record.kind) {
    case 'text':
      return { ...record, text: map(record.text) };
    case 'completion':
      return { ...record, prompt: map(record.prompt), completion: map(record.completion) };
    case 'chat':
      return { ...record, messages: record.messages.map((m) => ({ ...m, content: typeof m.content === 'string' ? map(m.content) : m.content })) };
  }
}

/** One JSON line in the shape fine-tuning tools read back (`tune train` included). */
export function recordJson(record: DatasetRecord): string {
  switch (record.kind) {
    case 'text':
      return JSON.stringify({ text: record.text });
    case 'completion':
      return JSON.stringify({ prompt: record.prompt, completion: record.completion });
    case 'chat':
      return JSON.stringify({ messages: record.messages.map((m) => ({ role: m.role, content: m.content })) });
  }
}
