// Bearer-token authentication: an admin token (system:masters) and tokens minted for
// ServiceAccounts, which carry the usernames and groups the real token authenticator gives them.
import { randomBytes } from 'node:crypto';
import type { UserInfo } from './admission.ts';

export const ADMIN_USER: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

export class Authenticator {
  readonly adminToken: string;
  private tokens = new Map<string, UserInfo>();

  constructor(adminToken?: string) {
    this.adminToken = adminToken ?? randomBytes(24).toString('hex');
    this.tokens.set(this.adminToken, ADMIN_USER);
  }

  tokenFor(namespace: string, serviceAccount: string): string {
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, {
      username: `system:serviceaccount:${namespace}:${serviceAccount}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    });
    return token;
  }

  /** The user behind an Authorization header, or undefined (the caller answers 401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return m ? this.tokens.get(m[1]) : undefined;
  }
}
