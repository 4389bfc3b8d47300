// Key manager: while a Certificate is Issuing, make sure the next private key exists in a
// temporary Secret (status.nextPrivateKeySecretName), so a crash between steps never loses or
// regenerates a key. rotationPolicy Never copies the key already in the Certificate's Secret.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { ConditionTypes, Labels, LabelValues, SecretKeys } from '../../api/constants.ts';
import { Resources, controllerRef } from '../../api/resources.ts';
import { isAlreadyExists } from '../../lib/kube/client.ts';
import { RetryAtError } from '../../lib/reconcile-errors.ts';
import { encodePrivateKeyPem, generatePrivateKey, keyMatchesSpec, parsePrivateKeyPem, samePublicKey } from '../../lib/pki/index.ts';
import { getCondition, hasCondition } from '../conditions.ts';
import type { QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { b64, deleteSecret, privateKeyOf, readSecret, rememberWrittenSecret, secretValue } from '../secrets.ts';
import { certificateReader, updateCertificateStatus, createCertificateController } from './common.ts';
import { keySpecOf } from './spec-fields.ts';
import { nextKeySecretNameFor } from '../object-names.ts';

export const KEY_MANAGER_CONTROLLER = 'certificates-key-manager';
const NEXT_PRIVATE_KEY_LABEL = 'cert-manager.io/next-private-key';
const KEY_SECRET_LABELS = { [Labels.ControllerFAO]: LabelValues.True, [NEXT_PRIVATE_KEY_LABEL]: LabelValues.True };
/** A Secret of another maker in the way: looked at again after this long (or when the Certificate changes). */
const FOREIGN_SECRET_RETRY_MS = 60_000;

export function createKeyManagerController(ctx: WorkerContext): QueueController {
  /**
   * Next-key Secret names found held by a Secret the Certificate does not control, by Certificate
   * uid. Such a Secret is not labelled, so not cached: the retry reads it before making a key,
   * instead of generating one each minute for a create that fails.
   */
  const heldByOthers = new Map<string, string>();
  const ctrl = createCertificateController(ctx, {
    name: KEY_MANAGER_CONTROLLER,
    reconcile: async (cert, log) => {
      const namespace = cert.metadata.namespace!;
      const uid = cert.metadata.uid ?? `${namespace}/${cert.metadata.name}`;
      if (!hasCondition(cert.status?.conditions, ConditionTypes.Issuing, 'True')) {
        heldByOthers.delete(uid);
        return;
      }
      const secretName = cert.status?.nextPrivateKeySecretName ?? nextKeySecretNameFor(cert);
      const spec = keySpecOf(cert);
      // The key Secret carries the managed label, so the cache sees it, and our own create is known
      // before the watch brings it (no second key is generated then); a create that finds it already
      // there (someone stripped the label) reads it and goes on from there.
      const remembered = await readSecret(ctx, namespace, secretName, { noRequest: true });
      // A name another's Secret held is looked up again (not taken from a remembered answer) before any key is made.
      const recheck = heldByOthers.get(uid) === secretName && !(remembered && isLabelled(remembered));
      const known = recheck ? undefined : remembered;
      const found = known ?? (recheck ? await readSecret(ctx, namespace, secretName, { fresh: true }) : undefined);
      const existing = found ?? (await createKeySecret(ctx, cert, secretName, spec));
      // Trusted without an owner check only when labelled and known without a request (the cache, our
      // own write); a GET's answer remembered for a few seconds is not.
      const vouchedFor = !!known && isLabelled(known);
      if (existing && existing !== 'created' && !vouchedFor && !controlledBy(existing, cert)) {
        // Not made by certgate for this Certificate: its key may be known to whoever made it. Neither used nor deleted.
        heldByOthers.set(uid, secretName);
        const message = `Secret "${secretName}" (the name this Certificate's next private key uses) exists and is not controlled by this Certificate; delete or rename it to continue issuing`;
        ctx.recorder.event(cert, 'Warning', 'NextKeySecretNotOwned', message);
        throw new RetryAtError(FOREIGN_SECRET_RETRY_MS, message);
      }
      heldByOthers.delete(uid);
      if (existing === 'created') {
        const updated = await updateCertificateStatus(ctx, cert, { ...cert.status, nextPrivateKeySecretName: secretName });
        ctx.recorder.event(cert, 'Normal', 'Generated', `Stored new private key in temporary Secret resource "${secretName}"`);
        // Named by the trigger already, so no status write queued the request manager: the new key does.
        if (updated === cert) certificateReader(ctx).notify(cert);
        return;
      }
      if (existing) {
        // A Secret not made for this issuance may be a left-over copy of the current key, which would defeat rotationPolicy Always.
        const leftover =
          !madeForThisIssuance(cert, secretName, existing, !!known) && spec.rotationPolicy === 'Always' && (await isCurrentKey(ctx, cert, existing));
        if (usableKey(existing, spec) && !leftover) {
          // Ours but stripped of its labels (the cache cannot see it): put them back, or every later pass collides with it.
          if (!known && !isLabelled(existing)) await relabel(ctx, existing);
          const updated =
            cert.status?.nextPrivateKeySecretName === secretName
              ? cert
              : await updateCertificateStatus(ctx, cert, { ...cert.status, nextPrivateKeySecretName: secretName });
          // Found by a create, not by the cache: the request manager, which reads it without a request, hears it from us.
          if (!known && updated === cert) certificateReader(ctx).notify(cert);
          return;
        }
        // The spec changed while issuing (another algorithm or size), or a left-over copy of the
        // current key would defeat rotationPolicy Always: start over with a new key.
        log.info({ secret: secretName }, 'next private key is not usable; replacing it');
        await deleteSecret(ctx, namespace, secretName);
        return { requeueAfterMs: 0 };
      }
      return { requeueAfterMs: 0 }; // gone between the create and the read: start over
    },
  });
  return ctrl;
}

/**
 * Whether the key Secret was made for the issuance in progress: status names it (the trigger names
 * it only when no such Secret existed), it was known here (a create that collided with it found one
 * neither the cache nor our writes knew) and it was not created before Issuing began (seconds, as both stamps).
 */
function madeForThisIssuance(cert: Certificate, secretName: string, secret: V1Secret, known: boolean): boolean {
  if (cert.status?.nextPrivateKeySecretName !== secretName || !known) return false;
  const issuingSince = getCondition(cert.status?.conditions, ConditionTypes.Issuing)?.lastTransitionTime;
  const created = secret.metadata?.creationTimestamp;
  return !issuingSince || !created || new Date(created).getTime() >= new Date(issuingSince).getTime();
}

/** Creates the next-key Secret; when one of that name exists already, returns it instead (live). */
async function createKeySecret(
  ctx: WorkerContext,
  cert: Certificate,
  secretName: string,
  spec: ReturnType<typeof keySpecOf>,
): Promise<V1Secret | 'created' | undefined> {
  const namespace = cert.metadata.namespace!;
  const keyPem = await nextKeyPem(ctx, cert, spec);
  try {
    const created = await ctx.client.create<V1Secret>(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: secretName,
        namespace,
        labels: KEY_SECRET_LABELS,
        ownerReferences: [controllerRef(Resources.Certificate, cert)],
      },
      data: { [SecretKeys.PrivateKey]: b64(keyPem) },
    } as V1Secret);
    rememberWrittenSecret(ctx, created); // the request manager reads it next, before the watch brings it
    return 'created';
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    return readSecret(ctx, namespace, secretName, { fresh: true });
  }
}

function controlledBy(secret: V1Secret, cert: Certificate): boolean {
  return !!secret.metadata?.ownerReferences?.some((r) => r.controller && r.kind === 'Certificate' && r.uid === cert.metadata.uid);
}

function isLabelled(secret: V1Secret): boolean {
  return Object.entries(KEY_SECRET_LABELS).every(([k, v]) => secret.metadata?.labels?.[k] === v);
}

/** Puts the key Secret's labels back (the same version only), so the managed Secrets cache holds it again. */
async function relabel(ctx: WorkerContext, secret: V1Secret): Promise<void> {
  const labelled = { ...secret, metadata: { ...secret.metadata, labels: { ...secret.metadata?.labels, ...KEY_SECRET_LABELS } } };
  rememberWrittenSecret(ctx, await ctx.client.replace<V1Secret>(Resources.Secret, labelled));
}

async function isCurrentKey(ctx: WorkerContext, cert: Certificate, next: V1Secret): Promise<boolean> {
  const current = secretValue(await readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName), SecretKeys.PrivateKey);
  const candidate = secretValue(next, SecretKeys.PrivateKey);
  if (!current || !candidate) return false;
  try {
    return samePublicKey(parsePrivateKeyPem(current), parsePrivateKeyPem(candidate));
  } catch {
    return false;
  }
}

function usableKey(secret: V1Secret, spec: ReturnType<typeof keySpecOf>): boolean {
  try {
    const key = privateKeyOf(secret);
    return !!key && keyMatchesSpec(key, spec);
  } catch {
    return false;
  }
}

/** rotationPolicy Never reuses the current key when it still fits the spec; otherwise a new key. */
async function nextKeyPem(ctx: WorkerContext, cert: Certificate, spec: ReturnType<typeof keySpecOf>): Promise<string> {
  if (spec.rotationPolicy === 'Never') {
    const current = secretValue(await readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName), SecretKeys.PrivateKey);
    if (current) {
      try {
        const key = parsePrivateKeyPem(current);
        if (keyMatchesSpec(key, spec)) return encodePrivateKeyPem(key, spec.encoding);
      } catch {
        // unusable: generate below
      }
    }
  }
  return encodePrivateKeyPem(await generatePrivateKey(spec), spec.encoding);
}
