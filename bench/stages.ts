// Where a certgate issuance spends its time: watches CertificateRequests, Orders and Challenges in
// one namespace and records, per Certificate, when each object first reached each stage. Objects
// are tied back to their Certificate through the certificate-name annotation (CertificateRequest)
// and controller owner references (Order -> CertificateRequest, Challenge -> Order).
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../api/resources.ts';
import type { KubeClient, WatchedCache } from '../lib/kube/client.ts';
import { fmt, markdownTable, percentile } from './report.ts';

export const STAGES = [
  'CertificateRequest created',
  'Order created',
  'Challenge created',
  'Challenge valid',
  'Order valid',
  'CertificateRequest Ready',
] as const;
export type Stage = (typeof STAGES)[number];

type Obj = KubernetesObject & { status?: { state?: string; conditions?: Array<{ type: string; status: string }> } };

export interface StageRecorder {
  /** Marks t=0 for a Certificate (just before it is created). */
  begin(certificate: string): void;
  /** Marks its end (Secret holds tls.crt). */
  end(certificate: string): void;
  /** Markdown: median and p95 time from Certificate created to each stage, and the median step. */
  markdown(certificates: readonly string[]): string;
  stop(): Promise<void>;
}

export async function recordStages(client: KubeClient, namespace: string): Promise<StageRecorder> {
  const times = new Map<string, Partial<Record<Stage | 'begin' | 'end', number>>>();
  const owner = new Map<string, string>(); // "Kind/name" -> Certificate name
  const mark = (certificate: string | undefined, stage: Stage) => {
    if (!certificate) return;
    const t = times.get(certificate);
    if (t && t[stage] === undefined) t[stage] = performance.now();
  };
  const controllerOf = (o: Obj) => o.metadata?.ownerReferences?.find((r) => r.controller);
  const certificateOf = (o: Obj): string | undefined => {
    const ref = controllerOf(o);
    return ref ? owner.get(`${ref.kind}/${ref.name}`) : undefined;
  };
  const watch = (r: ResourceDescriptor, seen: (o: Obj) => void): WatchedCache<Obj> => {
    const cache = client.cache<Obj>(r, { namespace });
    cache.on('add', seen);
    cache.on('update', seen);
    return cache;
  };
  const ready = (o: Obj) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const caches = [
    watch(Resources.CertificateRequest, (cr) => {
      const cert = cr.metadata?.annotations?.['cert-manager.io/certificate-name'];
      if (!cert) return;
      owner.set(`CertificateRequest/${cr.metadata!.name}`, cert);
      mark(cert, 'CertificateRequest created');
      if (ready(cr)) mark(cert, 'CertificateRequest Ready');
    }),
    watch(Resources.Order, (order) => {
      const cert = certificateOf(order);
      if (!cert) return;
      owner.set(`Order/${order.metadata!.name}`, cert);
      mark(cert, 'Order created');
      if (order.status?.state === 'valid') mark(cert, 'Order valid');
    }),
    watch(Resources.Challenge, (ch) => {
      const cert = certificateOf(ch);
      mark(cert, 'Challenge created');
      if (ch.status?.state === 'valid') mark(cert, 'Challenge valid');
    }),
  ];
  for (const c of caches) await c.start();
  return {
    begin: (certificate) => void times.set(certificate, { begin: performance.now() }),
    end: (certificate) => {
      const t = times.get(certificate);
      if (t) t.end = performance.now();
    },
    markdown(certificates) {
      const rows: string[][] = [];
      let previousMedian = 0;
      for (const stage of [...STAGES, 'end'] as const) {
        const since = certificates
          .map((c) => times.get(c))
          .filter((t) => t?.begin !== undefined && t[stage] !== undefined)
          .map((t) => t![stage]! - t!.begin!)
          .sort((a, b) => a - b);
        if (since.length === 0) continue;
        const median = percentile(since, 50);
        rows.push([
          stage === 'end' ? 'Secret holds tls.crt' : stage,
          `${since.length}/${certificates.length}`,
          fmt(median, 0),
          fmt(percentile(since, 95), 0),
          fmt(median - previousMedian, 0),
        ]);
        previousMedian = median;
      }
      return markdownTable(['stage (first seen by a watch)', 'certificates', 'p50 ms since Certificate created', 'p95 ms', 'p50 step ms'], rows);
    },
    async stop() {
      for (const c of caches) await c.stop();
    },
  };
}
