// Test fixtures for the CLI's tests: run the CLI in-process with captured output, mint real
// certificates with lib/pki, and create the objects the worker would have created (Certificate
// with status, Secret, CertificateRequest -> Order -> Challenges linked by ownerReferences).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KeyObject } from 'node:crypto';
import type { Certificate, CertificateRequest, Challenge, Order } from '../../api/types.generated.ts';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import { KubeClient } from '../../lib/kube/client.ts';
import { createCsr, encodePrivateKeyPem, generatePrivateKey, signCertificate } from '../../lib/pki/index.ts';
import { run } from '../../cli/main.ts';
import type { CliIo } from '../../cli/io.ts';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `certgate ...argv` in this process against the given kubeconfig. */
export async function runCli(kubeconfigPath: string, argv: string[], now: () => number = Date.now): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, now };
  const code = await run(['--kubeconfig', kubeconfigPath, ...argv], io);
  return { code, stdout, stderr };
}

export interface KeyPair {
  key: KeyObject;
  keyPem: string;
  certPem: string;
}

const HOUR = 3_600_000;

/** A self-signed CA (ECDSA: fast to generate). */
export async function makeCa(commonName = 'certgate test CA', now = new Date()): Promise<KeyPair> {
  const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
  const csr = await createCsr(key, { commonName });
  const certPem = await signCertificate({
    csr,
    durationMs: 24 * HOUR,
    isCA: true,
    usages: ['cert sign', 'crl sign', 'digital signature'],
    signerKey: key,
    now,
  });
  return { key, keyPem: encodePrivateKeyPem(key), certPem };
}

interface LeafOptions {
  dnsNames: string[];
  commonName?: string;
  issuer: KeyPair;
  notBefore?: Date;
  durationMs?: number;
  key?: KeyObject;
  isCA?: boolean;
}

/** A leaf (or intermediate with isCA) signed by issuer. */
export async function makeLeaf(o: LeafOptions): Promise<KeyPair> {
  const key = o.key ?? (await generatePrivateKey({ algorithm: 'ECDSA', size: 256 }));
  const csr = await createCsr(key, { commonName: o.commonName, dnsNames: o.dnsNames });
  const certPem = await signCertificate({
    csr,
    durationMs: o.durationMs ?? 12 * HOUR,
    isCA: o.isCA,
    usages: o.isCA ? ['cert sign', 'digital signature'] : ['digital signature', 'key encipherment', 'server auth'],
    signerKey: o.issuer.key,
    signerCertificatePem: o.issuer.certPem,
    now: o.notBefore ?? new Date(Date.now() - 60_000),
  });
  return { key, keyPem: encodePrivateKeyPem(key), certPem };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function tlsSecret(
  namespace: string,
  name: string,
  certPem: string,
  keyPem: string,
  caPem?: string,
  annotations: Record<string, string> = {},
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, annotations, labels: { 'controller.cert-manager.io/fao': 'true' } },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(certPem), 'tls.key': b64(keyPem), ...(caPem ? { 'ca.crt': b64(caPem) } : {}) },
  } as KubernetesObject;
}

/** The ClusterIssuer the CLI tests' Certificates name (test/fixtures.ts certificate() defaults to a SelfSigned Issuer). */
export const LETSENCRYPT = { name: 'letsencrypt', kind: 'ClusterIssuer' } as const;

function ownerRef(owner: KubernetesObject) {
  return [
    { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true },
  ];
}

/** Creates obj, then writes its status through the status subresource (as a controller would). */
export async function createWithStatus<T extends KubernetesObject & { status?: unknown }>(client: KubeClient, r: ResourceDescriptor, obj: T): Promise<T> {
  const { status, ...rest } = obj as any;
  const created = await client.create<T>(r, rest as T);
  if (status === undefined) return created;
  return client.replaceStatus<T>(r, { ...created, status } as T);
}

/** The chain the worker creates for an ACME issuance in flight: CertificateRequest -> Order -> Challenges. */
export async function createIssuanceChain(
  client: KubeClient,
  cert: Certificate,
  opts: {
    revision: number;
    cr: Partial<CertificateRequest['status']>;
    order: Order['status'];
    challenges: Array<{ dnsName: string; status: Challenge['status'] }>;
  },
): Promise<{ cr: CertificateRequest; order: Order; challenges: Challenge[] }> {
  const ns = cert.metadata.namespace!;
  const name = `${cert.metadata.name}-${opts.revision}`;
  const issuerRef = cert.spec.issuerRef;
  const cr = await createWithStatus<CertificateRequest>(client, Resources.CertificateRequest, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: {
      name,
      namespace: ns,
      ownerReferences: ownerRef(cert),
      annotations: { 'cert-manager.io/certificate-name': cert.metadata.name!, 'cert-manager.io/certificate-revision': String(opts.revision) },
    },
    spec: { request: b64('-----BEGIN CERTIFICATE REQUEST-----\nMA==\n-----END CERTIFICATE REQUEST-----\n'), issuerRef },
    status: opts.cr,
  });
  const order = await createWithStatus<Order>(client, Resources.Order, {
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Order',
    metadata: { name: `${name}-1234567`, namespace: ns, ownerReferences: ownerRef(cr) },
    spec: { request: cr.spec.request, issuerRef, dnsNames: cert.spec.dnsNames },
    status: opts.order,
  });
  const challenges: Challenge[] = [];
  for (const [i, c] of opts.challenges.entries()) {
    challenges.push(
      await createWithStatus<Challenge>(client, Resources.Challenge, {
        apiVersion: 'acme.cert-manager.io/v1',
        kind: 'Challenge',
        metadata: { name: `${order.metadata.name}-${i}`, namespace: ns, ownerReferences: ownerRef(order) },
        spec: {
          authorizationURL: `https://acme.test/authz/${i}`,
          dnsName: c.dnsName,
          issuerRef,
          key: 'token.thumbprint',
          solver: { http01: { ingress: { ingressClassName: 'nginx' } } },
          token: `token${i}`,
          type: 'HTTP-01',
          url: `https://acme.test/chall/${i}`,
        },
        status: c.status,
      }),
    );
  }
  return { cr, order, challenges };
}

export async function createEvent(client: KubeClient, about: KubernetesObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.create(Resources.Event, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${about.metadata!.name}.${Math.random().toString(16).slice(2, 10)}`, namespace: about.metadata!.namespace },
    involvedObject: {
      apiVersion: about.apiVersion,
      kind: about.kind,
      name: about.metadata!.name,
      namespace: about.metadata!.namespace,
      uid: about.metadata!.uid,
    },
    type,
    reason,
    message,
    count: 1,
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    source: { component: 'certgate-worker' },
  } as KubernetesObject);
}
