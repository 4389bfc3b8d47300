import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { x509, toCryptoKeyPair } from '../pki/webcrypto.ts';
import { ariCertId, AriError, fetchRenewalInfo, nextCheckDelayMs, parseRenewalInfo, pointInWindow } from './ari.ts';
import { createAcmeClient } from './client.ts';
import { AcmeProblemError } from './errors.ts';

const HOUR = 3_600_000;

/** A certificate with the given serial (hex) and, when given, authority key identifier (hex). */
async function certWith(serialHex: string, akiHex?: string): Promise<X509Certificate> {
  const keys = await toCryptoKeyPair(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex,
    subject: 'CN=leaf.example.test',
    issuer: 'CN=Test CA',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2026-01-07T00:00:00Z'),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: keys.algorithm,
    extensions: akiHex ? [new x509.AuthorityKeyIdentifierExtension(akiHex)] : [],
  });
  return new X509Certificate(cert.toString('pem'));
}

describe('ariCertId (RFC 9773 section 4.1)', () => {
  it("matches the RFC's example: AKI 69:88:5B:…:D4 and serial 00:87:65:43:21", async () => {
    const cert = await certWith('0087654321', '69885b6b87464041e1b37b847ba0ae2cde01c8d4');
    assert.equal(ariCertId(cert), 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });
  it('keeps a serial without the high bit as it is', async () => {
    assert.equal((await certWith('1234', '0102')).serialNumber.toLowerCase().replace(/^0+/, ''), '1234');
    assert.equal(ariCertId(await certWith('1234', '0102')), 'AQI.EjQ');
  });
  it('refuses a certificate without an authority key identifier', async () => {
    await assert.rejects(async () => ariCertId(await certWith('01')), AriError);
  });
});

describe('parseRenewalInfo', () => {
  it('reads the window and an explanationURL', () => {
    const info = parseRenewalInfo({
      suggestedWindow: { start: '2026-01-03T00:00:00Z', end: '2026-01-05T00:00:00Z' },
      explanationURL: 'https://ca.example/incident',
    });
    assert.deepEqual(info, {
      windowStart: new Date('2026-01-03T00:00:00Z'),
      windowEnd: new Date('2026-01-05T00:00:00Z'),
      explanationURL: 'https://ca.example/incident',
    });
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['no window', {}, /no valid suggestedWindow/],
    ['not JSON', 'nope{', /not JSON/],
    ['a date that is not one', { suggestedWindow: { start: 'soon', end: '2026-01-05T00:00:00Z' } }, /no valid suggestedWindow/],
    ['end before start', { suggestedWindow: { start: '2026-01-05T00:00:00Z', end: '2026-01-03T00:00:00Z' } }, /ends .* before it starts/],
    ['end equal to start', { suggestedWindow: { start: '2026-01-05T00:00:00Z', end: '2026-01-05T00:00:00Z' } }, /ends .* before it starts/],
  ];
  for (const [name, body, re] of bad) it(`refuses ${name}`, () => assert.throws(() => parseRenewalInfo(body), re));
  it('drops an explanationURL that is not a web address', () => {
    assert.equal(
      parseRenewalInfo({ suggestedWindow: { start: '2026-01-03T00:00:00Z', end: '2026-01-05T00:00:00Z' }, explanationURL: 'javascript:alert(1)' })
        .explanationURL,
      undefined,
    );
  });
});

describe('pointInWindow', () => {
  const start = new Date('2026-01-03T00:00:00Z');
  const end = new Date('2026-01-05T00:00:00Z');
  it('is inside the window, the same for the same certificate, and spread across certificates', () => {
    const points = Array.from({ length: 200 }, (_, i) => pointInWindow(`aki.serial${i}`, start, end).getTime());
    for (const p of points) assert.ok(p >= start.getTime() && p <= end.getTime());
    assert.equal(pointInWindow('aki.serial0', start, end).getTime(), points[0]);
    // Uniform: each quarter of the window gets a fair share of 200 certificates.
    const quarters = [0, 0, 0, 0];
    for (const p of points) quarters[Math.min(3, Math.floor(((p - start.getTime()) / (end.getTime() - start.getTime())) * 4))]++;
    for (const q of quarters) assert.ok(q > 25 && q < 75, `quarters ${quarters}`);
  });
});

describe('nextCheckDelayMs', () => {
  const cases: Array<[string, number, number | undefined, number]> = [
    ['90 days, Retry-After 6 h', 90 * 24 * HOUR, 6 * HOUR, 6 * HOUR],
    ['6 days, Retry-After 6 h: Retry-After is honoured', 6 * 24 * HOUR, 6 * HOUR, 6 * HOUR],
    ['6 days, no Retry-After: a 360th of the lifetime (24 min)', 6 * 24 * HOUR, undefined, 0.4 * HOUR],
    ['90 days, no Retry-After: 6 h', 90 * 24 * HOUR, undefined, 6 * HOUR],
    ['Retry-After of a week: clamped to a day', 90 * 24 * HOUR, 7 * 24 * HOUR, 24 * HOUR],
    ['one hour lifetime, Retry-After 1 s: at least a minute', HOUR, 1000, 60_000],
  ];
  for (const [name, lifetime, retryAfter, want] of cases) it(name, () => assert.equal(nextCheckDelayMs(lifetime, retryAfter), want));
});

describe('fetchRenewalInfo over HTTP', () => {
  it('GETs <renewalInfo>/<ARI id>, reads Retry-After, turns a problem into AcmeProblemError, and is undefined for a CA without ARI', async () => {
    const window = { suggestedWindow: { start: '2026-01-03T00:00:00Z', end: '2026-01-05T00:00:00Z' }, explanationURL: 'https://ca.example/why' };
    const seen: string[] = [];
    let withAri = true;
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (req.url === '/dir')
        return res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ newNonce: `${base}/nonce`, ...(withAri ? { renewalInfo: `${base}/ari` } : {}) }));
      if (req.url === '/ari/aaa.bbb') return res.writeHead(200, { 'Content-Type': 'application/json', 'Retry-After': '3600' }).end(JSON.stringify(window));
      res
        .writeHead(404, { 'Content-Type': 'application/problem+json' })
        .end(JSON.stringify({ type: 'urn:ietf:params:acme:error:malformed', detail: 'no such certificate', status: 404 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const accountKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const client = () =>
        createAcmeClient({ directoryUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dir`, accountKeyPem, retryAttempts: 0 });
      const info = await fetchRenewalInfo(client(), 'aaa.bbb');
      assert.deepEqual(info, {
        windowStart: new Date('2026-01-03T00:00:00Z'),
        windowEnd: new Date('2026-01-05T00:00:00Z'),
        explanationURL: 'https://ca.example/why',
        retryAfterMs: 3_600_000,
      });
      assert.ok(seen.includes('GET /ari/aaa.bbb'), seen.join(', '));
      await assert.rejects(
        fetchRenewalInfo(client(), 'ccc.ddd'),
        (e: unknown) => e instanceof AcmeProblemError && e.httpStatus === 404 && /no such certificate/.test(e.message),
      );
      withAri = false;
      assert.equal(await fetchRenewalInfo(client(), 'aaa.bbb'), undefined);
    } finally {
      server.close();
    }
  });
});
