// Plain objects for the certificate controllers' table tests (key manager, request manager,
// issuing, renewal information): one Certificate "apps/web" in the shapes a table case needs, its
// Secrets, the writes a controller made as short lines ("create Secret web-tls"), and the runner
// that plays each case: one pass, then a second once the watches brought the first pass's writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { encodePrivateKeyPem, type KeySpec, generatePrivateKey, parsePrivateKeyPem, describePrivateKey } from '../../lib/pki/index.ts';
import type { QueueController } from '../../worker/controller.ts';
import type { WorkerConfig } from '../../worker/config.ts';
import type { WorkerContext } from '../../worker/context.ts';
import { fakeWorker, tlsSecret, type FakeWorker, type RecordedWrite } from './fake-context.ts';
import type { IssuedPair } from './issued-pair.ts';

export const NS = 'apps';
export const NAME = 'web';
export const DNS_NAME = 'web.example.test';

export const DAY = 86_400_000;
/** The next-key Secret named in status by issuingWithKey(). */
export const NEXT_KEY_SECRET = 'web-next-key-abcde';

type Condition = NonNullable<NonNullable<Certificate['status']>['conditions']>[number];

/** Issuing=True, as the trigger sets it when an issuance starts. */
export const issuingTrue: Condition = { type: 'Issuing', status: 'True', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' };

/** `status` with Issuing=True and the next key recorded, as the trigger and the key manager leave it. */
export const issuingWithKey = (status: Certificate['status'] = {}): Certificate['status'] => ({
  nextPrivateKeySecretName: NEXT_KEY_SECRET,
  ...status,
  conditions: [issuingTrue],
});

/** Certificate apps/web for web.example.test (ECDSA P-256 unless `spec` says otherwise). */
export function certificate(
  status: Certificate['status'] = {},
  opts: { spec?: Partial<Certificate['spec']>; annotations?: Record<string, string>; labels?: Record<string, string>; deleting?: boolean } = {},
): Certificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: NAME,
      namespace: NS,
      uid: 'uid-web',
      generation: 1,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.deleting ? { deletionTimestamp: new Date(0) as never, finalizers: ['test.example/hold'] } : {}),
    },
    spec: {
      secretName: 'web-tls',
      dnsNames: [DNS_NAME],
      issuerRef: { name: 'ca', kind: 'Issuer' },
      privateKey: { algorithm: 'ECDSA', size: 256 },
      ...opts.spec,
    },
    status,
  };
}

/** The annotations certgate writes on a Secret issued for apps/web by `issuer`. */
export function issuedAnnotations(issuer = 'ca'): Record<string, string> {
  return {
    'cert-manager.io/issuer-name': issuer,
    'cert-manager.io/issuer-kind': 'Issuer',
    'cert-manager.io/issuer-group': 'cert-manager.io',
    'cert-manager.io/certificate-name': NAME,
    'cert-manager.io/common-name': '',
    'cert-manager.io/alt-names': DNS_NAME,
    'cert-manager.io/ip-sans': '',
    'cert-manager.io/uri-sans': '',
  };
}

/** The Certificate's Secret "web-tls" holding `pair`, as certgate wrote it. */
export const issuedSecret = (pair: IssuedPair, annotations = issuedAnnotations()): V1Secret => tlsSecret(NS, 'web-tls', pair, annotations);

/** A Secret holding only a private key (tls.key), labelled as the key manager labels its Secrets unless `labelled` is false. */
export function keySecret(name: string, keyPem: string, labelled = true): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace: NS,
      ...(labelled ? { labels: { 'controller.cert-manager.io/fao': 'true', 'cert-manager.io/next-private-key': 'true' } } : {}),
    },
    data: { 'tls.key': Buffer.from(keyPem).toString('base64') },
  };
}

/** A CertificateRequest controlled by apps/web, with `annotations`, `spec` and `status` as given. */
export function ownedRequest(
  name: string,
  annotations: Record<string, string>,
  spec: CertificateRequest['spec'],
  status: CertificateRequest['status'] = {},
): CertificateRequest {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: {
      name,
      namespace: NS,
      annotations,
      ownerReferences: [{ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: NAME, uid: 'uid-web', controller: true, blockOwnerDeletion: true }],
    },
    spec,
    status,
  };
}

export async function newKeyPem(spec: KeySpec): Promise<string> {
  return encodePrivateKeyPem(await generatePrivateKey(spec), 'PKCS8');
}

/** "ECDSA 256", "RSA 2048": the kind of key a PEM holds. */
export function keyKind(pem: string): string {
  const d = describePrivateKey(parsePrivateKeyPem(pem));
  return `${d.algorithm} ${d.size ?? ''}`.trim();
}

export const secretData = (s: V1Secret | undefined, key: string): string | undefined => {
  const v = s?.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
};

/** The writes as "verb Kind[/subresource] name", in order: what a table case expects. */
export const writeLines = (writes: RecordedWrite[]): string[] => writes.map((w) => `${w.verb} ${w.kind}${w.subresource ? `/${w.subresource}` : ''} ${w.name}`);

export interface TableCase {
  name: string;
  objects: () => KubernetesObject[];
  config?: Partial<WorkerConfig>;
  /** The writes, as writeLines() prints them. */
  writes: string[];
  events?: string[];
  requeueAfterMs?: number;
  /** Checks on what the API server holds afterwards. */
  check?: (w: FakeWorker) => void | Promise<void>;
  /** Without a requeue: the writes of a second pass once the watches brought the first pass's writes (none unless given). */
  again?: string[];
}

/** One test per case: a pass over apps/web at `now`, then (when no requeue was asked) a second pass, which must be quiet: level-triggered. */
export function certificateTable(cases: TableCase[], controller: (ctx: WorkerContext) => QueueController, now = Date.UTC(2026, 0, 1)): void {
  for (const c of cases) {
    test(c.name, async () => {
      const w = fakeWorker(c.objects(), { now: new Date(now).toISOString(), config: c.config });
      const result = await controller(w.ctx).sync(`${NS}/${NAME}`);
      assert.deepEqual(writeLines(w.writes), c.writes);
      assert.deepEqual(
        w.events.map((e) => e.reason),
        c.events ?? [],
      );
      assert.equal(result?.requeueAfterMs, c.requeueAfterMs);
      await c.check?.(w);
      if (c.requeueAfterMs !== undefined) return;
      w.settle();
      const before = w.writes.length;
      await controller(w.ctx).sync(`${NS}/${NAME}`);
      assert.deepEqual(writeLines(w.writes.slice(before)), c.again ?? [], 'the second pass');
    });
  }
}
