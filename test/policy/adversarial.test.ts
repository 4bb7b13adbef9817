import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScanner } from '../../src/policy/create-scanner.ts';

/**
 * The adversarial table: obfuscated values that must still be found (with the exact span), and
 * near misses that must not be. Every secret below is made up; none is a live credential.
 */

const scanner = createScanner();

/** [type, value] pairs found in `text`, values read back from the ORIGINAL text by offset. */
function found(text: string): Array<[string, string]> {
  return scanner.scan(text).map((d) => [d.type, text.slice(d.start, d.end)]);
}

const zw = '\u200B';
const fullWidth = (value: string): string => value.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const arabicIndic = (value: string): string => value.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));

const fakeJwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const pem = `-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\ncXKEXAMPLEONLYNOTAREALKEYxfn0ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpFAB==\n-----END RSA PRIVATE KEY-----`;

const mustFind: Array<{ name: string; text: string; expect: Array<[string, string]> }> = [
  // Cards: any grouping, full-width or Arabic-Indic digits, zero-width characters inside.
  { name: 'card, spaced', text: 'card 4111 1111 1111 1111 exp 12/29', expect: [['CREDIT_CARD', '4111 1111 1111 1111']] },
  { name: 'card, dashes', text: 'pay with 5500-0000-0000-0004 please', expect: [['CREDIT_CARD', '5500-0000-0000-0004']] },
  { name: 'card, one digit at a time', text: 'it is 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 ok', expect: [['CREDIT_CARD', '4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1']] },
  { name: 'card, " - " between groups', text: 'amex 3782 - 822463 - 10005', expect: [['CREDIT_CARD', '3782 - 822463 - 10005']] },
  { name: 'card, full-width digits', text: `card ${fullWidth('4111 1111 1111 1111')}.`, expect: [['CREDIT_CARD', fullWidth('4111 1111 1111 1111')]] },
  { name: 'card, zero-width spaces', text: `n: 4111${zw}1111${zw}1111${zw}1111`, expect: [['CREDIT_CARD', `4111${zw}1111${zw}1111${zw}1111`]] },
  { name: 'card, Arabic-Indic digits', text: `رقم ${arabicIndic('4111111111111111')}`, expect: [['CREDIT_CARD', arabicIndic('4111111111111111')]] },
  { name: 'card followed by more digits', text: 'cc 4111 1111 1111 1111 2029', expect: [['CREDIT_CARD', '4111 1111 1111 1111']] },
  // E-mail, spelled out or disguised.
  { name: 'email', text: 'write to jane.doe+tag@mail.example.co.uk.', expect: [['EMAIL', 'jane.doe+tag@mail.example.co.uk']] },
  { name: 'email, [at] [dot]', text: 'jane.doe [at] example [dot] com', expect: [['EMAIL', 'jane.doe [at] example [dot] com']] },
  { name: 'email, at … dot', text: 'reach me: jane dot doe at example dot com thanks', expect: [['EMAIL', 'jane dot doe at example dot com']] },
  { name: 'email, (at)(dot)', text: 'jane(at)example(dot)org', expect: [['EMAIL', 'jane(at)example(dot)org']] },
  { name: 'email, spaces round @', text: 'mail jane @ example.com now', expect: [['EMAIL', 'jane @ example.com']] },
  { name: 'email, full-width', text: fullWidth('jane@example.com'), expect: [['EMAIL', fullWidth('jane@example.com')]] },
  { name: 'email, zero-width inside', text: `jane${zw}@exa${zw}mple.com`, expect: [['EMAIL', `jane${zw}@exa${zw}mple.com`]] },
  // Phones, international and national, with and without a phone word.
  { name: 'phone, UK international', text: 'ring +44 20 7946 0958 today', expect: [['PHONE', '+44 20 7946 0958']] },
  { name: 'phone, NANP', text: 'office (212) 555-0147 ext. 12', expect: [['PHONE', '(212) 555-0147 ext. 12']] },
  { name: 'phone, German with trunk (0)', text: 'Tel +49 (0)30 901820', expect: [['PHONE', '+49 (0)30 901820']] },
  { name: 'phone, French pairs', text: 'Appelez 01 42 68 53 00', expect: [['PHONE', '01 42 68 53 00']] },
  { name: 'phone, bare digits after a phone word', text: 'call me at 0612345678', expect: [['PHONE', '0612345678']] },
  { name: 'phone, em dashes', text: 'number 212—555—0147', expect: [['PHONE', '212—555—0147']] },
  { name: 'phone, full-width', text: `Phone: ${fullWidth('+1 212 555 0147')}`, expect: [['PHONE', fullWidth('+1 212 555 0147')]] },
  // SSN, IBAN, IP.
  { name: 'ssn', text: 'SSN 123-45-6789.', expect: [['US_SSN', '123-45-6789']] },
  { name: 'ssn, spaced', text: 'his number 123 45 6789', expect: [['US_SSN', '123 45 6789']] },
  { name: 'ssn, bare with context', text: 'social security number: 123456789', expect: [['US_SSN', '123456789']] },
  { name: 'iban, grouped', text: 'IBAN GB82 WEST 1234 5698 7654 32 thanks', expect: [['IBAN', 'GB82 WEST 1234 5698 7654 32']] },
  { name: 'iban, compact lower-case', text: 'to de89370400440532013000.', expect: [['IBAN', 'de89370400440532013000']] },
  { name: 'ipv4 with port', text: 'host 10.0.0.1:8080 is down', expect: [['IP_ADDRESS', '10.0.0.1']] },
  { name: 'ipv4, defanged', text: 'c2 at 185[.]220[.]101[.]4', expect: [['IP_ADDRESS', '185[.]220[.]101[.]4']] },
  { name: 'ipv6', text: 'from 2001:db8::8a2e:370:7334.', expect: [['IP_ADDRESS', '2001:db8::8a2e:370:7334']] },
  { name: 'ipv6, link-local', text: 'gw fe80::1 up', expect: [['IP_ADDRESS', 'fe80::1']] },
  // Secrets.
  { name: 'openai key', text: 'OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z', expect: [['SECRET', 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z']] },
  { name: 'anthropic key', text: 'key sk-ant-api03-AbCdEfGh12345678IjKlMnOp90123456QrStUvWx-yz_0123456789', expect: [['SECRET', 'sk-ant-api03-AbCdEfGh12345678IjKlMnOp90123456QrStUvWx-yz_0123456789']] },
  { name: 'aws access key id', text: 'aws AKIAIOSFODNN7EXAMPLE', expect: [['SECRET', 'AKIAIOSFODNN7EXAMPLE']] },
  { name: 'github token', text: 'export GH=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8', expect: [['SECRET', 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8']] },
  { name: 'slack token', text: 'xoxb-1234567890-abcdefABCDEF', expect: [['SECRET', 'xoxb-1234567890-abcdefABCDEF']] },
  { name: 'google api key', text: 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', expect: [['SECRET', 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q']] },
  { name: 'stripe key', text: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', expect: [['SECRET', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc']] },
  { name: 'jwt', text: `Authorization ${fakeJwt}`, expect: [['SECRET', fakeJwt]] },
  { name: 'private key block', text: `here:\n${pem}\nthanks`, expect: [['SECRET', pem]] },
  { name: 'private key, cut off', text: pem.slice(0, 120), expect: [['SECRET', pem.slice(0, 120)]] },
  { name: 'private key, only its end', text: `and the rest\n${pem.slice(pem.indexOf('\n') + 1)}`, expect: [['SECRET', pem.slice(pem.indexOf('\n') + 1)]] },
  { name: 'high-entropy token', text: 'use aZ3kP9qL2xW7mN4tR8vB1cY6 for the webhook', expect: [['SECRET', 'aZ3kP9qL2xW7mN4tR8vB1cY6']] },
  { name: 'password assignment', text: 'db_password: "Tr0ub4dor&3"', expect: [['SECRET', 'Tr0ub4dor&3']] },
  { name: 'password in a URL', text: 'postgres://app:s3cr3tPa55@db.internal:5432/prod', expect: [['SECRET', 's3cr3tPa55']] },
  { name: 'token in a query string', text: 'GET https://api.example.com/v1?token=Zx81kLmP0qR7 now', expect: [['SECRET', 'Zx81kLmP0qR7']] },
  // Dates of birth and addresses.
  { name: 'dob, numeric', text: 'She was born on 7/30/1964 in Ohio', expect: [['DATE_OF_BIRTH', '7/30/1964']] },
  { name: 'dob, ISO', text: 'DOB: 1964-07-30', expect: [['DATE_OF_BIRTH', '1964-07-30']] },
  { name: 'dob, words', text: 'date of birth: 30th of July, 1964', expect: [['DATE_OF_BIRTH', '30th of July, 1964']] },
  { name: 'dob, month first', text: 'born July 30, 1964', expect: [['DATE_OF_BIRTH', 'July 30, 1964']] },
  { name: 'address, number first', text: 'ship to 221B Baker Street, London. Thanks', expect: [['ADDRESS', '221B Baker Street, London']] },
  { name: 'address, stops before prose', text: 'ship to 221B Baker Street, then call', expect: [['ADDRESS', '221B Baker Street']] },
  { name: 'address, name first', text: 'wohnt in der Hauptstraße 5', expect: [['ADDRESS', 'Hauptstraße 5']] },
  { name: 'address, military box', text: 'mail PSC 1234, Box 5678\nAPO AA 12345', expect: [['ADDRESS', 'PSC 1234, Box 5678\nAPO AA 12345']] },
];

const mustNotFind: Array<{ name: string; text: string; type: string }> = [
  { name: 'card failing Luhn', text: 'card 4111 1111 1111 1112', type: 'CREDIT_CARD' },
  { name: 'card failing Luhn is no phone either', text: 'card 4111 1111 1111 1112', type: 'PHONE' },
  { name: 'Luhn-valid digits with no issuer', text: 'ref 9111 1111 1111 1119', type: 'CREDIT_CARD' },
  { name: 'long order id', text: 'order 4111111111111111222233', type: 'CREDIT_CARD' },
  { name: 'ssn area 000', text: 'id 000-12-3456', type: 'US_SSN' },
  { name: 'ssn area 666', text: 'id 666-12-3456', type: 'US_SSN' },
  { name: 'ssn group 00', text: 'id 123-00-4567', type: 'US_SSN' },
  { name: 'nine bare digits without context', text: 'tracking 123456789', type: 'US_SSN' },
  { name: 'iban with a bad checksum', text: 'GB82 WEST 1234 5698 7654 33', type: 'IBAN' },
  { name: 'iban with the wrong length', text: 'GB82WEST123456987654', type: 'IBAN' },
  { name: 'octet over 255', text: 'ip 999.1.1.1', type: 'IP_ADDRESS' },
  { name: 'five dotted numbers', text: 'oid 1.2.3.4.5', type: 'IP_ADDRESS' },
  { name: 'C++ scope', text: 'Add::Feed and std::vector', type: 'IP_ADDRESS' },
  { name: 'a time', text: 'at 12:30:45 sharp', type: 'IP_ADDRESS' },
  { name: 'a date is not a phone', text: 'Date: 2015-12-22 04:34:22', type: 'PHONE' },
  { name: 'a list of small numbers', text: "assert f(10) == '0 1 2 3 4 5 6 7 8 9 10'", type: 'PHONE' },
  { name: 'a number glued to a word', text: 'model gpt4o-2024-08-06', type: 'PHONE' },
  { name: 'prose "at"', text: 'Look at example.com for details', type: 'EMAIL' },
  { name: 'sk- word', text: 'we use sk-learn-compatible-estimators here', type: 'SECRET' },
  { name: 'git sha', text: 'commit 3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39', type: 'SECRET' },
  { name: 'uuid', text: 'id 550e8400-e29b-41d4-a716-446655440000', type: 'SECRET' },
  { name: 'snake_case name with digits', text: 'run test_model_2023_version_final_v2', type: 'SECRET' },
  { name: 'placeholder password', text: 'password: ${DB_PASSWORD}', type: 'SECRET' },
  { name: 'an id in a link', text: 'see https://docs.example.com/d/1A2b3C4d5E6f7G8h9I0jKlMnOpQr/edit', type: 'SECRET' },
  { name: 'plain-word password', text: 'The password is incorrect', type: 'SECRET' },
  { name: 'date without birth context', text: 'meeting on 7/30/2024', type: 'DATE_OF_BIRTH' },
  { name: 'impossible birth date', text: 'born on 2/30/1964', type: 'DATE_OF_BIRTH' },
  { name: 'prose with a number and a road', text: 'I saw 3 cats on the road', type: 'ADDRESS' },
];

describe('adversarial table: obfuscated values are found with exact spans', () => {
  for (const row of mustFind) {
    it(row.name, () => assert.deepEqual(found(row.text), row.expect));
  }
});

describe('adversarial table: near misses are not reported', () => {
  for (const row of mustNotFind) {
    it(`${row.name} → no ${row.type}`, () => {
      const hits = found(row.text).filter(([type]) => type === row.type);
      assert.deepEqual(hits, [], `unexpected ${row.type} in ${JSON.stringify(row.text)}`);
    });
  }
});

describe('adversarial table: secrets split across messages', () => {
  it('finds a key cut in two and marks both halves', () => {
    const messages = ['my key is sk-proj-Ab3dEf6hIj9k', 'Lm2nOp5qRs8tUv1wXy4z thanks'];
    const [first, second] = scanner.scanMany(messages);
    assert.deepEqual(first, [{ type: 'SECRET', start: 10, end: messages[0]!.length, detector: 'openai-key', crossesBoundary: true }]);
    assert.deepEqual(second, [{ type: 'SECRET', start: 0, end: 20, detector: 'openai-key', crossesBoundary: true }]);
  });

  it('finds a card number cut between two messages', () => {
    const [first, second] = scanner.scanMany(['card 4111 1111', ' 1111 1111']);
    assert.deepEqual(first!.map((d) => d.type), ['CREDIT_CARD']);
    assert.deepEqual(second!.map((d) => [d.type, d.start, d.end]), [['CREDIT_CARD', 0, 10]]);
  });

  it('finds a private key whose BEGIN and END lines are in different messages', () => {
    const cut = pem.indexOf('\n', 40);
    const [first, second] = scanner.scanMany([`key:\n${pem.slice(0, cut)}`, pem.slice(cut)]);
    assert.equal(first!.length, 1);
    assert.equal(first![0]!.type, 'SECRET');
    assert.equal(second!.length, 1);
    assert.equal(second![0]!.end, pem.length - cut);
  });

  it('does not blame the next message for a value that was complete before it', () => {
    const key = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z';
    const [first, second] = scanner.scanMany([`my key is ${key}`, 'Thanks for checking']);
    assert.deepEqual(first!.map((d) => [d.type, d.crossesBoundary]), [['SECRET', undefined]]);
    assert.deepEqual(second, []);
    const [mail, rest] = scanner.scanMany(['write to', 'jane@example.com today']);
    assert.deepEqual(mail, []);
    assert.deepEqual(rest!.map((d) => d.type), ['EMAIL']);
  });

  it('reports nothing extra for unrelated neighbours', () => {
    const result = scanner.scanMany(['hello there', 'general kenobi']);
    assert.deepEqual(result, [[], []]);
  });
});
