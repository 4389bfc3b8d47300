// The worker and the CLI generate keys and build certificates from user input through lib/pki:
// names every plain object answers ("__proto__", "constructor") must be refused like any unknown name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePrivateKey, InvalidKeyError, type KeySpec } from './keys.ts';
import { usageExtensions } from './usages.ts';

for (const name of ['__proto__', 'constructor', 'toString']) {
  test(`key algorithm or ECDSA size "${name}" is refused with InvalidKeyError`, async () => {
    await assert.rejects(
      generatePrivateKey({ algorithm: name } as unknown as KeySpec),
      (e) => e instanceof InvalidKeyError && new RegExp(`unsupported private key algorithm "${name}"`).test(e.message),
    );
    await assert.rejects(
      generatePrivateKey({ algorithm: 'ECDSA', size: name } as unknown as KeySpec),
      (e) => e instanceof InvalidKeyError && /unsupported ECDSA key size/.test(e.message),
    );
  });

  test(`key usage "${name}" is refused as unknown, not skipped`, () => {
    assert.throws(() => usageExtensions([name]), new RegExp(`unknown key usage "${name}"`));
    assert.throws(() => usageExtensions(['digital signature', name]), /unknown key usage/);
  });
}

test('known usages still map to extensions', () => {
  assert.equal(usageExtensions(['digital signature', 'server auth']).length, 2);
});

test('isKnownUsage: own names only (the webhook and the ingress shim ask it about user input)', async () => {
  const { isKnownUsage } = await import('./usages.ts');
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) assert.equal(isKnownUsage(name), false, name);
  assert.equal(isKnownUsage('server auth'), true);
  assert.equal(isKnownUsage('digital signature'), true);
});
