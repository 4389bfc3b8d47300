// ACME account registration: find the account for this key first (onlyReturnExisting), create it
// only when the server has none. Re-registering an existing key with a plain newAccount fails on
// some servers (pebble 2.4), and finding it again is what lets every replica share one account.
import { AcmeProblemError } from './errors.ts';
import type { AcmeClient } from './client.ts';
import { explainNewAccountError, type EabSource } from './eab.ts';
import { semanticallyEqual } from '../semantic-equal.ts';

export interface AccountRegistration {
  /** The account URI (also the JWS kid). */
  uri: string;
  /** Email now registered (contact mailto), or '' when none. */
  email: string;
  /** True when this call created the account. */
  created: boolean;
}

/** `eab` names the binding the client was built with, so a CA's refusal of it reads clearly. */
export async function registerAccount(client: AcmeClient, email: string | undefined, eab?: EabSource): Promise<AccountRegistration> {
  const contact = email ? [`mailto:${email}`] : [];
  let account: { contact?: string[] } | undefined;
  let created = false;
  try {
    account = await client.createAccount({ onlyReturnExisting: true });
  } catch (err) {
    if (!(err instanceof AcmeProblemError && err.shortType === 'accountDoesNotExist')) throw err;
  }
  if (!account) {
    try {
      account = await client.createAccount({ termsOfServiceAgreed: true, contact });
    } catch (err) {
      throw explainNewAccountError(err, eab);
    }
    created = true;
  } else if (!semanticallyEqual(account.contact ?? [], contact)) {
    // The email changed since registration: update the contact, as cert-manager does.
    account = await client.updateAccount({ contact });
  }
  return { uri: client.getAccountUrl(), email: email ?? '', created };
}
