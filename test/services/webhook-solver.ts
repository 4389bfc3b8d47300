// A cert-manager DNS-01 webhook solver for tests: serves webhook.acme.cert-manager.io/v1alpha1
// ChallengePayloads at /apis/<group>/v1alpha1/<solver> over HTTPS (what the API server's
// aggregation layer proxies to) and writes the TXT values into BIND with RFC 2136, one value at a
// time, as a real solver writes into its provider. Every request is recorded for assertions.
//
// Behaviour per Issuer, chosen by the solver `config` the issuer passes through unchanged:
//   { publish: "now" }    (default) write on Present, remove on CleanUp
//   { publish: "held" }   answer Present with success, write only when release() is called
//   { publish: "never" }  answer Present with success and never write (a broken provider)
//   { fail: "message" }   answer with success: false and this message
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCa } from '../apiserver/tls.ts';
import { Rfc2136Client } from '../../lib/dns/rfc2136.ts';
import type { BindServer } from './bind.ts';

export interface RecordedRequest {
  path: string;
  remoteUser?: string;
  payload: any;
}

export interface WebhookSolver {
  groupName: string;
  solverName: string;
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** base64 PEM of the CA that signed the serving certificate (an APIService's caBundle) */
  caBundle: string;
  /** ChallengePayload requests in arrival order */
  requests: RecordedRequest[];
  /** Writes every held Present now. */
  release(): Promise<void>;
  stop(): Promise<void>;
}

interface WebhookSolverOptions {
  /** Where TXT values are written; without it only `publish: "never"` and `fail` configs work. */
  bind?: BindServer;
  groupName: string;
  solverName: string;
  /** Names the serving certificate carries besides localhost/127.0.0.1: "<service>.<namespace>.svc". */
  serviceDnsNames: string[];
}

export async function startWebhookSolver(opts: WebhookSolverOptions): Promise<WebhookSolver> {
  const ca = createTestCa('certgate-test-webhook-solver-ca');
  const serving = ca.issue(['localhost', '127.0.0.1', ...opts.serviceDnsNames]);
  const bind = opts.bind;
  const dnsClient = bind
    ? new Rfc2136Client({
        nameserver: bind.address,
        tsigKeyName: bind.tsig.name,
        tsigAlgorithm: bind.tsig.algorithm,
        tsigSecret: bind.tsig.secret,
        timeoutMs: 5000,
      })
    : undefined;
  const dns = (): Rfc2136Client => {
    if (!dnsClient) throw new Error('this test solver has no DNS server to write to');
    return dnsClient;
  };
  const requests: RecordedRequest[] = [];
  const held: Array<{ fqdn: string; key: string }> = [];
  const base = `/apis/${opts.groupName}/v1alpha1`;

  const handlePayload = async (payload: any): Promise<{ success: boolean; message?: string }> => {
    const r = payload?.request;
    if (payload?.apiVersion !== 'webhook.acme.cert-manager.io/v1alpha1' || payload?.kind !== 'ChallengePayload' || !r)
      return { success: false, message: 'not a ChallengePayload' };
    const cfg = r.config ?? {};
    if (cfg.fail) return { success: false, message: String(cfg.fail) };
    if (r.action === 'Present') {
      if (cfg.publish === 'never') return { success: true };
      if (cfg.publish === 'held') held.push({ fqdn: r.resolvedFQDN, key: r.key });
      else await dns().addTxt(r.resolvedFQDN, r.key, 60);
      return { success: true };
    }
    if (r.action === 'CleanUp') {
      const i = held.findIndex((h) => h.fqdn === r.resolvedFQDN && h.key === r.key);
      if (i >= 0) held.splice(i, 1);
      if (cfg.publish !== 'never') await dns().removeTxt(r.resolvedFQDN, r.key);
      return { success: true };
    }
    return { success: false, message: `unknown action ${r.action}` };
  };

  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const send = (code: number, body: unknown) => {
      const data = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
      res.end(data);
    };
    const path = new URL(req.url ?? '/', 'https://solver').pathname.replace(/\/$/, '');
    if (req.method === 'GET' && path === base) {
      // discovery, which a real aggregator polls before it marks the APIService Available
      return send(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${opts.groupName}/v1alpha1`,
        resources: [{ name: opts.solverName, singularName: opts.solverName, namespaced: false, kind: 'ChallengePayload', verbs: ['create'] }],
      });
    }
    if (req.method !== 'POST' || path !== `${base}/${opts.solverName}`)
      return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${req.method} ${path} not found` });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let payload: any;
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, message: 'body is not JSON' });
      }
      requests.push({ path, remoteUser: req.headers['x-remote-user'] as string | undefined, payload });
      handlePayload(payload).then(
        (result) =>
          send(201, {
            ...payload,
            response: {
              uid: payload?.request?.uid,
              success: result.success,
              ...(result.message ? { status: { status: 'Failure', message: result.message, reason: 'InternalError', code: 500 } } : {}),
            },
          }),
        (err) =>
          send(201, {
            ...payload,
            response: { uid: payload?.request?.uid, success: false, status: { status: 'Failure', message: (err as Error).message, code: 500 } },
          }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    groupName: opts.groupName,
    solverName: opts.solverName,
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(ca.certPem).toString('base64'),
    requests,
    async release() {
      for (const h of held.splice(0)) await dns().addTxt(h.fqdn, h.key, 60);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
