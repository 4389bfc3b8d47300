// Benchmark: the webhook's answer time for objects at the size limits, next to a normal Ingress in
// the same run. The webhook runs in its own process (as in bench/webhook.ts); requests go one at a
// time over one keep-alive connection, the objects taking turns, so each answer time is the whole
// cost of one request: transfer, JSON parsing, the rules and the answer.
//   npx tsx bench/admission-cost.ts [--requests 20]
import https from 'node:https';
import { parseArgs } from 'node:util';
import { LARGE_HOST_COUNT, largeCertificate, manyHostIngress } from '../test/webhook/large-objects.ts';
import { admissionReview, CERTIFICATE_KIND, INGRESS_KIND, testTls } from '../test/webhook/admission.ts';
import { fmt, machineLine, markdownTable, percentile, ratio } from './report.ts';
import { cpuOf, startTarget } from './webhook.ts';
import { NAMESPACE, reviewedIngress } from './webhook-data.ts';

export interface AdmissionCostRow {
  object: string;
  bodyBytes: number;
  allowed: boolean;
  p50Ms: number;
  maxMs: number;
  cpuMsPerRequest: number;
}

const ISSUER = { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' };

function bodies(): Array<{ object: string; body: string }> {
  const review = (kind: typeof INGRESS_KIND, obj: unknown) => JSON.stringify(admissionReview(kind, obj, { namespace: NAMESPACE }));
  const cert = largeCertificate(undefined, NAMESPACE);
  return [
    { object: 'normal Ingress (1 host)', body: review(INGRESS_KIND, reviewedIngress()) },
    {
      object: `Ingress, ${LARGE_HOST_COUNT.toLocaleString('en')} tls + ${LARGE_HOST_COUNT.toLocaleString('en')} rule hosts`,
      body: review(INGRESS_KIND, manyHostIngress(LARGE_HOST_COUNT, { namespace: NAMESPACE, annotations: ISSUER })),
    },
    {
      object: `the same, every host wrong (${2 * LARGE_HOST_COUNT} findings)`,
      body: review(INGRESS_KIND, manyHostIngress(LARGE_HOST_COUNT, { namespace: NAMESPACE, annotations: ISSUER, shift: LARGE_HOST_COUNT })),
    },
    { object: `Certificate, ${cert.spec.dnsNames.length.toLocaleString('en')} dnsNames (just under 3 MiB)`, body: review(CERTIFICATE_KIND, cert) },
    { object: 'Certificate over 3 MiB (denied unread)', body: review(CERTIFICATE_KIND, largeCertificate(3 * 1024 * 1024 + 64 * 1024, NAMESPACE)) },
  ];
}

function post(port: number, body: string, ca: string, agent: https.Agent): Promise<{ ms: number; allowed: boolean }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        ca,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - started;
          try {
            resolve({ ms, allowed: JSON.parse(Buffer.concat(chunks).toString()).response.allowed });
          } catch (e) {
            reject(new Error(`status ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function runAdmissionCostBench(opts: { requests?: number } = {}): Promise<{ rows: AdmissionCostRow[]; markdown: string }> {
  const requests = opts.requests ?? 20;
  const tls = await testTls(['127.0.0.1']);
  const target = await startTarget('webhook', 'certgate webhook', { ingressCount: 1000, tls, answer: '' }, undefined);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const cases = bodies();
    const samples = cases.map(() => ({ ms: [] as number[], cpuMicros: 0, allowed: true }));
    for (const c of cases) await post(target.port, c.body, tls.caPem, agent); // warm-up: JIT, connection
    for (let round = 0; round < requests; round++) {
      for (let i = 0; i < cases.length; i++) {
        const cpuBefore = await cpuOf(target.child);
        const answer = await post(target.port, cases[i].body, tls.caPem, agent);
        samples[i].cpuMicros += (await cpuOf(target.child)) - cpuBefore;
        samples[i].ms.push(answer.ms);
        samples[i].allowed = answer.allowed;
      }
    }
    const rows = cases.map((c, i): AdmissionCostRow => {
      const sorted = [...samples[i].ms].sort((a, b) => a - b);
      return {
        object: c.object,
        bodyBytes: Buffer.byteLength(c.body),
        allowed: samples[i].allowed,
        p50Ms: percentile(sorted, 50),
        maxMs: sorted[sorted.length - 1],
        cpuMsPerRequest: samples[i].cpuMicros / requests / 1000,
      };
    });
    const baseline = rows[0].p50Ms;
    const table = markdownTable(
      ['object', 'AdmissionReview size', 'answer', 'median answer time', 'slowest', 'webhook CPU per request', 'median vs normal Ingress'],
      rows.map((r) => [
        r.object,
        `${fmt(r.bodyBytes / 1024, 0)} KiB`,
        r.allowed ? 'allowed' : 'denied',
        `${fmt(r.p50Ms, 1)} ms`,
        `${fmt(r.maxMs, 1)} ms`,
        `${fmt(r.cpuMsPerRequest, 1)} ms`,
        ratio(r.p50Ms, baseline),
      ]),
      [false, true, false, true, true, true, true],
    );
    const markdown = `### Admission cost of large objects\n\n${requests} requests per object, one at a time over one keep-alive connection, objects taking turns; target: well under 100 ms each.\n\n${table}\n\n${machineLine()}`;
    return { rows, markdown };
  } finally {
    agent.destroy();
    target.child.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '20' } } });
  const r = await runAdmissionCostBench({ requests: Number(values.requests) });
  console.log(r.markdown);
}
