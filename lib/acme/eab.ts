// External account binding (RFC 8555 section 7.3.4): the issuer's keyID and the MAC key read from
// keySecretRef, and readable reasons when a CA refuses a new account over it. The MAC key is a
// credential: no message here ever contains it (only the key ID and the Secret's name).
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { ACMEExternalAccountBinding } from '../../api/types.generated.ts';
import type { KubeClient } from '../kube/client.ts';
import { AcmeProblemError } from './errors.ts';

/** What acme-client signs the binding with: key ID and the MAC key as unpadded base64url. */
interface ExternalAccountBinding {
  kid: string;
  hmacKey: string;
}

/** Where a binding came from, for messages: key ID and "namespace/name" of its Secret. */
export interface EabSource {
  keyID: string;
  secret: string;
}

/** A clear, terminal problem with the EAB configuration or its Secret (the user must fix it). */
export class ExternalAccountBindingError extends Error {
  override name = 'ExternalAccountBindingError';
}

/** Reads the binding of `eab` from its Secret in `namespace`; undefined when no EAB is configured. */
export async function readExternalAccountBinding(
  kube: KubeClient,
  namespace: string,
  eab: ACMEExternalAccountBinding | undefined,
): Promise<ExternalAccountBinding | undefined> {
  if (!eab) return undefined;
  if (!eab.keyID?.trim())
    throw new ExternalAccountBindingError('externalAccountBinding.keyID is empty: set it to the key ID (kid) your CA gave with the MAC key');
  const ref = eab.keySecretRef;
  if (!ref?.key) throw new ExternalAccountBindingError('externalAccountBinding.keySecretRef.key must name the Secret entry holding the MAC key');
  const where = `${namespace}/${ref.name}`;
  const secret = await kube.get<V1Secret>(Resources.Secret, namespace, ref.name);
  if (!secret) throw new ExternalAccountBindingError(`externalAccountBinding: Secret ${where} (keySecretRef) not found`);
  const b64 = secret.data?.[ref.key];
  if (!b64) throw new ExternalAccountBindingError(`externalAccountBinding: Secret ${where} has no entry "${ref.key}" holding the MAC key`);
  return { kid: eab.keyID.trim(), hmacKey: parseMacKey(Buffer.from(b64, 'base64').toString('utf8'), `Secret ${where} entry "${ref.key}"`) };
}

/**
 * The MAC key as unpadded base64url. CAs hand it out as unpadded base64url; standard base64 and
 * padding are accepted too, since both decode to the same bytes. Anything else is refused here,
 * because acme-client's decoder would silently skip the bad characters and sign with other bytes.
 */
export function parseMacKey(text: string, where: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new ExternalAccountBindingError(`externalAccountBinding: ${where} is empty`);
  if (!/^[A-Za-z0-9_+/-]+=*$/.test(trimmed)) throw new ExternalAccountBindingError(`externalAccountBinding: ${where} is not a base64url MAC key`);
  const bytes = Buffer.from(trimmed.replace(/=+$/, ''), 'base64');
  if (bytes.length === 0 || trimmed.replace(/=+$/, '').length % 4 === 1)
    throw new ExternalAccountBindingError(`externalAccountBinding: ${where} is not a base64url MAC key`);
  return bytes.toString('base64url');
}

/**
 * A newAccount refusal explained in terms of the issuer's configuration: the CA requires EAB and
 * none is configured, or the CA rejected the configured binding. Other errors come back unchanged.
 */
export function explainNewAccountError(err: unknown, eab: EabSource | undefined): unknown {
  if (!(err instanceof AcmeProblemError)) return err;
  if (!eab) {
    if (err.shortType !== 'externalAccountRequired') return err;
    return new ExternalAccountBindingError(
      `the ACME server requires external account binding: set spec.acme.externalAccountBinding (keyID and keySecretRef) to the EAB credentials from your CA (${err.message})`,
    );
  }
  const aboutBinding =
    err.shortType === 'unauthorized' ||
    err.shortType === 'externalAccountRequired' ||
    (err.shortType === 'malformed' && /external|binding|\beab\b|\bkid\b/i.test(err.detail));
  if (!aboutBinding) return err;
  return new ExternalAccountBindingError(
    `the ACME server rejected the external account binding for key ID "${eab.keyID}": check keyID and the MAC key in Secret ${eab.secret} (${err.message})`,
  );
}
