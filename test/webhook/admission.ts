// Helpers shared by the webhook's tests and benchmark: AdmissionReview builders, a throwaway
// serving certificate for 127.0.0.1, and an HTTPS client that trusts it.
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { createCa, createServingCert } from '../../webhook/tls/certs.ts';

export const INGRESS_KIND = { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' };
export const GATEWAY_KIND = { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway' };
export const CERTIFICATE_KIND = { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' };
export const ISSUER_KIND = { group: 'cert-manager.io', version: 'v1', kind: 'Issuer' };
export const CLUSTER_ISSUER_KIND = { group: 'cert-manager.io', version: 'v1', kind: 'ClusterIssuer' };

export function admissionReview(
  kind: { group: string; version: string; kind: string },
  object: unknown,
  opts: { operation?: string; namespace?: string; oldObject?: unknown; uid?: string; dryRun?: boolean } = {},
) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? randomUUID(),
      kind,
      resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
      namespace: opts.namespace,
      operation: opts.operation ?? 'CREATE',
      object,
      oldObject: opts.oldObject,
      dryRun: opts.dryRun ?? false,
      userInfo: { username: 'test' },
    },
  };
}

export interface TestTls {
  caPem: string;
  key: string;
  cert: string;
}

export async function testTls(names: string[] = ['localhost', '127.0.0.1'], validityMs = 3_600_000): Promise<TestTls> {
  const now = new Date();
  const ca = await createCa(now, 'certgate-test-ca');
  const leaf = await createServingCert(ca, names, now, validityMs);
  return { caPem: ca.caCertPem, key: leaf.keyPem, cert: leaf.certPem };
}

interface HttpAnswer {
  status: number;
  contentType: string;
  body: any; // parsed JSON when it parses, else the text
  text: string;
}

/** One HTTPS request; agent keeps connections alive between calls when given. */
export function httpsRequest(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string>; ca: string; agent?: https.Agent; timeoutMs?: number },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: opts.method ?? 'POST', ca: opts.ca, agent: opts.agent, headers: { 'content-type': 'application/json', ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body, text });
        });
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export function postReview(baseUrl: string, path: '/validate' | '/mutate', review: unknown, ca: string, agent?: https.Agent): Promise<HttpAnswer> {
  return httpsRequest(`${baseUrl}${path}`, { body: JSON.stringify(review), ca, agent });
}

/** The JSON Patch of a mutate answer, decoded. */
export function decodePatch(response: { patch?: string }): any[] {
  return response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
}
