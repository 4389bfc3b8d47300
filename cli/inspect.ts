// `certgate inspect secret NAME`: decode a TLS Secret and say whether it can be served: subject,
// SANs, issuer, serial, validity, key type, key/certificate match, chain order, verification
// against ca.crt, and the cert-manager.io annotations. Never prints key material.
import type { X509Certificate } from 'node:crypto';
import { SecretKeys } from '../api/constants.ts';
import { Resources } from '../api/resources.ts';
import type { KubeClient } from '../lib/kube/client.ts';
import {
  certificateMatchesKey,
  chainOrderProblem,
  chainVerifiesTo,
  parseCertificateChain,
  parsePrivateKeyPem,
  splitPemCertificates,
} from '../lib/pki/index.ts';
import { decodeBase64, describeKey, oneLineDn, summarize, type CertificateSummary } from './certinfo.ts';
import { CliError } from './io.ts';

interface SecretInspection {
  name: string;
  namespace: string;
  type?: string;
  certificate?: CertificateSummary & { expired: boolean; notYetValid: boolean };
  chain: Array<{ subject: string; issuer: string; serialNumber: string; notAfter: string }>;
  chainInOrder?: boolean;
  privateKey?: { type: string; matchesCertificate: boolean };
  ca?: { certificates: number; subjects: string[]; chainVerifies: boolean };
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** Everything that would make this Secret fail as a TLS Secret; empty when it is good. */
  problems: string[];
}

export function inspectTlsData(
  data: Record<string, string | undefined>,
  nowMs: number,
): Pick<SecretInspection, 'certificate' | 'chain' | 'chainInOrder' | 'privateKey' | 'ca' | 'problems'> {
  const out: ReturnType<typeof inspectTlsData> = { chain: [], problems: [] };
  const certPem = decodeBase64(data[SecretKeys.Certificate]);
  const keyPem = decodeBase64(data[SecretKeys.PrivateKey]);
  const caPem = decodeBase64(data[SecretKeys.CA]);
  let chain: X509Certificate[] = [];
  if (!certPem.trim()) out.problems.push(`${SecretKeys.Certificate} is missing or empty`);
  else {
    try {
      chain = parseCertificateChain(certPem);
    } catch (e) {
      out.problems.push(`${SecretKeys.Certificate}: ${(e as Error).message}`);
    }
  }
  if (chain.length) {
    const leaf = chain[0]!;
    const s = summarize(leaf);
    out.certificate = { ...s, expired: Date.parse(s.notAfter) <= nowMs, notYetValid: Date.parse(s.notBefore) > nowMs };
    if (out.certificate.expired) out.problems.push(`the certificate expired at ${s.notAfter}`);
    if (out.certificate.notYetValid) out.problems.push(`the certificate is not valid before ${s.notBefore}`);
    out.chain = chain.map((c) => ({
      subject: oneLineDn(c.subject),
      issuer: oneLineDn(c.issuer),
      serialNumber: c.serialNumber.toLowerCase(),
      notAfter: new Date(c.validTo).toISOString(),
    }));
    const order = chainOrderProblem(chain);
    out.chainInOrder = !order;
    if (order) out.problems.push(`chain out of order: ${order}`);
  }
  if (!keyPem.trim()) out.problems.push(`${SecretKeys.PrivateKey} is missing or empty`);
  else {
    try {
      const key = parsePrivateKeyPem(keyPem);
      const matches = chain.length ? certificateMatchesKey(chain[0]!, key) : false;
      out.privateKey = { type: describeKey(key), matchesCertificate: matches };
      if (chain.length && !matches) out.problems.push('the private key does not match the certificate');
    } catch (e) {
      out.problems.push(`${SecretKeys.PrivateKey}: ${(e as Error).message}`);
    }
  }
  if (caPem.trim()) {
    const blocks = splitPemCertificates(caPem);
    let subjects: string[] = [];
    try {
      subjects = parseCertificateChain(caPem).map((c) => oneLineDn(c.subject));
    } catch (e) {
      out.problems.push(`${SecretKeys.CA}: ${(e as Error).message}`);
    }
    const verifies = chain.length > 0 && subjects.length > 0 && chainVerifiesTo(chain, caPem);
    out.ca = { certificates: blocks.length, subjects, chainVerifies: verifies };
    if (chain.length && subjects.length && !verifies) out.problems.push(`the chain does not verify against ${SecretKeys.CA}`);
  }
  return out;
}

export async function inspectSecret(client: KubeClient, namespace: string, name: string, nowMs: number): Promise<SecretInspection> {
  const secret = await client.get<any>(Resources.Secret, namespace, name);
  if (!secret) throw new CliError(`secret "${name}" not found in namespace "${namespace}"`);
  const pick = (m: Record<string, string> | undefined, re: RegExp) => Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => re.test(k)));
  const tls = inspectTlsData(secret.data ?? {}, nowMs);
  if (secret.type !== 'kubernetes.io/tls') tls.problems.unshift(`type is "${secret.type ?? 'Opaque'}", not kubernetes.io/tls`);
  return {
    name,
    namespace,
    type: secret.type,
    ...tls,
    annotations: pick(secret.metadata?.annotations, /(^|\.)cert-manager\.io\//),
    labels: pick(secret.metadata?.labels, /(^|\.)cert-manager\.io\//),
  };
}

const yesNo = (b: boolean | undefined) => (b === undefined ? '<unknown>' : b ? 'yes' : 'NO');

export function renderSecretInspection(s: SecretInspection): string {
  const l: string[] = [`Secret:      ${s.namespace}/${s.name}`, `Type:        ${s.type ?? 'Opaque'}`];
  const c = s.certificate;
  if (c) {
    l.push(
      'Certificate:',
      `  Subject:       ${c.subject || '<empty>'}`,
      `  DNS Names:     ${c.dnsNames.join(', ') || '<none>'}`,
      ...(c.ipAddresses.length ? [`  IP Addresses:  ${c.ipAddresses.join(', ')}`] : []),
      ...(c.uris.length ? [`  URIs:          ${c.uris.join(', ')}`] : []),
      ...(c.emailAddresses.length ? [`  Emails:        ${c.emailAddresses.join(', ')}`] : []),
      `  Issuer:        ${c.issuer}`,
      `  Serial:        ${c.serialNumber}`,
      `  Not Before:    ${c.notBefore}${c.notYetValid ? '  (NOT YET VALID)' : ''}`,
      `  Not After:     ${c.notAfter}${c.expired ? '  (EXPIRED)' : ''}`,
      `  Is CA:         ${c.isCA ? 'yes' : 'no'}`,
      `  Public Key:    ${c.publicKey}`,
      `  SHA-256:       ${c.fingerprintSha256}`,
    );
  }
  if (s.privateKey) l.push('Private Key:', `  Type:          ${s.privateKey.type}`, `  Matches cert:  ${yesNo(s.privateKey.matchesCertificate)}`);
  if (s.chain.length) {
    l.push(`Chain (${s.chain.length}, in order: ${yesNo(s.chainInOrder)}):`);
    s.chain.forEach((x, i) =>
      l.push(`  ${i + 1}. ${x.subject || '<empty subject>'}  (issuer: ${x.issuer}, serial ${x.serialNumber}, not after ${x.notAfter})`),
    );
  }
  if (s.ca) l.push(`CA (ca.crt):   ${s.ca.subjects.join('; ') || '<unparsable>'}`, `  Chain verifies against ca.crt: ${yesNo(s.ca.chainVerifies)}`);
  else l.push('CA (ca.crt):   <none>');
  const ann = Object.entries({ ...s.annotations, ...s.labels });
  l.push('cert-manager.io annotations and labels:', ...(ann.length ? ann.map(([k, v]) => `  ${k}: ${v}`) : ['  <none>']));
  l.push(s.problems.length ? ['Problems:', ...s.problems.map((p) => `  - ${p}`)].join('\n') : 'Problems:    none: this Secret can be served');
  return l.join('\n');
}
