// The objects of the ACME controller tables (Order and Challenge): an ACME Issuer, an Order for
// web.example.test in the state the CA's fake holds, and the Challenges it owns.
import type { ACMEChallengeSolver, Challenge, ChallengeStatus, Issuer, Order, OrderSpec, OrderStatus } from '../../api/types.generated.ts';
import { CA, caUrls, type FakeCa } from './fake-acme.ts';
import { challengeName } from '../../worker/object-names.ts';

export const NS = 'apps';
export const ORDER = 'web-1';
export const ORDER_UID = 'order-web-1-uid';
const CSR_PEM = '-----BEGIN CERTIFICATE REQUEST-----\nMIIfake\n-----END CERTIFICATE REQUEST-----\n';

/** An ACME Issuer "le" in NS with these solvers (default: HTTP-01 through an Ingress of class nginx). */
export function acmeIssuer(solvers: ACMEChallengeSolver[] = [{ http01: { ingress: { ingressClassName: 'nginx' } } }]): Issuer {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: 'le', namespace: NS },
    spec: { acme: { server: `${CA}/dir`, privateKeySecretRef: { name: 'le-account' }, solvers } },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered', message: '' }] },
  };
}

/** Order "web-1" for `names`, with `status` (and spec fields such as profile or replaces). */
export function order(names: string[], status?: OrderStatus, spec: Partial<OrderSpec> = {}): Order {
  return {
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Order',
    metadata: {
      name: ORDER,
      namespace: NS,
      uid: ORDER_UID,
      ownerReferences: [{ apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', name: ORDER, uid: 'cr-uid', controller: true }],
    },
    spec: {
      request: Buffer.from(CSR_PEM).toString('base64'),
      issuerRef: { name: 'le', kind: 'Issuer', group: 'cert-manager.io' },
      dnsNames: names,
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

/** The Order status once the ACME order at `url` is known: its URL and authorizations as the CA holds them. */
export function knownStatus(ca: FakeCa, url: string, state: OrderStatus['state'] = 'pending', more: OrderStatus = {}): OrderStatus {
  const o = ca.orders.get(url)!;
  return {
    url,
    finalizeURL: o.finalize,
    state,
    authorizations: o.authorizations.map((a) => {
      const authz = ca.authorizations.get(a)!;
      return {
        url: a,
        identifier: authz.identifier.value,
        wildcard: !!authz.wildcard,
        initialState: authz.status,
        challenges: authz.challenges.map((c) => ({ type: c.type, token: c.token, url: c.url })),
      };
    }),
    ...more,
  };
}

/** The HTTP-01 Challenge the Order "web-1" makes for `name`, with `status` and extra spec/metadata. */
export function challenge(name: string, status?: ChallengeStatus, more: { uid?: string; finalizers?: string[]; deleting?: boolean } = {}): Challenge {
  const token = caUrls.token(name, 'http-01');
  return {
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Challenge',
    metadata: {
      name: challengeName(ORDER, caUrls.authz(name), 'HTTP-01'),
      namespace: NS,
      uid: more.uid ?? `challenge-${name}-uid`,
      creationTimestamp: new Date('2026-01-01T00:00:00Z'),
      finalizers: more.finalizers ?? ['acme.cert-manager.io/finalizer'],
      ...(more.deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
      ownerReferences: [{ apiVersion: 'acme.cert-manager.io/v1', kind: 'Order', name: ORDER, uid: ORDER_UID, controller: true }],
    },
    spec: {
      authorizationURL: caUrls.authz(name),
      dnsName: name,
      issuerRef: { name: 'le', kind: 'Issuer', group: 'cert-manager.io' },
      key: `${token}.account-thumbprint`,
      solver: { http01: { ingress: { ingressClassName: 'nginx' } } },
      token,
      type: 'HTTP-01',
      url: caUrls.challenge(name, 'http-01'),
      wildcard: false,
    },
    ...(status ? { status } : {}),
  };
}
