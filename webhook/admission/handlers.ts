// The two admission handlers, pure functions of (request, cluster view, config). They pick the
// rules or mutators for the kind, apply the namespace mode and build the AdmissionResponse.
import type { ClusterView } from '../cluster-view.ts';
import type { WebhookConfig } from '../config.ts';
import type { AdmissionResult } from '../metrics.ts';
import { addTransparentTls, defaultIssuerFor, transparentTlsApplies } from '../../lib/transparent-tls.ts';
import { withCertificateDefaults } from '../mutate/certificate-defaults.ts';
import { decide, namespaceMode, type NamespaceMode } from '../policy.ts';
import { validateCertificate } from '../rules/certificate.ts';
import { validateCertificateRequest } from '../rules/certificate-request.ts';
import { asWarning, formatFinding, type Finding, type RuleId } from '../rules/ids.ts';
import { validateGateway } from '../rules/gateway.ts';
import { validateIngress } from '../rules/ingress.ts';
import { validateIssuer } from '../rules/issuer.ts';
import { addGatewayTransparentTls } from '../../lib/gateway-transparent-tls.ts';
import { asObj } from '../../lib/untrusted.ts';
import { diffToJsonPatch } from '../../lib/json-patch.ts';
import { MAX_OBJECT_BYTES, oversizedObjectBytes } from './object-size.ts';
import type { AdmissionRequest, AdmissionResponse } from './review.ts';

export type HandlerConfig = Pick<WebhookConfig, 'mode' | 'disabledRules' | 'transparentTls' | 'defaultIssuer' | 'productionLabel'>;

export interface HandlerContext {
  readonly view: ClusterView;
  readonly config: HandlerConfig;
}

export interface HandlerResult {
  readonly response: AdmissionResponse;
  /** One entry per rule that fired (or one with rule "none"), for the requests counter. */
  readonly outcomes: ReadonlyArray<{ rule: string; result: AdmissionResult }>;
}

type Checked = 'Ingress' | 'Gateway' | 'Certificate' | 'CertificateRequest' | 'Issuer' | 'ClusterIssuer';

/** The kinds certgate checks, or undefined for anything else (allowed untouched). */
export function checkedKind(req: AdmissionRequest): Checked | undefined {
  const { group, kind } = req.kind;
  if (group === 'networking.k8s.io' && kind === 'Ingress') return 'Ingress';
  if (group === 'gateway.networking.k8s.io' && kind === 'Gateway') return 'Gateway';
  if (group === 'cert-manager.io' && (kind === 'Certificate' || kind === 'CertificateRequest' || kind === 'Issuer' || kind === 'ClusterIssuer')) return kind;
  return undefined;
}

/** The object with metadata.namespace filled from the request (it is empty on CREATE via a namespaced URL). */
function inNamespace(obj: unknown, namespace: string | undefined): unknown {
  const o = asObj(obj);
  if (!o || !namespace) return obj;
  const metadata = asObj(o.metadata) ?? {};
  return metadata.namespace === namespace ? obj : { ...o, metadata: { ...metadata, namespace } };
}

/** oldObj: the stored object on UPDATE (CertificateRequests check what may not change). */
function findingsFor(kind: Checked, obj: unknown, ctx: HandlerContext, oldObj?: unknown): Finding[] {
  switch (kind) {
    case 'CertificateRequest':
      return validateCertificateRequest(obj, oldObj);
    case 'Ingress':
      return validateIngress(obj, ctx.view, { productionLabel: ctx.config.productionLabel });
    case 'Gateway':
      return validateGateway(obj, ctx.view, { productionLabel: ctx.config.productionLabel });
    case 'Certificate':
      return validateCertificate(obj, ctx.view);
    case 'Issuer':
    case 'ClusterIssuer':
      return validateIssuer(kind, obj);
  }
}

function modeFor(kind: Checked, namespace: string | undefined, ctx: HandlerContext): NamespaceMode {
  if (kind === 'ClusterIssuer' || !namespace) return ctx.config.mode;
  return namespaceMode(ctx.config.mode, ctx.view.namespace(namespace));
}

const allowed = (uid: string): HandlerResult => ({ response: { uid, allowed: true }, outcomes: [{ rule: 'none', result: 'allowed' }] });
const isDeleting = (obj: unknown) => asObj(asObj(obj)?.metadata)?.deletionTimestamp != null;

/** A finding for an object over the size cap: the rules are skipped for it. */
function tooLarge(kind: Checked, bytes: number): Finding {
  return {
    rule: 'object-too-large',
    field: 'object',
    message: `this ${kind} is ${bytes} bytes; certgate checks objects of at most ${MAX_OBJECT_BYTES} bytes, the API server's own limit on a request; split it into smaller objects`,
    severity: 'deny',
  };
}

/** bodyBytes: size of the AdmissionReview as received, which bounds the object's size (see object-size.ts). */
export function handleValidate(req: AdmissionRequest, ctx: HandlerContext, bodyBytes = 0): HandlerResult {
  const kind = checkedKind(req);
  if (!kind || (req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !asObj(req.object) || isDeleting(req.object)) return allowed(req.uid);
  // Decided before any rule runs: a namespace labelled off costs one cache lookup, whatever it holds.
  const mode = modeFor(kind, req.namespace, ctx);
  if (mode === 'off') return allowed(req.uid);
  const oversized = oversizedObjectBytes(req.object, bodyBytes);
  if (oversized !== undefined) return respond(req.uid, [tooLarge(kind, oversized)], mode, NO_RULES_DISABLED);
  const obj = inNamespace(req.object, req.namespace);
  const old = req.operation === 'UPDATE' && asObj(req.oldObject) ? inNamespace(req.oldObject, req.namespace) : undefined;
  let findings = findingsFor(kind, obj, ctx, old);
  // On UPDATE, problems the stored object already had only warn: an edit that does not make
  // things worse (a label, a finalizer, a partial fix) is never blocked by old mistakes.
  if (req.operation === 'UPDATE' && asObj(req.oldObject) && findings.some((f) => f.severity === 'deny')) {
    const before = new Set(findingsFor(kind, old, ctx).map(formatFinding));
    findings = findings.map((f) => (f.severity === 'deny' && before.has(formatFinding(f)) ? asWarning(f) : f));
  }
  return respond(req.uid, findings, mode, ctx.config.disabledRules);
}

// Audit annotations are short; format findings only until the text is full.
const MAX_AUDIT_TEXT = 4096;
function auditText(findings: ReadonlyArray<Finding>): string {
  let text = '';
  for (const f of findings) {
    text += (text ? '\n' : '') + formatFinding(f);
    if (text.length >= MAX_AUDIT_TEXT) break;
  }
  return text.slice(0, MAX_AUDIT_TEXT);
}

// The size cap cannot be switched off: it is what keeps one object from holding the webhook.
const NO_RULES_DISABLED: ReadonlySet<RuleId> = new Set();

function respond(uid: string, findings: Finding[], mode: NamespaceMode, disabledRules: ReadonlySet<RuleId>): HandlerResult {
  const decision = decide(findings, mode, disabledRules);
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (!decision.allowed) response.status = { code: 403, reason: 'Forbidden', message: decision.message! };
  if (decision.warnings.length > 0) response.warnings = decision.warnings;
  if (decision.results.some((r) => r.result === 'audited')) {
    response.auditAnnotations = { findings: auditText(findings.filter((f) => !disabledRules.has(f.rule))) };
  }
  const outcomes = decision.results.length > 0 ? decision.results : [{ rule: 'none', result: 'allowed' as const }];
  return { response, outcomes };
}

export function handleMutate(req: AdmissionRequest, ctx: HandlerContext, bodyBytes = 0): HandlerResult {
  const kind = checkedKind(req);
  if (!kind || (req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !asObj(req.object) || isDeleting(req.object)) return allowed(req.uid);
  const mode = modeFor(kind, req.namespace, ctx);
  // An oversized object is left untouched here; validation denies it with the reason.
  if (mode === 'off' || oversizedObjectBytes(req.object, bodyBytes) !== undefined) return allowed(req.uid);
  let after: unknown = req.object;
  let rule = 'none';
  const warnings: string[] = [];
  if (kind === 'Certificate') {
    after = withCertificateDefaults(req.object);
    rule = 'certificate-defaults';
  } else if (kind === 'Ingress' || kind === 'Gateway') {
    const namespace = req.namespace ? ctx.view.namespace(req.namespace) : undefined;
    if (transparentTlsApplies(namespace, ctx.config.transparentTls)) {
      const addTls = kind === 'Ingress' ? addTransparentTls : addGatewayTransparentTls;
      const outcome = addTls(req.object, defaultIssuerFor(namespace, ctx.config.defaultIssuer));
      if (outcome.changed) {
        after = outcome.object;
        rule = 'transparent-tls';
      } else if (outcome.reason && mode !== 'audit') warnings.push(`[transparent-tls] ${outcome.reason}`);
    }
  }
  const patch = diffToJsonPatch(req.object, after);
  const response: AdmissionResponse = { uid: req.uid, allowed: true };
  if (patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  } else rule = 'none';
  if (warnings.length > 0) response.warnings = warnings;
  return { response, outcomes: [{ rule, result: 'allowed' }] };
}
