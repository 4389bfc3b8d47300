// `certgate check api [--wait 2m]`: is certgate usable? Succeeds only when
//  1. the CRDs are served (API discovery lists every certgate resource),
//  2. the admission webhook answers: a dry-run create of a Certificate that only the webhook
//     rejects (an unsupported field the schema keeps) is denied by a certgate webhook, and
//  3. a worker holds the leader Lease (holder set, renewed within leaseDurationSeconds).
import { Resources, apiVersionOf, type ResourceDescriptor } from '../api/resources.ts';
import { KubeApiError, type KubeClient } from '../lib/kube/client.ts';

interface CheckApiOptions {
  /** Namespace of the dry-run Certificate (the webhook may ignore certgate's own namespace). */
  namespace: string;
  /** Where the worker's Lease lives. */
  leaseNamespace: string;
  leaseName: string;
  now(): number;
}

export interface CheckResult {
  name: 'crds' | 'webhook' | 'worker-lease';
  ok: boolean;
  message: string;
}

const CRD_RESOURCES: ResourceDescriptor[] = [
  Resources.Certificate,
  Resources.CertificateRequest,
  Resources.Issuer,
  Resources.ClusterIssuer,
  Resources.Order,
  Resources.Challenge,
];

async function checkCrds(client: KubeClient): Promise<CheckResult> {
  const missing: string[] = [];
  for (const gv of [...new Set(CRD_RESOURCES.map(apiVersionOf))]) {
    let served: string[] = [];
    try {
      const list = await client.request<{ resources?: Array<{ name: string }> }>('GET', `/apis/${gv}`);
      served = (list.resources ?? []).map((r) => r.name);
    } catch (e) {
      if (!(e instanceof KubeApiError && e.statusCode === 404)) throw e;
    }
    for (const r of CRD_RESOURCES) if (apiVersionOf(r) === gv && !served.includes(r.plural)) missing.push(`${r.plural}.${r.group}`);
  }
  return missing.length
    ? { name: 'crds', ok: false, message: `CRDs not installed: ${missing.join(', ')}` }
    : { name: 'crds', ok: true, message: 'all certgate CRDs are served' };
}

/**
 * The probe Certificate is valid for the CRD schema but sets spec.keystores, which certgate keeps in
 * the schema for cert-manager compatibility and its validating webhook rejects. So: denied by a
 * webhook named *certgate* = the webhook answered; accepted with the private key defaults filled in =
 * the mutating webhook answered (validation only warns); accepted unchanged = no webhook answered.
 */
function webhookProbe(namespace: string) {
  return {
    apiVersion: apiVersionOf(Resources.Certificate),
    kind: 'Certificate',
    metadata: { name: 'certgate-check-api-probe', namespace },
    spec: {
      secretName: 'certgate-check-api-probe',
      dnsNames: ['check-api.certgate.invalid'],
      issuerRef: { name: 'certgate-check-api-probe' },
      keystores: { pkcs12: { create: true } },
    },
  };
}

async function checkWebhook(client: KubeClient, namespace: string): Promise<CheckResult> {
  let created: any;
  try {
    created = await client.create(Resources.Certificate, webhookProbe(namespace), { dryRun: true });
  } catch (e) {
    if (!(e instanceof KubeApiError)) return { name: 'webhook', ok: false, message: `dry-run create failed: ${e instanceof Error ? e.message : String(e)}` };
    if (/admission webhook "[^"]*certgate[^"]*" denied the request/i.test(e.message)) {
      return { name: 'webhook', ok: true, message: 'the certgate webhook answered a dry-run create' };
    }
    if (/failed calling webhook/i.test(e.message)) return { name: 'webhook', ok: false, message: `the certgate webhook is not answering: ${e.message}` };
    return { name: 'webhook', ok: false, message: `dry-run create failed (HTTP ${e.statusCode}): ${e.message}` };
  }
  // Accepted: in warn or audit mode (or with the rule disabled) validation lets it through, but the
  // mutating webhook still makes the private key defaults explicit; the probe sets none.
  if (created?.spec?.privateKey?.algorithm) {
    return {
      name: 'webhook',
      ok: true,
      message: 'the certgate mutating webhook answered a dry-run create (validation did not deny the probe: warn or audit mode, or the rule is disabled)',
    };
  }
  return {
    name: 'webhook',
    ok: false,
    message:
      'a Certificate the certgate webhook must reject was accepted: the webhook is not registered (MutatingWebhookConfiguration/ValidatingWebhookConfiguration certgate-webhook) or fails open',
  };
}

async function checkLease(client: KubeClient, opts: CheckApiOptions): Promise<CheckResult> {
  const where = `Lease ${opts.leaseNamespace}/${opts.leaseName}`;
  const lease = await client.get<any>(Resources.Lease, opts.leaseNamespace, opts.leaseName);
  if (!lease) return { name: 'worker-lease', ok: false, message: `${where} not found: no worker has started leader election` };
  const holder: string | undefined = lease.spec?.holderIdentity;
  if (!holder) return { name: 'worker-lease', ok: false, message: `${where} has no holder: no worker is leading` };
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  const durationS = Number(lease.spec?.leaseDurationSeconds ?? 0);
  if (!Number.isFinite(renewed) || !durationS) return { name: 'worker-lease', ok: false, message: `${where} has no renewTime or leaseDurationSeconds` };
  const staleMs = opts.now() - renewed;
  if (staleMs > durationS * 1000) {
    return {
      name: 'worker-lease',
      ok: false,
      message: `${where} held by "${holder}" expired ${Math.round(staleMs / 1000 - durationS)}s ago: the worker is not renewing it`,
    };
  }
  return { name: 'worker-lease', ok: true, message: `worker "${holder}" holds ${where}` };
}

/** Runs the checks in order; later checks are pointless when the CRDs are missing. */
export async function checkApi(client: KubeClient, opts: CheckApiOptions): Promise<CheckResult[]> {
  const guard = async (name: CheckResult['name'], f: () => Promise<CheckResult>): Promise<CheckResult> => {
    try {
      return await f();
    } catch (e) {
      return { name, ok: false, message: e instanceof Error ? e.message : String(e) };
    }
  };
  const crds = await guard('crds', () => checkCrds(client));
  if (!crds.ok) return [crds];
  return [crds, await guard('webhook', () => checkWebhook(client, opts.namespace)), await guard('worker-lease', () => checkLease(client, opts))];
}
