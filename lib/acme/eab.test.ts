// EAB MAC key parsing and the explanations for a CA's newAccount refusals. The refusals below are
// the problem documents Debian's pebble 2.4 answers (measured; test/e2e/acme-eab.test.ts runs
// the same cases against a real pebble).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ExternalAccountBindingError, explainNewAccountError, parseMacKey } from './eab.ts';
import { AcmeProblemError } from './errors.ts';

const raw = randomBytes(32);
const unpadded = raw.toString('base64url');

test('parseMacKey: accepted spellings of one MAC key all give the same unpadded base64url', () => {
  const cases: Array<[string, string]> = [
    ['unpadded base64url, as CAs hand it out', unpadded],
    ['with a trailing newline (kubectl create secret --from-file)', `${unpadded}\n`],
    ['standard base64 with padding', raw.toString('base64')],
  ];
  for (const [name, text] of cases) assert.equal(parseMacKey(text, 'Secret ns/eab entry "k"'), unpadded, name);
});

test('parseMacKey: bad keys are refused with where they are, never with the key', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['empty', ' \n', /Secret ns\/eab entry "k" is empty/],
    ['spaces inside', 'abcd efgh', /is not a base64url MAC key/],
    ['a quoted value', `"${unpadded}"`, /is not a base64url MAC key/],
    ['impossible length', 'abcde', /is not a base64url MAC key/],
  ];
  for (const [name, text, re] of cases) {
    assert.throws(
      () => parseMacKey(text, 'Secret ns/eab entry "k"'),
      (err: Error) => {
        assert.ok(err instanceof ExternalAccountBindingError, name);
        assert.match(err.message, re, name);
        if (text.trim()) assert.ok(!err.message.includes(text.trim()), `${name}: the key is not in the message`);
        return true;
      },
    );
  }
});

const problem = (type: string, detail: string) => new AcmeProblemError(`urn:ietf:params:acme:error:${type}`, detail, 403);
const source = { keyID: 'kid-1', secret: 'team/zerossl-eab' };

test('explainNewAccountError: no EAB configured and the CA requires it', () => {
  const err = explainNewAccountError(
    problem('externalAccountRequired', "ACME server policy requires newAccount requests must include a value for the 'externalAccountBinding' field"),
    undefined,
  );
  assert.ok(err instanceof ExternalAccountBindingError);
  assert.match(err.message, /^the ACME server requires external account binding: set spec\.acme\.externalAccountBinding/);
  assert.match(err.message, /urn:ietf:params:acme:error:externalAccountRequired/, 'the CA’s own words are kept');
});

test('explainNewAccountError: the CA rejected the configured binding', () => {
  const cases: Array<[string, AcmeProblemError]> = [
    ['wrong MAC key', problem('unauthorized', 'external account binding JWS verification error: square/go-jose: error in cryptographic primitive')],
    ['unknown key ID', problem('unauthorized', "the field 'kid' references a key that is not known to the ACME server")],
    ['malformed binding', problem('malformed', 'externalAccountBinding: invalid JWS')],
  ];
  for (const [name, p] of cases) {
    const err = explainNewAccountError(p, source);
    assert.ok(err instanceof ExternalAccountBindingError, name);
    assert.match(
      err.message,
      /^the ACME server rejected the external account binding for key ID "kid-1": check keyID and the MAC key in Secret team\/zerossl-eab \(/,
      name,
    );
    assert.ok(err.message.includes(p.detail), `${name}: detail kept`);
  }
});

test('explainNewAccountError: unrelated errors pass through unchanged', () => {
  const cases: Array<[string, unknown, typeof source | undefined]> = [
    ['bad contact with EAB', problem('invalidContact', 'contact email has invalid domain'), source],
    ['malformed, not about the binding', problem('malformed', 'contact must be a list'), source],
    ['unauthorized without EAB', problem('unauthorized', 'account deactivated'), undefined],
    ['network error', new Error('connect ECONNREFUSED 127.0.0.1:1'), source],
  ];
  for (const [name, input, eab] of cases) assert.equal(explainNewAccountError(input, eab), input, name);
});
