// The ACME IssuerBackend: turns a CertificateRequest into exactly one Order object and reports
// the Order's progress. All ACME traffic for issuance happens in the Order and Challenge
// controllers; this file only creates and reads Orders (and registers accounts for checkIssuer).
import { Resources, controllerRef } from '../../api/resources.ts';
import { CertificateRequestAnnotations, FINAL_ACME_STATES, IssuerReasons } from '../../api/constants.ts';
import type { CertificateRequest, ClusterIssuer, Issuer, Order } from '../../api/types.generated.ts';
import { isAlreadyExists } from '../../lib/kube/client.ts';
import { advertisedProfiles } from '../../lib/acme/client.ts';
import { readCsr } from '../../lib/pki/csr.ts';
import type { IssuerBackend, IssuerReadiness, SignRequest, SignResult } from '../issuance/backend.ts';
import type { AcmeContext } from './runtime.ts';
import { orderName } from '../object-names.ts';
import { solverCredentialProblems } from './challenges/dns01/provider.ts';
import { rejectedTsigKeys } from './challenges/dns01/rfc2136.ts';

/** How long a new Order may go without a state before its request's status says it is waiting on it. */
const FIRST_ORDER_STATE_WAIT_MS = 5_000;

/** CertificateRequest annotations copied to the Order (solver overrides set by the ingress shim). */
const ORDER_ANNOTATION_PREFIXES = ['acme.cert-manager.io/'];

export function createAcmeBackend(ctx: AcmeContext): IssuerBackend {
  const rt = ctx.acme;
  return {
    async sign(req: SignRequest): Promise<SignResult> {
      const cr = req.request;
      const ns = cr.metadata.namespace!;
      const acme = req.issuer.spec.acme;
      if (!acme) return { state: 'failed', reason: 'Failed', message: 'issuer is not an ACME issuer' };
      let desired: Order;
      try {
        desired = buildOrder(cr, acme.profile);
      } catch (err) {
        return { state: 'failed', reason: 'Failed', message: `invalid CSR: ${(err as Error).message}` };
      }
      const name = desired.metadata.name!;
      // From the cache (the Order controller's writes reach this reconcile through the watch).
      let order = await rt.orders.get(ns, name);
      if (!order) {
        try {
          order = await ctx.client.create(Resources.Order, desired);
          rt.orders.wrote(order);
          rt.createdOrders.set(order.metadata.uid!, ctx.clock.now());
          ctx.recorder.event(cr, 'Normal', 'OrderCreated', `Created Order resource ${ns}/${name}`);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          order = (await ctx.client.get<Order>(Resources.Order, ns, name))!;
        }
      }
      const st = order.status ?? {};
      // An Order this process just created: its controller's first status write (the ACME order's
      // state, usually within a few hundred ms) wakes this request again, and the request's status
      // is written then, once, instead of now with an empty state and again a moment later.
      const createdAt = rt.createdOrders.get(order.metadata.uid!);
      const waitedMs = createdAt === undefined ? Infinity : ctx.clock.now() - createdAt;
      if (!st.state && !st.reason && waitedMs < FIRST_ORDER_STATE_WAIT_MS) {
        return {
          state: 'pending',
          reason: 'Pending',
          message: `Created Order resource ${ns}/${name}`,
          recheckAfterMs: FIRST_ORDER_STATE_WAIT_MS - waitedMs,
          untilNews: true,
        };
      }
      if (st.state === 'valid' && st.certificate) {
        return { state: 'issued', certificatePem: Buffer.from(st.certificate, 'base64').toString('utf8') };
      }
      if (st.state && FINAL_ACME_STATES.has(st.state)) {
        return {
          state: 'failed',
          reason: 'Failed',
          message: `Failed to wait for order resource "${name}" to become ready: order is in "${st.state}" state: ${st.reason ?? 'no reason given'}`,
        };
      }
      // The Order's reason (why its challenges are stuck, or the CA's rate limit) is shown, never
      // parsed: the Order controller retries at the CA's time, and every change of the Order
      // wakes this request through the Order watch (certificaterequests/controller.ts).
      const why = st.reason ?? '';
      return {
        state: 'pending',
        reason: 'Pending',
        message: `Waiting on certificate issuance from order ${ns}/${name}: "${st.state ?? ''}"${why ? `: ${why}` : ''}`,
      };
    },

    async checkIssuer(issuer: Issuer | ClusterIssuer, resourceNamespace: string): Promise<IssuerReadiness> {
      const acme = issuer.spec.acme;
      if (!acme) return { ready: false, reason: IssuerReasons.ErrInitIssuer, message: 'issuer is not an ACME issuer' };
      if (acme.caBundle && acme.skipTLSVerify)
        return { ready: false, reason: IssuerReasons.ErrInitIssuer, message: 'caBundle and skipTLSVerify are mutually exclusive' };
      const missing = await solverCredentialProblems(ctx.client, resourceNamespace, acme.solvers ?? []);
      if (missing.length) return { ready: false, reason: IssuerReasons.ErrInitIssuer, message: `DNS-01 solver credentials missing: ${missing.join('; ')}` };
      const rejected = await rejectedTsigKeys(ctx.client, resourceNamespace, acme.solvers ?? []);
      if (rejected.length) return { ready: false, reason: IssuerReasons.ErrInitIssuer, message: `DNS-01 solver credentials refused: ${rejected.join('; ')}` };
      try {
        const reg = await rt.accounts.clientFor(acme, resourceNamespace);
        if (acme.profile) {
          const profiles = await advertisedProfiles(reg.client);
          if (!profiles.includes(acme.profile)) {
            return {
              ready: false,
              reason: IssuerReasons.ErrInitIssuer,
              message: `ACME server does not offer profile "${acme.profile}" (advertised profiles: ${profiles.length ? profiles.join(', ') : 'none'})`,
            };
          }
        }
        return {
          ready: true,
          reason: IssuerReasons.ACMEAccountRegistered,
          message: 'The ACME account was registered with the ACME server',
          status: { acme: { uri: reg.account.uri, lastRegisteredEmail: reg.account.email, lastPrivateKeyHash: reg.accountKeyHash } },
        };
      } catch (err) {
        return { ready: false, reason: IssuerReasons.ErrRegisterACMEAccount, message: `Failed to register ACME account: ${(err as Error).message}` };
      }
    },
  };
}

/** The Order object for a CertificateRequest, named deterministically from what it orders. */
export function buildOrder(cr: CertificateRequest, profile?: string): Order {
  // sign() runs on every pass of a pending request: the CSR is read once per text (lib/pki).
  const csr = readCsr(cr.spec.request);
  if (csr instanceof Error) throw csr;
  const names = csr.names;
  const dnsNames = [...new Set(names.dnsNames.map((d) => d.toLowerCase()))].sort();
  const ipAddresses = [...new Set(names.ipAddresses)].sort();
  if (!dnsNames.length && !ipAddresses.length && !names.commonName) throw new Error('the CSR names no DNS name, IP address or common name');
  if (names.uris.length || names.emailAddresses.length) throw new Error('ACME certificates cannot contain URI or email subjectAltNames');
  const replaces = cr.metadata.annotations?.[CertificateRequestAnnotations.Replaces];
  // The webhook refuses this on the Certificate; this is the second line for requests it never saw.
  // The CA would refuse the CSR only at finalize, after every challenge was solved.
  const cn = names.commonName;
  if (cn && (dnsNames.length || ipAddresses.length) && !dnsNames.includes(cn.toLowerCase()) && !ipAddresses.includes(cn)) {
    throw new Error(
      `the commonName "${cn}" is not among the request's dnsNames or ipAddresses, and an ACME CA refuses such a request at finalize; add it to spec.dnsNames or drop commonName`,
    );
  }
  const spec: Order['spec'] = {
    request: cr.spec.request,
    issuerRef: cr.spec.issuerRef,
    ...(names.commonName ? { commonName: names.commonName } : {}),
    ...(dnsNames.length ? { dnsNames } : {}),
    ...(ipAddresses.length ? { ipAddresses } : {}),
    ...(cr.spec.duration ? { duration: cr.spec.duration } : {}),
    ...(profile ? { profile } : {}),
    // The ARI id of the certificate being renewed (cert-manager's Order spec.replaces), sent in newOrder.
    ...(replaces ? { replaces } : {}),
  };
  const annotations = Object.fromEntries(Object.entries(cr.metadata.annotations ?? {}).filter(([k]) => ORDER_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))));
  return {
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Order',
    metadata: {
      name: orderName(cr.metadata.name!, JSON.stringify(spec)),
      namespace: cr.metadata.namespace,
      labels: { ...(cr.metadata.labels ?? {}) },
      annotations,
      ownerReferences: [controllerRef(Resources.CertificateRequest, cr)],
    },
    spec,
  };
}
