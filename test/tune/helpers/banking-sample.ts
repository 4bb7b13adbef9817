import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A handful of customer-support utterances (banking77 style), one per line, in a temp folder. */
export const bankingLines = [
  'I am still waiting on my card?',
  'What can I do if my card still has not arrived after 2 weeks?',
  'How do I top up my account with a bank transfer?',
  'Why was I charged a fee for my card payment?',
  'Can I change my PIN at an ATM?',
  'My card payment was declined, what should I do?',
  'How long does a transfer from another bank take?',
  'I want to cancel a transaction I made yesterday.',
  'Where can I find my card details in the app?',
  'Is there a fee for exchanging currencies?',
  'My top up did not go through, please help.',
  'How do I verify my identity for the account?',
];

export function tempDir(prefix = 'unbundle-tune-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function writeLines(dir: string, name: string, lines: readonly string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
