// How the CertificateRequest and issuer controllers talk to issuer types (SelfSigned, CA, ACME).
// This file is a contract between those controllers and the backends (worker/issuance/ca.ts,
// selfsigned.ts, worker/acme/backend.ts): change it only together.
import type { CertificateRequest, ClusterIssuer, Issuer } from '../../api/types.generated.ts';

export interface SignRequest {
  request: CertificateRequest;
  issuer: Issuer | ClusterIssuer;
  issuerKind: 'Issuer' | 'ClusterIssuer';
  /** The Issuer's namespace, or the cluster-resource namespace for a ClusterIssuer: where its Secrets live. */
  resourceNamespace: string;
}

export type SignResult =
  | { state: 'issued'; certificatePem: string /* leaf + chain */; caPem?: string }
  | {
      state: 'pending';
      reason: string;
      message: string;
      recheckAfterMs?: number;
      /**
       * Nothing for the request's status yet: what this pass started (an ACME Order) reports back
       * through a watch within moments, and that pass writes the status. Written after
       * recheckAfterMs only if no news came by then.
       */
      untilNews?: boolean;
    }
  | { state: 'failed'; reason: string; message: string }; // terminal for this CertificateRequest

export interface IssuerReadiness {
  ready: boolean;
  reason: string;
  message: string;
  /** Merged into the Issuer status, e.g. { acme: { uri, lastRegisteredEmail } }. */
  status?: Record<string, unknown>;
}

export interface IssuerBackend {
  /** Level-triggered and idempotent: called on every reconcile of a CertificateRequest that is not final. Throw for transient errors (retried with backoff). */
  sign(req: SignRequest): Promise<SignResult>;
  checkIssuer(issuer: Issuer | ClusterIssuer, resourceNamespace: string): Promise<IssuerReadiness>;
}

/** The backend per issuer type; ACME is absent in tests that need only the local types. */
export interface IssuerBackends {
  selfSigned: IssuerBackend;
  ca: IssuerBackend;
  acme?: IssuerBackend;
}

function issuerType(issuer: Issuer | ClusterIssuer): keyof IssuerBackends | undefined {
  const s = issuer.spec;
  if (s.acme) return 'acme';
  if (s.ca) return 'ca';
  if (s.selfSigned) return 'selfSigned';
  return undefined;
}

export function backendFor(backends: IssuerBackends, issuer: Issuer | ClusterIssuer): IssuerBackend | undefined {
  const t = issuerType(issuer);
  return t ? backends[t] : undefined;
}
