import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, type KeyObject } from 'node:crypto';
import {
  canonicalIp,
  chainVerifiesTo,
  createCsr,
  describePrivateKey,
  diffNames,
  encodePrivateKeyPem,
  generatePrivateKey,
  inspectCertificate,
  keyMatchesSpec,
  keyPairProblems,
  parseCertificateChain,
  parseCsr,
  parsePrivateKeyPem,
  readCsr,
  privateKeyPemEncoding,
  signCertificate,
  type KeySpec,
} from './index.ts';
import { x509 } from './webcrypto.ts';
import { certificateNames, emptyNames, namesOf, type CertificateNames } from './certificate-names.ts';

const HOUR = 3_600_000;

/** The PEM with one letter of `text` (somewhere in the signed DER) changed. */
function tamperedPem(pem: string, text: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const at = der.indexOf(text);
  assert.ok(at > 0, `${text} is in the DER`);
  der[at] = der[at] === 0x61 ? 0x62 : 0x61;
  const label = pem.match(/-----BEGIN ([^-]+)-----/)![1];
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
}

// The PEM header of a generated key, built from its label: this file holds no key material, and a
// literal header line here would read to secret scanners like a committed key.
const pemBegin = (label: string) => new RegExp(`^-{5}BEGIN ${label}-{5}\n`);

describe('private keys', () => {
  const cases: Array<{ name: string; spec: KeySpec; pkcs1Header: string }> = [
    { name: 'RSA 2048', spec: { algorithm: 'RSA', size: 2048 }, pkcs1Header: 'RSA PRIVATE KEY' },
    { name: 'RSA 3072', spec: { algorithm: 'RSA', size: 3072 }, pkcs1Header: 'RSA PRIVATE KEY' },
    { name: 'ECDSA P-256', spec: { algorithm: 'ECDSA', size: 256 }, pkcs1Header: 'EC PRIVATE KEY' },
    { name: 'ECDSA P-384', spec: { algorithm: 'ECDSA', size: 384 }, pkcs1Header: 'EC PRIVATE KEY' },
    { name: 'Ed25519', spec: { algorithm: 'Ed25519' }, pkcs1Header: 'PRIVATE KEY' },
  ];
  for (const c of cases) {
    it(`${c.name}: generates, encodes PKCS1 and PKCS8, parses back`, async () => {
      const key = await generatePrivateKey(c.spec);
      assert.ok(keyMatchesSpec(key, c.spec), 'key matches its spec');
      const pkcs1 = encodePrivateKeyPem(key, 'PKCS1');
      assert.match(pkcs1, pemBegin(c.pkcs1Header));
      const pkcs8 = encodePrivateKeyPem(key, 'PKCS8');
      assert.match(pkcs8, pemBegin('PRIVATE KEY'));
      assert.equal(privateKeyPemEncoding(pkcs8), 'PKCS8');
      for (const pem of [pkcs1, pkcs8]) {
        const back = parsePrivateKeyPem(pem);
        assert.deepEqual(describePrivateKey(back), describePrivateKey(key));
      }
    });
  }

  it('RSA 4096 is accepted, an odd RSA size and an unknown curve are refused', async () => {
    const key = await generatePrivateKey({ algorithm: 'RSA', size: 4096 });
    assert.equal(describePrivateKey(key).size, 4096);
    await assert.rejects(generatePrivateKey({ algorithm: 'RSA', size: 1024 }), /unsupported RSA key size 1024/);
    await assert.rejects(generatePrivateKey({ algorithm: 'ECDSA', size: 255 }), /unsupported ECDSA key size 255/);
  });

  it('a spec with another algorithm or size does not match', async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    assert.equal(keyMatchesSpec(key, { algorithm: 'ECDSA', size: 384 }), false);
    assert.equal(keyMatchesSpec(key, { algorithm: 'RSA' }), false);
  });

  it('garbage is a clear error', () => {
    assert.throws(() => parsePrivateKeyPem('not a key'), /not a PEM private key/);
  });
});

describe('CSR, signing and checks', () => {
  const requested = {
    commonName: 'app.example.test',
    dnsNames: ['app.example.test', 'www.example.test'],
    ipAddresses: ['10.0.0.1', '::1'],
    uris: ['spiffe://example/app'],
    emailAddresses: [],
  };

  it("certificateNames reads what x509's full decoding reads: the common name and every kind of subjectAltName", async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const all = { ...requested, emailAddresses: ['app@example.test'], ipAddresses: ['10.0.0.1', '2001:db8::7'] };
    const pem = await signCertificate({ csr: await createCsr(key, all), durationMs: HOUR, usages: ['digital signature', 'server auth'], signerKey: key });
    const der = new X509Certificate(pem).raw;
    const names = certificateNames(der);
    assert.deepEqual(names, namesOf(new x509.X509Certificate(der)));
    assert.deepEqual(diffNames(all, names), []);
    const bare = await signCertificate({ csr: await createCsr(key, { commonName: 'only a name' }), durationMs: HOUR, signerKey: key });
    assert.deepEqual(certificateNames(new X509Certificate(bare).raw), { ...emptyNames(), commonName: 'only a name' });
  });

  it('createCsr hands its readers what a parse of the CSR text gives, read once per text', async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const pem = await createCsr(key, { ...requested, subject: { organizations: ['Example'], countries: ['DE'] } });
    const seeded = readCsr(pem);
    // CRLF line ends: the same CSR under another text, so a parse of its own.
    const parsed = readCsr(pem.replace(/\n/g, '\r\n'));
    assert.ok(!(seeded instanceof Error) && !(parsed instanceof Error));
    assert.notEqual(seeded, parsed);
    const comparable = (c: typeof seeded & object) => ({
      ...c,
      publicKey: (c.publicKey as KeyObject).export({ format: 'der', type: 'spki' }).toString('hex'),
      subjectDer: Buffer.from(c.subjectDer).toString('hex'),
      subjectAltNameDer: Buffer.from(c.subjectAltNameDer!).toString('hex'),
    });
    assert.deepEqual(comparable(seeded), comparable(parsed));
    assert.equal(seeded.signatureValid, true);
    assert.deepEqual(seeded.subjectFields.get('O'), ['Example']);
    assert.equal(readCsr(Buffer.from(pem).toString('base64')), seeded, 'base64 of the PEM is the same text');
    assert.match(String(readCsr('not a CSR')), /Error/);
  });

  for (const spec of [
    { algorithm: 'RSA', size: 2048 },
    { algorithm: 'ECDSA', size: 256 },
    { algorithm: 'ECDSA', size: 384 },
    { algorithm: 'Ed25519' },
  ] as KeySpec[]) {
    it(`${spec.algorithm} ${spec.size ?? ''}: CA-signed leaf verifies, matches key and names`, async () => {
      const caKey = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
      const caCsr = await createCsr(caKey, { commonName: 'Test CA' });
      const caPem = await signCertificate({ csr: caCsr, durationMs: 24 * HOUR, isCA: true, signerKey: caKey });
      const ca = new X509Certificate(caPem);
      assert.equal(ca.ca, true);

      const key = await generatePrivateKey(spec);
      const csrPem = await createCsr(key, requested);
      const csr = await parseCsr(Buffer.from(csrPem).toString('base64'));
      assert.deepEqual(diffNames(requested, csr.names), []);
      // Signed through node:crypto: WebCrypto's own check agrees, and a changed name breaks the signature.
      assert.ok(await new x509.Pkcs10CertificateRequest(csrPem).verify(), 'WebCrypto verifies the CSR');
      await assert.rejects(parseCsr(tamperedPem(csrPem, requested.dnsNames[0])), /signature does not verify/);

      const leafPem = await signCertificate({
        csr: csrPem,
        durationMs: 2 * HOUR,
        usages: ['digital signature', 'server auth'],
        signerKey: caKey,
        signerCertificatePem: caPem,
      });
      const info = inspectCertificate(leafPem);
      assert.equal(info.isCA, false);
      const leaf = new x509.X509Certificate(leafPem);
      assert.deepEqual(info.names, namesOf(leaf), 'the names the signer remembered are the ones in the certificate');
      const ski = leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
      assert.equal(ski, Buffer.from(await leaf.publicKey.getKeyIdentifier()).toString('hex'), 'subjectKeyIdentifier is the SHA-1 of the key (WebCrypto)');
      assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 2 * HOUR);
      assert.deepEqual(keyPairProblems({ certificatePem: leafPem + caPem, privateKey: key, requested, caPem }), []);
      assert.ok(chainVerifiesTo(parseCertificateChain(leafPem), caPem), 'leaf verifies to the CA');
    });
  }

  it('self-signed: must be signed with the request key', async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    const other = await generatePrivateKey({ algorithm: 'ECDSA' });
    const csr = await createCsr(key, { dnsNames: ['self.example.test'] });
    const pem = await signCertificate({ csr, durationMs: HOUR, signerKey: key });
    const cert = new X509Certificate(pem);
    assert.ok(cert.verify(cert.publicKey), 'self-signature verifies');
    assert.equal(cert.subject, cert.issuer);
    await assert.rejects(signCertificate({ csr, durationMs: HOUR, signerKey: other }), /signed with the key of its request/);
  });

  it('reports a wrong key, wrong names, bad chain order and another CA', async () => {
    const caKey = await generatePrivateKey({ algorithm: 'ECDSA' });
    const caPem = await signCertificate({ csr: await createCsr(caKey, { commonName: 'CA one' }), durationMs: 10 * HOUR, isCA: true, signerKey: caKey });
    const otherCaKey = await generatePrivateKey({ algorithm: 'ECDSA' });
    const otherCaPem = await signCertificate({
      csr: await createCsr(otherCaKey, { commonName: 'CA two' }),
      durationMs: 10 * HOUR,
      isCA: true,
      signerKey: otherCaKey,
    });
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    const wrongKey = await generatePrivateKey({ algorithm: 'ECDSA' });
    const leaf = await signCertificate({
      csr: await createCsr(key, { dnsNames: ['a.example.test'] }),
      durationMs: HOUR,
      signerKey: caKey,
      signerCertificatePem: caPem,
    });

    const cases: Array<{ name: string; input: Parameters<typeof keyPairProblems>[0]; want: RegExp }> = [
      { name: 'wrong key', input: { certificatePem: leaf, privateKey: wrongKey }, want: /does not match the private key/ },
      {
        name: 'extra name requested',
        input: {
          certificatePem: leaf,
          privateKey: key,
          requested: { dnsNames: ['a.example.test', 'b.example.test'], ipAddresses: [], uris: [], emailAddresses: [] },
        },
        want: /dnsNames are \[a\.example\.test\], want/,
      },
      { name: 'chain in wrong order', input: { certificatePem: caPem + leaf, privateKey: key }, want: /not signed by certificate 2/ },
      { name: 'other CA', input: { certificatePem: leaf, privateKey: key, caPem: otherCaPem }, want: /does not verify to the CA/ },
      { name: 'expired', input: { certificatePem: leaf, privateKey: key, now: new Date(Date.now() + 2 * HOUR) }, want: /expired at/ },
      { name: 'no certificate', input: { certificatePem: 'junk', privateKey: key }, want: /no PEM certificate/ },
    ];
    for (const c of cases) {
      const problems = keyPairProblems(c.input);
      assert.ok(
        problems.some((p) => c.want.test(p)),
        `${c.name}: ${JSON.stringify(problems)}`,
      );
    }
  });

  it('a leaf never outlives its CA', async () => {
    const caKey = await generatePrivateKey({ algorithm: 'ECDSA' });
    const caPem = await signCertificate({ csr: await createCsr(caKey, { commonName: 'short CA' }), durationMs: HOUR, isCA: true, signerKey: caKey });
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    const leaf = await signCertificate({
      csr: await createCsr(key, { dnsNames: ['x.test'] }),
      durationMs: 100 * HOUR,
      signerKey: caKey,
      signerCertificatePem: caPem,
    });
    assert.ok(inspectCertificate(leaf).notAfter <= inspectCertificate(caPem).notAfter, 'leaf ends before the CA');
  });

  it('an expired CA cannot sign', async () => {
    const caKey = await generatePrivateKey({ algorithm: 'ECDSA' });
    const caPem = await signCertificate({
      csr: await createCsr(caKey, { commonName: 'old CA' }),
      durationMs: HOUR,
      isCA: true,
      signerKey: caKey,
      now: new Date(Date.now() - 2 * HOUR),
    });
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    await assert.rejects(
      signCertificate({ csr: await createCsr(key, { dnsNames: ['x.test'] }), durationMs: HOUR, signerKey: caKey, signerCertificatePem: caPem }),
      /the CA certificate expired at/,
    );
  });

  it('every subject field goes into the CSR and, signed, into the certificate', async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    const subject = {
      countries: ['GB'],
      provinces: ['Greater London'],
      localities: ['London'],
      streetAddresses: ['1 High Street'],
      postalCodes: ['EC1A 1BB'],
      organizations: ['Acme Ltd', 'Acme Holdings'],
      organizationalUnits: ['Platform'],
      serialNumber: '1234',
    };
    const csrPem = await createCsr(key, { commonName: 'a.example.test', subject });
    const want =
      'C=GB, ST=Greater London, L=London, 2.5.4.9=1 High Street, 2.5.4.17=EC1A 1BB, O=Acme Ltd, O=Acme Holdings, OU=Platform, 2.5.4.5=1234, CN=a.example.test';
    assert.equal((await parseCsr(csrPem)).subject, want);
    const cert = new X509Certificate(await signCertificate({ csr: csrPem, durationMs: HOUR, signerKey: key }));
    assert.match(cert.subject, /street=1 High Street\npostalCode=EC1A 1BB\nO=Acme Ltd\nO=Acme Holdings\nOU=Platform\nserialNumber=1234\nCN=a.example.test/);
  });

  it('a request without any name is refused', async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    await assert.rejects(createCsr(key, {}), /needs a commonName or at least one subjectAltName/);
  });

  it('canonical IPs', () => {
    assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), canonicalIp('::1'));
    assert.equal(canonicalIp('2001:DB8::1'), canonicalIp('2001:db8:0:0:0:0:0:1'));
    assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
    assert.throws(() => canonicalIp('nope'), /not an IP/);
  });
});

describe("diffNames: an issued certificate's names against the requested ones (cert-manager's TestFuzzyX509AltNamesMatchSpec)", () => {
  const names = (n: Partial<CertificateNames>): CertificateNames => ({ dnsNames: [], ipAddresses: [], uris: [], emailAddresses: [], ...n });
  const fieldsOf = (differences: string[]) => differences.map((d) => d.split(' ')[0]);
  const cases: Array<[string, Partial<CertificateNames>, Partial<CertificateNames>, string[]]> = [
    // name, requested, in the certificate, fields that differ
    [
      'common name and DNS names exactly equal',
      { commonName: 'cn', dnsNames: ['at', 'least', 'one'] },
      { commonName: 'cn', dnsNames: ['at', 'least', 'one'] },
      [],
    ],
    ['common name left out but among the DNS names', { commonName: 'cn', dnsNames: ['at', 'least', 'one'] }, { dnsNames: ['cn', 'at', 'least', 'one'] }, []],
    [
      'common name left out, among the DNS names (not first)',
      { commonName: 'cn', dnsNames: ['at', 'least', 'one'] },
      { dnsNames: ['at', 'least', 'one', 'cn'] },
      [],
    ],
    ['common name one of the requested DNS names', { dnsNames: ['at', 'least', 'one'] }, { commonName: 'at', dnsNames: ['least', 'one'] }, []],
    ['common name missing from the certificate', { commonName: 'cn', dnsNames: ['at', 'least', 'one'] }, { dnsNames: ['at', 'least', 'one'] }, ['commonName']],
    [
      'common name and a DNS name missing',
      { commonName: 'cn', dnsNames: ['at', 'least', 'one', 'other'] },
      { dnsNames: ['at', 'least', 'one'] },
      ['commonName', 'dnsNames'],
    ],
    [
      'common name and a DNS name not requested',
      { dnsNames: ['at', 'least', 'one'] },
      { commonName: 'cn', dnsNames: ['at', 'least', 'one', 'other'] },
      ['commonName', 'dnsNames'],
    ],
    [
      'more DNS names than requested',
      { commonName: 'cn', dnsNames: ['at', 'least', 'one'] },
      { commonName: 'cn', dnsNames: ['at', 'least', 'one', 'other'] },
      ['dnsNames'],
    ],
    ['common name a duplicated DNS name (not requested)', { dnsNames: ['at', 'least', 'one'] }, { commonName: 'at', dnsNames: ['at', 'least', 'one'] }, []],
    [
      'common name a duplicated DNS name',
      { commonName: 'cn', dnsNames: ['at', 'least', 'one'] },
      { commonName: 'at', dnsNames: ['at', 'least', 'one', 'cn'] },
      [],
    ],
    ['IP addresses equal', { ipAddresses: ['127.0.0.1'] }, { ipAddresses: ['127.0.0.1'] }, []],
    ['IP addresses differ', { ipAddresses: ['127.0.0.1'] }, { ipAddresses: ['127.0.2.1'] }, ['ipAddresses']],
    ['an IP address made the common name', { ipAddresses: ['127.0.0.1'] }, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] }, ['commonName']],
    // certgate's own: DNS names are compared without case, IPs by value
    ['DNS names and common name in another case', { commonName: 'Shop.Example', dnsNames: ['shop.example'] }, { dnsNames: ['SHOP.example'] }, []],
    ['an IPv6 address written another way', { ipAddresses: ['::1'] }, { ipAddresses: ['0:0:0:0:0:0:0:1'] }, []],
  ];
  for (const [name, requested, actual, fields] of cases) {
    it(name, () => assert.deepEqual(fieldsOf(diffNames(names(requested), names(actual))), fields));
  }
});
