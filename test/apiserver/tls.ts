// Throwaway X.509 material for the embedded server (and test webhooks): a CA and leaf
// certificates for loopback. Keys come from node:crypto (fast), certificates from node-forge.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}
export interface TestCa extends KeyPairPem {
  issue(hosts: string[], commonName?: string, clientAuth?: boolean): KeyPairPem;
}

function newKeys(): { keyPem: string; publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const priv = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { keyPem: privateKey, privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e) };
}

function baseCert(publicKey: forge.pki.PublicKey, cn: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: cn }]);
  return cert;
}

export function createTestCa(commonName = 'certgate-embedded-ca'): TestCa {
  const keys = newKeys();
  const cert = baseCert(keys.publicKey, commonName);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return {
    certPem,
    keyPem: keys.keyPem,
    issue(hosts: string[], cn = hosts[0] ?? 'localhost', clientAuth = false): KeyPairPem {
      const leafKeys = newKeys();
      const leaf = baseCert(leafKeys.publicKey, cn);
      leaf.setIssuer(cert.subject.attributes);
      leaf.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth },
        { name: 'subjectAltName', altNames: hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h })) },
      ]);
      leaf.sign(keys.privateKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(leaf), keyPem: leafKeys.keyPem };
    },
  };
}
