// Renewal information: for each Certificate whose issuer is ACME and whose CA offers ARI (RFC 9773),
// asks the CA when to renew the certificate in the Secret and records the answer in
// status.renewalInfo. The renewal policy (worker/certificates/policy.ts) turns that window into
// status.renewalTime; this controller only fetches. It asks again after the CA's Retry-After (at
// least a 360th of the lifetime apart), so a window the CA moves (a revocation, an incident) is
// seen within hours and the certificate renews promptly. A failed fetch is recorded in
// status.renewalInfo.message and the default renewal time applies meanwhile.
import type { X509Certificate } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateRenewalInfo } from '../../api/types.generated.ts';
import { SecretKeys } from '../../api/constants.ts';
import { RecentValues } from '../../lib/recent-values.ts';
import { fetchRenewalInfo, nextCheckDelayMs, offersRenewalInfo, type RenewalInfo } from '../../lib/acme/ari.ts';
import { AcmeProblemError } from '../../lib/acme/errors.ts';
import { parseCertificateChain } from '../../lib/pki/index.ts';
import type { Logger } from '../../lib/log.ts';
import { timestamp } from '../conditions.ts';
import type { QueueController } from '../controller.ts';
import type { AcmeContext } from './runtime.ts';
import { readSecret, secretValue } from '../secrets.ts';
import { createCertificateController, updateCertificateStatus, withoutUndefined } from '../certificates/common.ts';
import { ariIdOf, renewalDisabled } from '../certificates/policy.ts';
import { IssuerConfigError, isOurIssuerRef, resolveAcmeIssuer, resolveIssuer } from '../issuer-ref.ts';

const RENEWAL_INFO_CONTROLLER = 'certificates-renewal-info';

export function createRenewalInfoController(ctx: AcmeContext): QueueController {
  // The last check per Certificate, so a cache that has not yet seen our own status write does
  // not cause a second fetch (and a second Event) for the same certificate.
  const checked = new Map<string, { certID: string; nextCheck: number }>();
  return createCertificateController(ctx, {
    name: RENEWAL_INFO_CONTROLLER,
    readFirst: (cert) => (mayHaveRenewalInfo(ctx, cert) ? readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName) : undefined),
    reconcile: (cert, log) => checkRenewalInfo(ctx, cert, log, checked),
  });
}

/**
 * Whether the Certificate's Secret is worth reading for ARI: our issuer, not one the cache knows is
 * not ACME, and renewal by time not Disabled (a window would renew nothing).
 */
function mayHaveRenewalInfo(ctx: AcmeContext, cert: Certificate): boolean {
  const ref = cert.spec.issuerRef;
  if (!isOurIssuerRef(ref) || renewalDisabled(cert)) return false;
  const cachedIssuer = resolveIssuer(ctx, ref, cert.metadata.namespace!)?.issuer;
  return !cachedIssuer || !!cachedIssuer.spec?.acme;
}

async function checkRenewalInfo(ctx: AcmeContext, cert: Certificate, log: Logger, checked: Map<string, { certID: string; nextCheck: number }>) {
  const namespace = cert.metadata.namespace!;
  const ref = cert.spec.issuerRef;
  if (!mayHaveRenewalInfo(ctx, cert)) return;
  const leaf = storedLeaf(await readSecret(ctx, namespace, cert.spec.secretName));
  if (!leaf) return;
  let client;
  try {
    const resolved = await resolveAcmeIssuer(ctx, ref, namespace);
    ({ client } = await ctx.acme.accounts.clientFor(resolved.acme, resolved.resourceNamespace));
  } catch (err) {
    if (err instanceof IssuerConfigError) return; // not an ACME issuer (or not ours): no ARI
    throw err;
  }
  // A CA without ARI has nothing to say, and the certificate's ARI id (its authority key
  // identifier: an asn1js parse of the whole certificate, milliseconds) is not worth computing.
  if (!(await offersRenewalInfo(client))) return dropRenewalInfo();
  const certID = ariIdOf(leaf);
  if (!certID) return;
  const now = ctx.clock.now();
  const previous = cert.status?.renewalInfo;
  const known = previous?.certID === certID ? previous : undefined;
  const key = `${namespace}/${cert.metadata.name}`;
  const memo = checked.get(key);
  // 0 for "no time known", not NaN: Math.max with a NaN is NaN, and the time in status would never count
  // (after a restart, with no memo yet, every certificate's CA would be asked at once).
  const due = Math.max((known?.nextCheckTime && Date.parse(known.nextCheckTime)) || 0, memo?.certID === certID ? memo.nextCheck : 0);
  if (due > now) return { requeueAfterMs: due - now };

  const lifetimeMs = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
  let info: RenewalInfo | undefined;
  try {
    info = await fetchRenewalInfo(client, certID);
  } catch (err) {
    const failure = `fetching renewalInfo failed: ${(err as Error).message}`;
    log.warn({ err: (err as Error).message }, 'ARI renewalInfo fetch failed; the default renewal time applies until it succeeds');
    const retryAfterMs = err instanceof AcmeProblemError ? err.retryAfterMs : undefined;
    return record({ ...known, certID, message: failure }, nextCheckDelayMs(lifetimeMs, retryAfterMs));
  }
  if (!info) return dropRenewalInfo();
  const fresh: CertificateRenewalInfo = withoutUndefined({
    certID,
    suggestedWindowStart: timestamp(info.windowStart.getTime()),
    suggestedWindowEnd: timestamp(info.windowEnd.getTime()),
    explanationURL: info.explanationURL,
  });
  const next = await record(fresh, nextCheckDelayMs(lifetimeMs, info.retryAfterMs));
  announce(ctx, cert, known, fresh); // after the write: a conflict retried must not announce twice
  return next;

  /** The CA has no renewalInfo (any more): drop what an earlier answer said. */
  async function dropRenewalInfo(): Promise<undefined> {
    if (cert.status?.renewalInfo) await updateCertificateStatus(ctx, cert, withoutUndefined({ ...cert.status, renewalInfo: undefined }));
    return undefined;
  }

  async function record(renewalInfo: CertificateRenewalInfo, nextInMs: number) {
    const status = {
      ...cert.status,
      renewalInfo: withoutUndefined({ ...renewalInfo, lastCheckTime: timestamp(now), nextCheckTime: timestamp(now + nextInMs) }),
    };
    await updateCertificateStatus(ctx, cert, status);
    checked.set(key, { certID: certID!, nextCheck: now + nextInMs });
    return { requeueAfterMs: nextInMs };
  }
}

/** An Event when the CA's window for this certificate is new or moved; a Warning when it explains why. */
function announce(ctx: AcmeContext, cert: Certificate, known: CertificateRenewalInfo | undefined, fresh: CertificateRenewalInfo): void {
  const moved =
    known?.suggestedWindowStart !== undefined &&
    (known.suggestedWindowStart !== fresh.suggestedWindowStart || known.suggestedWindowEnd !== fresh.suggestedWindowEnd);
  if (known?.suggestedWindowStart !== undefined && !moved && known.explanationURL === fresh.explanationURL) return;
  const [start, end] = [fresh.suggestedWindowStart, fresh.suggestedWindowEnd];
  const why = fresh.explanationURL ? `; the CA explains why at ${fresh.explanationURL}` : '';
  ctx.recorder.event(
    cert,
    fresh.explanationURL ? 'Warning' : 'Normal',
    moved ? 'RenewalWindowChanged' : 'RenewalWindow',
    moved ? `The CA moved the suggested renewal window (ARI) to ${start} - ${end}${why}` : `The CA suggests renewing (ARI) between ${start} and ${end}${why}`,
  );
}

// The leaf of a Secret's tls.crt, parsed once per version of the Secret (the cache replaces `data`
// with each version, and every pass of this controller would otherwise parse it again), for the
// 256 most recently read: a parsed certificate holds native memory, and one per cached Secret
// added up with thousands of Certificates.
const leaves = new RecentValues<object, X509Certificate | undefined>(256);

function storedLeaf(secret: V1Secret | undefined): X509Certificate | undefined {
  const data = secret?.data;
  if (!data) return undefined;
  return leaves.get(data, () => {
    const pem = secretValue(secret, SecretKeys.Certificate);
    try {
      return pem ? parseCertificateChain(pem)[0] : undefined;
    } catch {
      return undefined;
    }
  });
}
