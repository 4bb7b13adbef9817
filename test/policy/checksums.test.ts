import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ibanChecksumValid, ibanValid, ipv4Valid, ipv6Valid, luhnValid, shannonEntropy, ssnValid } from '../../src/policy/checksums.ts';

describe('checksums', () => {
  it('Luhn accepts valid numbers, ignores separators, rejects one changed digit', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111-1111 1111.1111'), true);
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(luhnValid(''), false);
  });

  it('IBAN: country length table plus mod 97, any case', () => {
    assert.equal(ibanValid('GB82WEST12345698765432'), true);
    assert.equal(ibanValid('gb82west12345698765432'), true);
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(ibanValid('GB82WEST12345698765433'), false, 'checksum');
    assert.equal(ibanValid('GB82WEST1234569876543'), false, 'length');
    assert.equal(ibanValid('ZZ82WEST12345698765432'), false, 'country');
    assert.equal(ibanChecksumValid('GB82WEST12345698765432'), true);
    assert.equal(ibanChecksumValid('GB82-WEST'), false, 'non-alphanumeric characters are not skipped');
  });

  it('SSN structure rules', () => {
    assert.equal(ssnValid('123', '45', '6789'), true);
    assert.equal(ssnValid('000', '45', '6789'), false);
    assert.equal(ssnValid('666', '45', '6789'), false);
    assert.equal(ssnValid('900', '45', '6789'), false);
    assert.equal(ssnValid('123', '00', '6789'), false);
    assert.equal(ssnValid('123', '45', '0000'), false);
    assert.equal(ssnValid('078', '05', '1120'), false, 'the Woolworth wallet number');
  });

  it('IP addresses', () => {
    assert.equal(ipv4Valid('255.255.255.255'), true);
    assert.equal(ipv4Valid('256.1.1.1'), false);
    assert.equal(ipv4Valid('01.2.3.4'), false, 'leading zeros are not decimal octets');
    for (const ok of ['::1', 'fe80::1', '2001:db8::8a2e:370:7334', '1:2:3:4:5:6:7:8', '::ffff:10.0.0.1', '1::']) assert.equal(ipv6Valid(ok), true, ok);
    for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '12345::1', '1:2:3:4:5:6:7:8:9', 'g::1', ':', '::ffff:999.0.0.1']) assert.equal(ipv6Valid(bad), false, bad);
  });

  it('Shannon entropy', () => {
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.ok(shannonEntropy('aZ3kP9qL2xW7mN4tR8vB1cY6') > 4.4);
  });
});
