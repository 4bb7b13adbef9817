import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnbundleError } from '../../src/errors.ts';
import { createScanner } from '../../src/policy/create-scanner.ts';
import type { Detection, EntityRecognizer } from '../../src/policy/detection.ts';

function pairs(detections: Detection[], text: string): Array<[string, string]> {
  return detections.map((d) => [d.type, text.slice(d.start, d.end)]);
}

function assertNonOverlappingSorted(detections: Detection[]): void {
  for (let i = 1; i < detections.length; i++) {
    assert.ok(detections[i - 1]!.end <= detections[i]!.start, `overlap or disorder: ${JSON.stringify(detections.slice(i - 1, i + 1))}`);
  }
}

describe('createScanner', () => {
  it('returns sorted, non-overlapping spans across all detectors', () => {
    const text = [
      'From: jane.doe@example.com, phone +1 (212) 555-0147, card 4111-1111-1111-1111,',
      'IBAN DE89 3704 0044 0532 0130 00, ssn 123-45-6789, host 192.168.0.10,',
      'key ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8, born on 1964-07-30, lives at 14 Crown Street.',
    ].join('\n');
    const detections = createScanner().scan(text);
    assertNonOverlappingSorted(detections);
    assert.deepEqual(pairs(detections, text), [
      ['EMAIL', 'jane.doe@example.com'],
      ['PHONE', '+1 (212) 555-0147'],
      ['CREDIT_CARD', '4111-1111-1111-1111'],
      ['IBAN', 'DE89 3704 0044 0532 0130 00'],
      ['US_SSN', '123-45-6789'],
      ['IP_ADDRESS', '192.168.0.10'],
      ['SECRET', 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'],
      ['DATE_OF_BIRTH', '1964-07-30'],
      ['ADDRESS', '14 Crown Street'],
    ]);
  });

  it('resolves overlaps by priority: a Luhn-valid card beats a phone reading of the same digits', () => {
    const text = 'call 4111 1111 1111 1111';
    assert.deepEqual(pairs(createScanner().scan(text), text), [['CREDIT_CARD', '4111 1111 1111 1111']]);
    assert.deepEqual(pairs(createScanner({ types: ['PHONE'] }).scan(text), text), [], 'sixteen digits are no phone number');
  });

  it('maps spans back through removed zero-width characters and replaced full-width digits', () => {
    const text = `a\u200Bb ＋４４ ２０ ７９４６ ０９５８ and x\u200D@y.io`;
    const detections = createScanner().scan(text);
    assert.deepEqual(pairs(detections, text), [
      ['PHONE', '＋４４ ２０ ７９４６ ０９５８'],
      ['EMAIL', 'x\u200D@y.io'],
    ]);
  });

  it('only runs the types asked for, and rejects unknown ones', () => {
    const text = 'jane@example.com 10.0.0.1';
    assert.deepEqual(pairs(createScanner({ types: ['IP_ADDRESS'] }).scan(text), text), [['IP_ADDRESS', '10.0.0.1']]);
    assert.deepEqual(createScanner({ types: ['IP_ADDRESS'] }).types, ['IP_ADDRESS']);
    assert.throws(() => createScanner({ types: ['PASSPORT' as never] }), (error: unknown) => error instanceof UnbundleError && error.code === 'UNBUNDLE_E_CONFIG' && /PASSPORT/.test(error.message));
  });

  it('drops allow-listed values: exact (any case), by regex, and limited to a type', () => {
    const text = 'Support@Example.com, bob@example.com, 10.0.0.1, 8.8.8.8, 192.168.1.5';
    const scanner = createScanner({
      allow: ['support@example.com', { pattern: '^192\\.168\\.' }, { value: '8.8.8.8', type: 'EMAIL' }],
    });
    assert.deepEqual(pairs(scanner.scan(text), text), [
      ['EMAIL', 'bob@example.com'],
      ['IP_ADDRESS', '10.0.0.1'],
      ['IP_ADDRESS', '8.8.8.8'],
    ]);
  });

  it('runs custom detectors with validators and capture groups; they win overlaps', () => {
    const text = 'EMP-123456 and ref 4111111111111111 and acct: 79927398713 and 79927398710';
    const scanner = createScanner({
      custom: [
        { label: 'EMPLOYEE_ID', pattern: 'EMP-\\d{6}' },
        { label: 'ACCOUNT', pattern: '\\b\\d{11}\\b', validator: 'luhn' },
        { label: 'REF', pattern: 'ref (\\d+)', group: 1 },
      ],
    });
    assert.deepEqual(pairs(scanner.scan(text), text), [
      ['EMPLOYEE_ID', 'EMP-123456'],
      ['REF', '4111111111111111'],
      ['ACCOUNT', '79927398713'],
    ]);
    assert.deepEqual(scanner.types.slice(0, 3), ['EMPLOYEE_ID', 'ACCOUNT', 'REF']);
  });

  it('rejects bad custom detectors with a config error', () => {
    const bad = (spec: object): void =>
      assert.throws(() => createScanner({ custom: [spec as never] }), (error: unknown) => error instanceof UnbundleError && error.code === 'UNBUNDLE_E_CONFIG');
    bad({ label: 'lower', pattern: 'x' });
    bad({ label: 'X', pattern: '(' });
    bad({ label: 'X', pattern: 'a*' });
    bad({ label: 'X', pattern: 'a', group: 2 });
    bad({ label: 'X', pattern: 'a', flags: 'x' });
  });

  it('finds PERSON only from a configured name list, with initials and a following surname', () => {
    const text = 'Janka M. Szász met Bob and will meet May later. Sara Schwarz too.';
    assert.deepEqual(createScanner().scan(text).filter((d) => d.type === 'PERSON'), []);
    const scanner = createScanner({ personNames: ['Janka', 'Szász', 'Sara'] });
    assert.deepEqual(pairs(scanner.scan(text), text), [
      ['PERSON', 'Janka M. Szász'],
      ['PERSON', 'Sara Schwarz'],
    ]);
  });

  it('takes spans from a recognizer (the NER seam); built-in detections win overlaps', () => {
    const recognizer: EntityRecognizer = {
      name: 'fake-ner',
      recognize: (text) => [
        { type: 'PERSON', start: text.indexOf('Ada'), end: text.indexOf('Ada') + 3 },
        { type: 'ORG', start: 0, end: 5 },
      ],
    };
    const text = 'mail: ada@example.com — Ada';
    const detections = createScanner({ recognizers: [recognizer] }).scan(text);
    assert.deepEqual(
      detections.map((d) => [d.type, text.slice(d.start, d.end), d.detector]),
      [
        ['ORG', 'mail:', 'fake-ner'],
        ['EMAIL', 'ada@example.com', 'email'],
        ['PERSON', 'Ada', 'fake-ner'],
      ],
    );
  });

  it('high-entropy tokens can be turned off or tuned', () => {
    const text = 'token aZ3kP9qL2xW7mN4tR8vB1cY6 here';
    assert.equal(createScanner().scan(text).length, 1);
    assert.equal(createScanner({ highEntropy: false }).scan(text).length, 0);
    assert.equal(createScanner({ highEntropy: { minLength: 40 } }).scan(text).length, 0);
  });

  it('scanMany returns one list per text, in order, and joins only neighbours', () => {
    const scanner = createScanner();
    const texts = ['a@b.co', '', 'nothing', 'x 10.0.0.1'];
    assert.deepEqual(
      scanner.scanMany(texts).map((list) => list.map((d) => d.type)),
      [['EMAIL'], [], [], ['IP_ADDRESS']],
    );
    assert.deepEqual(scanner.scanMany([]), []);
  });

  it('scanMany prefers the joined value over what a half looked like alone', () => {
    // Alone, the second half "1111 1111 1111" is nothing; joined with "4111 " it is a card.
    const [first, second] = createScanner().scanMany(['pay with 4111', ' 1111 1111 1111 now']);
    assert.deepEqual(first!.map((d) => [d.type, d.crossesBoundary]), [['CREDIT_CARD', true]]);
    assert.deepEqual(second!.map((d) => [d.type, d.start, d.end]), [['CREDIT_CARD', 0, 15]]);
  });
});
