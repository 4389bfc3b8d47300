// cert-manager's gateway-shim table (pkg/controller/certificate-shim/sync_test.go: TestSync's
// Gateway cases and Test_validateGatewayListenerBlock), carried over as facts: the Gateway and
// Certificates going in, and what cert-manager creates, updates, deletes and records. Each case runs
// certgate's own decision (planGateway, what the worker's gateway shim carries out) and states
// certgate's outcome: the same as cert-manager's, or a deliberate difference naming the README rule
// ("Migrating from cert-manager", controller side). The two ListenerSet cases are not carried over:
// ListenerSet is in Gateway API's experimental channel, which certgate does not watch.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway, Listener } from '../../api/gateway-api.generated.ts';
import type { Certificate, CertificateSpec } from '../../api/types.generated.ts';
import type { IssuerRef } from '../config.ts';
import { planGateway } from './plan.ts';
import {
  assertOutcome,
  cn,
  created,
  createdEvent,
  existingCertificate,
  NOTHING,
  ownerMeta,
  REFUSED,
  SYNC_NS,
  updated,
  withLabel,
  type CertOut,
  type Outcome,
  type OwnerInput,
} from '../../test/worker/shim-sync-table.ts';
import { gatewayListeners } from '../../lib/gateway-listeners.ts';
import { listenerProblems } from './spec.ts';

const NS = SYNC_NS;
const CLUSTER_ISSUER = { 'cert-manager.io/cluster-issuer': 'issuer-name' };
const ISSUER = { 'cert-manager.io/issuer': 'issuer-name' };
const KIND_GROUP = { 'cert-manager.io/issuer-kind': 'Issuer', 'cert-manager.io/issuer-group': 'cert-manager.io' };
const PARENT_REF = { 'acme.cert-manager.io/http01-parentrefname': 'gateway-name', 'acme.cert-manager.io/http01-parentrefkind': 'Gateway' };
const EDIT_IN_PLACE_OUT = {
  'acme.cert-manager.io/http01-override-ingress-name': 'gateway-name',
  'cert-manager.io/issue-temporary-certificate': 'true',
  ...PARENT_REF,
};
const SECRET_REF = { group: 'core', kind: 'Secret' };

/** A listener as cert-manager's cases write it: port 443, Terminate, one core/Secret certificateRef. */
function listener(hostname: string | undefined, secret: string | undefined, more: Partial<Listener> = {}): Listener {
  return {
    name: more.name ?? '',
    port: 443,
    protocol: 'HTTPS',
    ...(hostname !== undefined ? { hostname } : {}),
    tls: { mode: 'Terminate', ...(secret ? { certificateRefs: [{ ...SECRET_REF, name: secret }] } : {}) },
    ...more,
  };
}

interface GatewayInput extends OwnerInput {
  listeners?: Listener[];
}

function gateway(g: GatewayInput): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: ownerMeta('gateway-name', g),
    spec: { gatewayClassName: 'test-gateway', listeners: g.listeners ?? [] },
  } as Gateway;
}

/** A Certificate in the lister, controlled by `owner` ({kind, name}), or by nothing with owner null. */
function existing(c: CertOut, owner: { kind: string; name: string } | null = { kind: 'Gateway', name: 'gateway-name' }): Certificate {
  const apiVersion = owner?.kind === 'Ingress' ? 'networking.k8s.io/v1' : 'gateway.networking.k8s.io/v1';
  return existingCertificate(c, owner && { apiVersion, ...owner });
}

/** cert-manager's buildParentRefAnnotations() unless said otherwise. */
const cert = (
  name: string,
  dnsNames: string[],
  issuer: CertificateSpec['issuerRef'],
  spec: Partial<CertificateSpec> = {},
  more: Omit<CertOut, 'spec' | 'name'> = {},
): CertOut => ({
  name,
  annotations: PARENT_REF,
  ...more,
  spec: { dnsNames, secretName: name, issuerRef: issuer, ...spec },
});
const CLUSTER = { name: 'issuer-name', kind: 'ClusterIssuer' } as const;
const NAMESPACED = { name: 'issuer-name', kind: 'Issuer' } as const;
const NAMESPACED_GROUP = { name: 'issuer-name', kind: 'Issuer', group: 'cert-manager.io' } as const;

interface Case {
  name: string;
  gateway: GatewayInput;
  existing?: Certificate[];
  defaultIssuer?: IssuerRef;
  extraProtocols?: string[];
  /** What cert-manager does. */
  certManager: Outcome | typeof REFUSED;
  /** What certgate does when it differs, and the README rule that says why. */
  certgate?: { outcome: Outcome | typeof REFUSED; rule: string };
}

const notOwned = (name: string): Outcome => ({ events: [`Warning BadConfig Certificate "${name}" exists and is not owned by this Gateway; leaving it alone`] });
const passthroughNote = (name: string, i: number) =>
  `Normal SkippedListener Skipped listener "${name}" (spec.listeners[${i}]): tls.mode is Passthrough, so the backend terminates TLS with its own certificate`;

const EXAMPLE = [listener('example.com', 'example-com-tls')];
const KEEPS_HTTP01 = 'shim-keeps-http01-annotations';

export const GATEWAY_SYNC_CASES: Case[] = [
  {
    name: 'return a single Certificate for a Gateway with a single valid TLS entry and common-name annotation (HTTPS)',
    gateway: { ...withLabel, annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' }, listeners: EXAMPLE },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER, cn, withLabel)),
  },
  {
    name: 'de-duplicates the same hostname referenced by multiple listeners for one Secret',
    gateway: {
      annotations: CLUSTER_ISSUER,
      listeners: ['listener-1', 'listener-2', 'listener-3'].map((name) => listener('example.com', 'example-com-tls', { name })),
    },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER)),
  },
  {
    name: 'return a single Certificate for a Gateway with a single valid TLS entry and common-name annotation (TLS)',
    gateway: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' },
      listeners: [listener('example.com', 'example-com-tls', { protocol: 'TLS' })],
    },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER, cn, withLabel)),
  },
  {
    name: 'return a single HTTP01 Certificate for a Gateway with a single valid TLS entry and HTTP01 annotations using edit-in-place',
    gateway: { ...withLabel, annotations: { ...CLUSTER_ISSUER, 'acme.cert-manager.io/http01-edit-in-place': 'true' }, listeners: EXAMPLE },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER, {}, { ...withLabel, annotations: EDIT_IN_PLACE_OUT })),
  },
  {
    name: 'create a Certificate with the HTTP01 name override if the given Gateway uses http01 annotations',
    gateway: { ...withLabel, annotations: { ...CLUSTER_ISSUER, 'acme.cert-manager.io/http01-edit-in-place': 'true' }, listeners: EXAMPLE },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER, {}, { ...withLabel, annotations: EDIT_IN_PLACE_OUT })),
  },
  {
    name: 'return a single HTTP01 Certificate for an Gateway with a single valid TLS entry and HTTP01 annotations with no gateway class set',
    gateway: { annotations: CLUSTER_ISSUER, listeners: EXAMPLE },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER)),
  },
  {
    name: 'return a single HTTP01 Certificate for an Gateway with a single valid TLS entry and HTTP01 annotations with a custom gateway class',
    gateway: { annotations: { ...CLUSTER_ISSUER, 'kubernetes.io/ingress.class': 'nginx-ing' }, listeners: EXAMPLE },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER)),
  },
  {
    name: 'return a single HTTP01 Certificate for an Gateway with a single valid TLS entry and HTTP01 annotations with a certificate Gateway class',
    gateway: {
      annotations: { ...CLUSTER_ISSUER, 'acme.cert-manager.io/http01-ingress-class': 'cert-ing', 'kubernetes.io/ingress.class': 'nginx-ing' },
      listeners: EXAMPLE,
    },
    certManager: created(
      cert(
        'example-com-tls',
        ['example.com'],
        CLUSTER,
        {},
        { annotations: { 'acme.cert-manager.io/http01-override-ingress-class': 'cert-ing', ...PARENT_REF } },
      ),
    ),
  },
  {
    name: 'edit-in-place set to false should not trigger editing the Gateway in-place',
    gateway: {
      annotations: { ...CLUSTER_ISSUER, 'kubernetes.io/ingress.class': 'nginx-ing', 'acme.cert-manager.io/http01-edit-in-place': 'false' },
      listeners: EXAMPLE,
    },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER)),
  },
  {
    name: 'return a single DNS01 Certificate for a Gateway with a single valid TLS entry',
    gateway: { annotations: CLUSTER_ISSUER, listeners: EXAMPLE },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER)),
  },
  {
    name: 'kubernetes.io/tls-acme should not trigger a Gateway',
    defaultIssuer: { name: 'issuer-name', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    gateway: { annotations: { 'kubernetes.io/tls-acme': 'true' }, listeners: EXAMPLE },
    certManager: NOTHING,
  },
  {
    name: 'should skip an invalid TLS entry (no TLS hosts specified)',
    gateway: { annotations: ISSUER, listeners: [listener('example.com', 'example-com-tls'), listener(undefined, 'example-com-tls')] },
    certManager: {
      create: [cert('example-com-tls', ['example.com'], NAMESPACED)],
      events: [
        'Warning BadConfig Skipped a listener block: spec.listeners[1].hostname: Required value: the hostname cannot be empty',
        createdEvent('example-com-tls'),
      ],
    },
  },
  {
    name: 'should skip an invalid TLS entry (no TLS secret name specified)',
    gateway: { annotations: ISSUER, listeners: [listener('example.com', undefined), listener('www.example.com', 'example-com-tls')] },
    certManager: {
      create: [cert('example-com-tls', ['www.example.com'], NAMESPACED)],
      events: [
        'Warning BadConfig Skipped a listener block: spec.listeners[0].tls.certificateRef: Required value: listener has no certificateRefs',
        createdEvent('example-com-tls'),
      ],
    },
  },
  {
    name: 'should skip TLS protocol listener in TLS passthrough mode',
    gateway: {
      annotations: ISSUER,
      listeners: [
        listener('example.com', 'example-com-tls'),
        listener('subdomain.example.com', undefined, { name: 'passthrough', protocol: 'TLS', tls: { mode: 'Passthrough' } }),
      ],
    },
    certManager: created(cert('example-com-tls', ['example.com'], NAMESPACED)),
    certgate: {
      outcome: { create: [cert('example-com-tls', ['example.com'], NAMESPACED)], events: [passthroughNote('passthrough', 1), createdEvent('example-com-tls')] },
      rule: 'shim-says-why',
    },
  },
  {
    name: 'should error if the specified issuer is not found',
    gateway: { annotations: { 'cert-manager.io/issuer': 'invalid-issuer-name' } },
    certManager: NOTHING,
  },
  {
    name: 'should not return any certificates if a correct Certificate already exists',
    defaultIssuer: { name: '', kind: 'Issuer', group: 'cert-manager.io' },
    gateway: { annotations: ISSUER, listeners: [listener('example.com', 'existing-crt')] },
    existing: [existing({ name: 'existing-crt', spec: { dnsNames: ['example.com'], issuerRef: NAMESPACED_GROUP } })],
    certManager: NOTHING,
    // cert-manager compares no annotations, so a Certificate made before it wrote the parent-ref annotations never gets them.
    certgate: { outcome: updated(cert('existing-crt', ['example.com'], NAMESPACED_GROUP)), rule: KEEPS_HTTP01 },
  },
  {
    name: 'should update a certificate if an incorrect Certificate exists',
    defaultIssuer: { name: '', kind: 'Issuer', group: '' },
    gateway: { annotations: ISSUER, listeners: [listener('example.com', 'existing-crt')] },
    existing: [existing({ name: 'existing-crt', spec: { issuerRef: { name: '' } } })],
    certManager: updated(cert('existing-crt', ['example.com'], NAMESPACED, {}, { annotations: {} })),
    certgate: { outcome: updated(cert('existing-crt', ['example.com'], NAMESPACED)), rule: KEEPS_HTTP01 },
  },
  {
    name: 'should update an existing Certificate resource with new labels if they do not match those specified on the Gateway',
    defaultIssuer: { name: '', kind: 'Issuer', group: '' },
    gateway: { ...withLabel, annotations: ISSUER, listeners: [listener('example.com', 'cert-secret-name')] },
    existing: [
      existing({ name: 'cert-secret-name', labels: { 'a-different-value': 'should be removed' }, spec: { dnsNames: ['example.com'], issuerRef: NAMESPACED } }),
    ],
    certManager: updated(cert('cert-secret-name', ['example.com'], NAMESPACED, {}, { ...withLabel, annotations: {} })),
    certgate: { outcome: updated(cert('cert-secret-name', ['example.com'], NAMESPACED, {}, withLabel)), rule: KEEPS_HTTP01 },
  },
  {
    name: 'should not update certificate if it does not belong to any Gateway',
    gateway: { annotations: { ...ISSUER, 'kubernetes.io/ingress.class': 'toot-ing' }, listeners: [listener('example.com', 'existing-crt')] },
    existing: [existing({ name: 'existing-crt', spec: { dnsNames: ['example.com'], issuerRef: NAMESPACED } }, null)],
    certManager: NOTHING,
    certgate: { outcome: notOwned('existing-crt'), rule: 'shim-says-why' },
  },
  {
    name: 'should not update certificate if it does not belong to the Gateway',
    gateway: { annotations: { ...ISSUER, 'kubernetes.io/ingress.class': 'toot-ing' }, listeners: [listener('example.com', 'existing-crt')] },
    existing: [existing({ name: 'existing-crt', spec: { dnsNames: ['example.com'], issuerRef: NAMESPACED } }, { kind: 'Ingress', name: 'not-gateway-name' })],
    certManager: NOTHING,
    certgate: { outcome: notOwned('existing-crt'), rule: 'shim-says-why' },
  },
  {
    name: 'should delete a Certificate if its secret name is not present in the Gateway',
    gateway: { annotations: ISSUER },
    existing: [existing({ name: 'existing-crt', spec: { dnsNames: ['example.com'], issuerRef: NAMESPACED } })],
    certManager: { delete: ['existing-crt'], events: ['Normal DeleteCertificate Successfully deleted unrequired Certificate "existing-crt"'] },
  },
  {
    name: 'should update a Certificate if it contains a Common Name that is not defined on the Gateway annotations',
    gateway: { annotations: { ...ISSUER, ...KIND_GROUP }, listeners: EXAMPLE },
    existing: [existing({ name: 'example-com-tls', spec: { dnsNames: ['example.com'], commonName: 'example-common-name', issuerRef: NAMESPACED_GROUP } })],
    certManager: updated(cert('example-com-tls', ['example.com'], NAMESPACED_GROUP, {}, { annotations: {} })),
    certgate: { outcome: updated(cert('example-com-tls', ['example.com'], NAMESPACED_GROUP)), rule: KEEPS_HTTP01 },
  },
  {
    name: 'if a Gateway contains multiple listeners that specify the same secretName, it should create a single Certificate',
    gateway: {
      annotations: { ...ISSUER, ...KIND_GROUP },
      listeners: ['example.com', 'www.example.com', 'foo.example.com'].map((h) => listener(h, 'example-com-tls')),
    },
    certManager: created(cert('example-com-tls', ['example.com', 'www.example.com', 'foo.example.com'], NAMESPACED_GROUP)),
  },
  {
    name: 'if a Gateway contains two listeners with different Secret names, it should create two Certificates',
    gateway: {
      annotations: { ...ISSUER, ...KIND_GROUP },
      listeners: [listener('foo.example.com', 'foo-example-com-tls'), listener('bar.example.com', 'bar-example-com-tls')],
    },
    certManager: created(
      cert('foo-example-com-tls', ['foo.example.com'], NAMESPACED_GROUP),
      cert('bar-example-com-tls', ['bar.example.com'], NAMESPACED_GROUP),
    ),
  },
  {
    name: 'Failure to translate the Gateway annotations',
    gateway: { annotations: { ...ISSUER, ...KIND_GROUP, 'cert-manager.io/renew-before': 'invalid renew before value' }, listeners: EXAMPLE },
    certManager: REFUSED,
  },
  {
    name: 'return a single Certificate for a Gateway with a single valid TLS entry with common-name and keyusage annotation',
    gateway: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn', 'cert-manager.io/usages': 'signing,digital signature,content commitment' },
      listeners: EXAMPLE,
    },
    certManager: created(
      cert('example-com-tls', ['example.com'], CLUSTER, { ...cn, usages: ['signing', 'digital signature', 'content commitment'] }, withLabel),
    ),
  },
  {
    name: 'should not trigger a gateway sync if deleted in foreground',
    defaultIssuer: { name: 'issuer-name', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    gateway: { annotations: { 'cert-manager.io/issuer': '' }, deleting: true },
    certManager: NOTHING,
  },
  {
    name: 'return a single Certificate for a Gateway with a single valid TLS entry and common-name annotation (HTTPS) [applyset label]',
    gateway: {
      labels: { 'my-test-label': 'should be copied', 'applyset.kubernetes.io/part-of': 'should not be propagated' },
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' },
      listeners: EXAMPLE,
    },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER, cn, withLabel)),
  },
  {
    name: 'extra Gateway annotation is copied to Certificate object',
    gateway: {
      labels: {},
      annotations: {
        ...CLUSTER_ISSUER,
        'cert-manager.io/common-name': 'my-cn',
        'venafi.cert-manager.io/custom-fields': 'foo',
        'venafi.cert-manager.io/do-not-copy': 'bar',
      },
      listeners: EXAMPLE,
    },
    certManager: created(
      cert('example-com-tls', ['example.com'], CLUSTER, cn, { annotations: { 'venafi.cert-manager.io/custom-fields': 'foo', ...PARENT_REF } }),
    ),
    certgate: { outcome: created(cert('example-com-tls', ['example.com'], CLUSTER, cn)), rule: 'no-extra-certificate-annotations' },
  },
  {
    name: 'Gateway: custom extra protocol with valid TLS block generates a Certificate',
    extraProtocols: ['CUSTOM-PROTOCOL'],
    gateway: { annotations: CLUSTER_ISSUER, listeners: [listener('example.com', 'example-com-tls', { protocol: 'CUSTOM-PROTOCOL' })] },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER)),
  },
  {
    name: 'Gateway: custom extra protocol with TLS passthrough is skipped (no Certificate)',
    extraProtocols: ['CUSTOM-PROTOCOL'],
    gateway: {
      annotations: CLUSTER_ISSUER,
      listeners: [listener('example.com', undefined, { name: 'custom', protocol: 'CUSTOM-PROTOCOL', tls: { mode: 'Passthrough' } })],
    },
    certManager: NOTHING,
    certgate: { outcome: { events: [passthroughNote('custom', 0)] }, rule: 'shim-says-why' },
  },
  {
    name: 'Gateway: empty GatewayAPIExtraProtocols leaves custom protocol Listener unprocessed',
    extraProtocols: [],
    gateway: { annotations: CLUSTER_ISSUER, listeners: [listener('example.com', 'example-com-tls', { protocol: 'CUSTOM-PROTOCOL' })] },
    certManager: NOTHING,
  },
  {
    name: 'Gateway: GatewayAPIExtraProtocols containing duplicate built-in HTTPS does not cause duplicate Certificate',
    extraProtocols: ['HTTPS'],
    gateway: { annotations: CLUSTER_ISSUER, listeners: EXAMPLE },
    certManager: created(cert('example-com-tls', ['example.com'], CLUSTER)),
  },
  {
    name: 'GatewayAPI ListenerIgnoreAnnotation should ignore listeners',
    gateway: {
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/ignore-tls-listeners': 'custom-proto-listener' },
      listeners: [listener('example.com', 'example-com-tls', { name: 'custom-proto-listener' })],
    },
    certManager: NOTHING,
  },
  {
    name: 'GatewayAPI ListenerIgnoreAnnotation should ignore only listeners with matching name',
    gateway: {
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/ignore-tls-listeners': 'custom-proto-listener,ignore-listener' },
      listeners: [
        listener('example.com', 'example-com-tls', { name: 'custom-proto-listener' }),
        listener('ignore.example.com', 'ignore-example-com-tls', { name: 'ignore-listener' }),
        listener('new.example.com', 'new-example-com-tls', { name: 'custom-proto-listener-new' }),
      ],
    },
    certManager: created(cert('new-example-com-tls', ['new.example.com'], CLUSTER)),
  },
];

describe("cert-manager's certificate-shim TestSync (Gateway cases)", () => {
  for (const c of GATEWAY_SYNC_CASES) {
    it(c.certgate ? `${c.name} [deliberate difference: ${c.certgate.rule}]` : c.name, () => {
      const plan = planGateway('gateway-name', gateway(c.gateway), c.existing ?? [], { defaultIssuer: c.defaultIssuer, extraProtocols: c.extraProtocols });
      assertOutcome(plan, c.certgate ? c.certgate.outcome : c.certManager);
    });
  }

  it('the Certificates are controlled by the Gateway (gateway.networking.k8s.io/v1), so the garbage collector removes them with it', () => {
    const [c] = planGateway('gateway-name', gateway({ annotations: ISSUER, listeners: EXAMPLE }), []).create;
    assert.deepEqual(c.metadata.ownerReferences, [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'gateway-name', uid: 'gateway-name', controller: true, blockOwnerDeletion: true },
    ]);
  });
});

// cert-manager's Test_validateGatewayListenerBlock: [name, listener, Gateway namespace, error or ''].
const ref = (r: Record<string, string>) =>
  listener('example.com', undefined, { tls: { mode: 'Terminate', certificateRefs: [{ name: 'example-com-tls', ...r }] } });
const LISTENER_CASES: Array<[string, Listener, string, string]> = [
  [
    'empty TLS block',
    { name: '', port: 443, protocol: 'HTTPS', hostname: 'example.com' },
    NS,
    'spec.listeners[0].tls: Required value: the TLS block cannot be empty',
  ],
  ['empty hostname', listener('', 'example-com-tls'), NS, 'spec.listeners[0].hostname: Required value: the hostname cannot be empty'],
  ['empty group', ref({ group: '', kind: 'Secret' }), NS, ''],
  [
    'unsupported group',
    ref({ group: 'invalid', kind: 'Secret' }),
    NS,
    'spec.listeners[0].tls.certificateRef[0].group: Unsupported value: "invalid": supported values: "core", ""',
  ],
  [
    'unsupported kind',
    ref({ group: 'core', kind: 'SomeOtherKind' }),
    NS,
    'spec.listeners[0].tls.certificateRef[0].kind: Unsupported value: "SomeOtherKind": supported values: "Secret", ""',
  ],
  [
    'cross-namespace secret ref',
    ref({ group: '', kind: 'Secret', namespace: 'another-namespace' }),
    NS,
    'spec.listeners[0].tls.certificateRef[0].namespace: Invalid value: "another-namespace": cross-namespace secret references are not allowed in listeners',
  ],
  ['same namespace secret ref', ref({ group: '', kind: 'Secret', namespace: 'another-namespace' }), 'another-namespace', ''],
];

describe("cert-manager's Test_validateGatewayListenerBlock", () => {
  for (const [name, l, namespace, want] of LISTENER_CASES) {
    it(name, () => assert.deepEqual(listenerProblems(gatewayListeners({ spec: { listeners: [l] } })[0], namespace), want ? [want] : []));
  }

  it('a listener referencing a Secret in another namespace gets no Certificate and a BadConfig Event saying why; the other listeners still do', () => {
    const plan = planGateway(
      'gateway-name',
      gateway({ annotations: ISSUER, listeners: [ref({ namespace: 'elsewhere' }), listener('www.example.com', 'www-tls')] }),
      [],
    );
    assert.deepEqual(
      plan.create.map((c) => c.metadata.name),
      ['www-tls'],
    );
    assert.deepEqual(
      plan.events.map((e) => `${e.type} ${e.reason} ${e.message}`)[0],
      'Warning BadConfig Skipped a listener block: spec.listeners[0].tls.certificateRef[0].namespace: Invalid value: "elsewhere": cross-namespace secret references are not allowed in listeners',
    );
  });
});

describe('ported gateway-shim table: counts', () => {
  it('every case is the same as cert-manager or names its rule', () => {
    const differences = GATEWAY_SYNC_CASES.filter((c) => c.certgate);
    for (const c of differences) assert.match(c.certgate!.rule, /^[a-z0-9-]+$/);
    const total = GATEWAY_SYNC_CASES.length + LISTENER_CASES.length;
    // Reported in README "Migrating from cert-manager" (controller side); keep both in step.
    assert.deepEqual({ total, same: total - differences.length, deliberate: differences.length }, { total: 42, same: 33, deliberate: 9 });
  });
});
