// admission.k8s.io/v1 AdmissionReview: decoding untrusted bodies and encoding answers. Nothing
// here knows about rules.
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  namespace?: string;
  name?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
  patchType?: 'JSONPatch';
  patch?: string; // base64 JSON Patch
  auditAnnotations?: Record<string, string>;
}

interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export class BadReviewError extends Error {
  override name = 'BadReviewError';
}

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Checks the envelope; throws BadReviewError saying what is wrong. The object inside is checked by rules. */
export function decodeReview(body: unknown): AdmissionRequest {
  if (!isObj(body)) throw new BadReviewError('body must be a JSON object (an admission.k8s.io/v1 AdmissionReview)');
  if (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview') {
    throw new BadReviewError(
      `expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got ${JSON.stringify(String(body.apiVersion)).slice(0, 80)} ${JSON.stringify(String(body.kind)).slice(0, 80)}`,
    );
  }
  const r = body.request;
  if (!isObj(r)) throw new BadReviewError('AdmissionReview has no request object');
  if (typeof r.uid !== 'string' || r.uid.length === 0 || r.uid.length > 128) throw new BadReviewError('request.uid must be a non-empty string');
  const k = r.kind;
  if (!isObj(k) || typeof k.group !== 'string' || typeof k.version !== 'string' || typeof k.kind !== 'string') {
    throw new BadReviewError('request.kind must be {group, version, kind} strings');
  }
  if (!OPERATIONS.has(r.operation)) throw new BadReviewError('request.operation must be CREATE, UPDATE, DELETE or CONNECT');
  for (const f of ['namespace', 'name'] as const) if (r[f] !== undefined && typeof r[f] !== 'string') throw new BadReviewError(`request.${f} must be a string`);
  if (r.dryRun !== undefined && typeof r.dryRun !== 'boolean') throw new BadReviewError('request.dryRun must be a boolean');
  return {
    uid: r.uid,
    kind: { group: k.group, version: k.version, kind: k.kind },
    namespace: r.namespace,
    name: r.name,
    operation: r.operation,
    object: r.object ?? undefined,
    oldObject: r.oldObject ?? undefined,
    dryRun: r.dryRun,
  };
}

export function encodeReview(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** A Kubernetes-style Status body for requests that are not AdmissionReviews at all. */
export function statusBody(code: number, message: string) {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, message };
}
