// ACME client metrics with cert-manager's names and labels, so existing dashboards keep working.
// The path label is reduced to its fixed prefix (ids and tokens dropped) to bound cardinality.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface AcmeRequestObservation {
  url: string;
  method: string;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  durationSeconds: number;
}

export interface AcmeMetrics {
  observeRequest(o: AcmeRequestObservation): void;
}

const LABELS = ['scheme', 'host', 'path', 'method', 'status'] as const;

/** Registers the two ACME client series in `registry` (once per registry). */
export function createAcmeMetrics(registry: Registry): AcmeMetrics {
  const count =
    (registry.getSingleMetric('certmanager_http_acme_client_request_count') as Counter<(typeof LABELS)[number]> | undefined) ??
    new Counter({
      name: 'certmanager_http_acme_client_request_count',
      help: 'The number of requests made by the ACME client.',
      labelNames: LABELS,
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric('certmanager_http_acme_client_request_duration_seconds') as Histogram<(typeof LABELS)[number]> | undefined) ??
    new Histogram({
      name: 'certmanager_http_acme_client_request_duration_seconds',
      help: 'The HTTP request latencies in seconds for the ACME client.',
      labelNames: LABELS,
      registers: [registry],
    });
  return {
    observeRequest({ url, method, status, durationSeconds }) {
      const u = new URL(url);
      const labels = {
        scheme: u.protocol.replace(/:$/, ''),
        host: u.host,
        path: stableAcmePath(u.pathname),
        method: method.toUpperCase(),
        status: String(status),
      };
      count.inc(labels);
      duration.observe(labels, durationSeconds);
    },
  };
}

/**
 * The fixed part of an ACME URL path: segments up to the first one that looks like an id, token or
 * serial (e.g. "/acme/order/123/abc" -> "/acme/order", "/my-order/Xy9..." -> "/my-order").
 */
export function stableAcmePath(pathname: string): string {
  const kept: string[] = [];
  for (const seg of pathname.split('/').filter(Boolean)) {
    if (looksLikeId(seg)) break;
    kept.push(seg);
  }
  return '/' + kept.join('/');
}

function looksLikeId(seg: string): boolean {
  if (/^[a-z]+(-[a-z]+)*-v\d+$/.test(seg)) return false; // versioned resource names, e.g. authz-v3
  return /^\d+$/.test(seg) || seg.length >= 16 || (/\d/.test(seg) && seg.length >= 6) || !/^[A-Za-z0-9._-]+$/.test(seg);
}
