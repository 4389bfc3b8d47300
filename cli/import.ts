// `certgate import --secret NAME --cert FILE --key FILE [--ca FILE] [--force]`: the manual
// contingency when automation cannot issue. Checks the pair before it touches the cluster, then
// writes the Secret in ONE create/replace with the annotations and label certgate's worker writes,
// so the worker treats it as its own valid certificate and renews it at the normal renewal time.
import type { X509Certificate } from 'node:crypto';
import type { Certificate } from '../api/types.generated.ts';
import { LabelValues, Labels, SecretAnnotations, SecretKeys } from '../api/constants.ts';
import { Resources } from '../api/resources.ts';
import type { KubeClient } from '../lib/kube/client.ts';
import {
  canonicalIp,
  certificateMatchesKey,
  chainOrderProblem,
  chainVerifiesTo,
  diffNames,
  encodePrivateKeyPem,
  inspectCertificate,
  keyMatchesSpec,
  parseCertificateChain,
  parsePrivateKeyPem,
  type CertificateNames,
  type KeyAlgorithm,
} from '../lib/pki/index.ts';
import { decodeBase64, describeKey, serialOf } from './certinfo.ts';
import { CliError } from './io.ts';

/** Annotation certgate adds so people can see a Secret was loaded by hand (not read by the worker). */
const IMPORTED_AT_ANNOTATION = 'certgate.io/imported-at';

interface ImportInput {
  namespace: string;
  secretName: string;
  certPem: string;
  keyPem: string;
  caPem?: string;
  nowMs: number;
}

interface ImportPlan {
  /** Each would make the import refuse unless --force. */
  problems: string[];
  /** Worth knowing, never blocking. */
  warnings: string[];
  owner?: Certificate;
  serial: string;
  notAfter: string;
  action: 'create' | 'replace';
  secret: any;
}

/** A DNS name is covered by an identical SAN or by a wildcard SAN one label above it. */
export function dnsNameCovered(name: string, sans: string[]): boolean {
  const n = name.toLowerCase();
  return sans.some((s) => {
    const san = s.toLowerCase();
    if (san === n) return true;
    if (!san.startsWith('*.') || n.startsWith('*.')) return false;
    const dot = n.indexOf('.');
    return dot > 0 && n.slice(dot + 1) === san.slice(2);
  });
}

/** Names the Certificate asks for that the certificate does not carry. */
export function uncoveredNames(spec: Certificate['spec'], got: CertificateNames): string[] {
  const missing: string[] = [];
  for (const d of spec.dnsNames ?? []) if (!dnsNameCovered(d, got.dnsNames)) missing.push(d);
  const ips = new Set(got.ipAddresses.map(safeIp));
  for (const ip of spec.ipAddresses ?? []) if (!ips.has(safeIp(ip))) missing.push(ip);
  for (const u of spec.uris ?? []) if (!got.uris.includes(u)) missing.push(u);
  for (const e of spec.emailAddresses ?? []) if (!got.emailAddresses.map((x) => x.toLowerCase()).includes(e.toLowerCase())) missing.push(e);
  const cn = spec.commonName;
  if (cn && cn !== got.commonName && !dnsNameCovered(cn, got.dnsNames) && !ips.has(safeIp(cn))) missing.push(`${cn} (commonName)`);
  return missing;
}

function safeIp(ip: string): string {
  try {
    return canonicalIp(ip);
  } catch {
    return ip;
  }
}

/** The Certificate that owns the Secret: named by the Secret's annotation, else the one whose spec.secretName matches. */
async function findOwner(client: KubeClient, namespace: string, secretName: string, secret: any, warnings: string[]): Promise<Certificate | undefined> {
  const named = secret?.metadata?.annotations?.[SecretAnnotations.CertificateName];
  if (named) {
    const c = await client.get<Certificate>(Resources.Certificate, namespace, named);
    if (c && c.spec.secretName === secretName) return c;
    warnings.push(`the Secret names Certificate "${named}" (${SecretAnnotations.CertificateName}) but ${c ? 'it writes another Secret' : 'it does not exist'}`);
  }
  const all = await client.list<Certificate>(Resources.Certificate, { namespace });
  const owners = all.items.filter((c) => c.spec.secretName === secretName);
  if (owners.length > 1)
    warnings.push(`several Certificates write this Secret (${owners.map((c) => c.metadata.name).join(', ')}); checking against ${owners[0]!.metadata.name}`);
  return owners[0];
}

export async function planImport(client: KubeClient, input: ImportInput): Promise<ImportPlan> {
  const problems: string[] = [];
  const warnings: string[] = [];
  // Unparsable input cannot be forced: there would be nothing to serve.
  let chain: X509Certificate[];
  try {
    chain = parseCertificateChain(input.certPem);
  } catch (e) {
    throw new CliError(`--cert: ${(e as Error).message}`);
  }
  let key;
  try {
    key = parsePrivateKeyPem(input.keyPem);
  } catch (e) {
    throw new CliError(`--key: ${(e as Error).message}`);
  }
  let caCount = 0;
  if (input.caPem !== undefined) {
    try {
      caCount = parseCertificateChain(input.caPem).length;
    } catch (e) {
      throw new CliError(`--ca: ${(e as Error).message}`);
    }
  }
  const leaf = chain[0]!;
  const info = inspectCertificate(leaf);

  if (!certificateMatchesKey(leaf, key))
    problems.push(`key mismatch: the private key (${describeKey(key)}) does not belong to the certificate (public key ${describeKey(leaf.publicKey)})`);
  const order = chainOrderProblem(chain);
  if (order) problems.push(`chain out of order or not verifying: ${order}; put the leaf first, then each issuer`);
  if (input.caPem !== undefined && !order && !chainVerifiesTo(chain, input.caPem)) {
    problems.push(
      `chain does not verify against --ca (${caCount} CA certificate${caCount === 1 ? '' : 's'}): the last certificate (${leaf === chain[chain.length - 1] ? 'the leaf' : chain[chain.length - 1]!.subject.replace(/\n/g, ', ')}) is not issued by it`,
    );
  }
  if (info.notAfter.getTime() <= input.nowMs) problems.push(`expired: the certificate's notAfter is ${info.notAfter.toISOString()}`);
  else if (info.notBefore.getTime() > input.nowMs) problems.push(`not yet valid: the certificate's notBefore is ${info.notBefore.toISOString()}`);

  const existing = await client.get<any>(Resources.Secret, input.namespace, input.secretName);
  if (existing && existing.type && existing.type !== 'kubernetes.io/tls') {
    throw new CliError(`secret "${input.secretName}" has type ${existing.type}; a Secret's type cannot change: delete it first or choose another name`);
  }
  const owner = await findOwner(client, input.namespace, input.secretName, existing, warnings);
  let keyPem = input.keyPem;
  if (owner) {
    const missing = uncoveredNames(owner.spec, info.names);
    if (missing.length)
      problems.push(`names not covered: the certificate lacks ${missing.join(', ')} required by Certificate ${input.namespace}/${owner.metadata.name}`);
    else {
      const diff = diffNames(specNames(owner.spec), info.names);
      if (diff.length)
        warnings.push(
          `the certificate's names differ from Certificate ${owner.metadata.name} (${diff.join('; ')}): certgate may re-issue it before its renewal time`,
        );
    }
    const pk = owner.spec.privateKey ?? {};
    const wanted = { algorithm: (pk.algorithm ?? 'RSA') as KeyAlgorithm, size: pk.size };
    if (!keyMatchesSpec(key, wanted))
      warnings.push(
        `the key is ${describeKey(key)} but Certificate ${owner.metadata.name} asks for ${wanted.algorithm}${wanted.size ? ' ' + wanted.size : ''}: certgate may re-issue it before its renewal time`,
      );
    // Store the key in the encoding the Certificate asks for, as the worker would.
    keyPem = encodePrivateKeyPem(key, pk.encoding ?? 'PKCS1');
  } else {
    warnings.push(
      `no Certificate in namespace ${input.namespace} writes Secret ${input.secretName}: names not checked, and nothing will renew this certificate`,
    );
  }

  let caPem = input.caPem;
  const existingCa = decodeBase64(existing?.data?.[SecretKeys.CA]);
  if (caPem === undefined && existingCa.trim()) {
    let keep = false;
    try {
      keep = !order && chainVerifiesTo(chain, existingCa);
    } catch {
      keep = false;
    }
    if (keep) caPem = existingCa;
    else warnings.push(`removing the Secret's ca.crt: it does not verify the imported chain (pass --ca to set one)`);
  }

  const secret = buildSecret({ ...input, keyPem, caPem }, existing, owner, info.names, input.nowMs);
  return { problems, warnings, owner, serial: serialOf(leaf), notAfter: info.notAfter.toISOString(), action: existing ? 'replace' : 'create', secret };
}

function specNames(spec: Certificate['spec']): CertificateNames {
  return {
    commonName: spec.commonName,
    dnsNames: spec.dnsNames ?? [],
    ipAddresses: spec.ipAddresses ?? [],
    uris: spec.uris ?? [],
    emailAddresses: spec.emailAddresses ?? [],
  };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The full Secret to write: existing unrelated data, labels and annotations are kept. */
function buildSecret(input: ImportInput, existing: any, owner: Certificate | undefined, names: CertificateNames, nowMs: number): any {
  const annotations: Record<string, string> = {
    ...(existing?.metadata?.annotations ?? {}),
    ...(owner?.spec.secretTemplate?.annotations ?? {}),
    [SecretAnnotations.CommonName]: names.commonName ?? '',
    [SecretAnnotations.AltNames]: names.dnsNames.join(','),
    [SecretAnnotations.IPSANs]: names.ipAddresses.join(','),
    [SecretAnnotations.URISANs]: names.uris.join(','),
    [SecretAnnotations.EmailSANs]: names.emailAddresses.join(','),
    [IMPORTED_AT_ANNOTATION]: new Date(nowMs).toISOString(),
  };
  if (owner) {
    const ref = owner.spec.issuerRef;
    annotations[SecretAnnotations.CertificateName] = owner.metadata.name!;
    annotations[SecretAnnotations.IssuerName] = ref.name;
    annotations[SecretAnnotations.IssuerKind] = ref.kind || 'Issuer';
    annotations[SecretAnnotations.IssuerGroup] = ref.group || 'cert-manager.io';
  }
  const labels = { ...(existing?.metadata?.labels ?? {}), ...(owner?.spec.secretTemplate?.labels ?? {}), [Labels.ControllerFAO]: LabelValues.True };
  const data: Record<string, string> = { ...(existing?.data ?? {}), [SecretKeys.Certificate]: b64(input.certPem), [SecretKeys.PrivateKey]: b64(input.keyPem) };
  if (input.caPem !== undefined) data[SecretKeys.CA] = b64(input.caPem);
  else delete data[SecretKeys.CA];
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    ...(existing ? { ...existing } : {}),
    metadata: {
      ...(existing?.metadata ?? {}),
      name: input.secretName,
      namespace: input.namespace,
      annotations,
      labels,
    },
    data,
  };
}

/** One write: create, or replace guarded by the resourceVersion read during planning. */
export async function applyImport(client: KubeClient, plan: ImportPlan): Promise<any> {
  try {
    return plan.action === 'create' ? await client.create(Resources.Secret, plan.secret) : await client.replace(Resources.Secret, plan.secret);
  } catch (e: any) {
    if (e?.statusCode === 409)
      throw new CliError(`secret "${plan.secret.metadata.name}" changed while importing (${e.message}); nothing was written: run the import again`);
    throw e;
  }
}

/**
 * Ends an issuance in progress for the owning Certificate (removes Issuing=True), so a stuck order
 * that later succeeds does not replace the imported certificate early. The worker then re-reads the
 * Secret and schedules the next renewal from the imported certificate. Returns whether it changed.
 */
export async function stopIssuance(client: KubeClient, owner: Certificate): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cert = await client.get<Certificate>(Resources.Certificate, owner.metadata.namespace, owner.metadata.name!);
    const conditions = cert?.status?.conditions ?? [];
    if (!cert || !conditions.some((c) => c.type === 'Issuing' && c.status === 'True')) return false;
    try {
      await client.replaceStatus(Resources.Certificate, { ...cert, status: { ...cert.status, conditions: conditions.filter((c) => c.type !== 'Issuing') } });
      return true;
    } catch (e: any) {
      if (e?.statusCode !== 409) throw e;
    }
  }
  throw new CliError(`could not update Certificate ${owner.metadata.name}: it kept changing; run "certgate status certificate ${owner.metadata.name}"`);
}
