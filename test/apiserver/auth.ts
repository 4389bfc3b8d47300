// Bearer-token authentication: an admin token (system:masters) and tokens minted for
// ServiceAccounts, which carry the usernames and groups the real token authenticator gives them.
// Like bound ServiceAccount tokens, each has audiences and an expiry: the API server accepts only
// those meant for itself, and TokenReview tells another audience (e.g. sts.amazonaws.com) whom a
// token it was given belongs to.
import { randomBytes } from 'node:crypto';
import type { UserInfo } from './admission.ts';

export const ADMIN_USER: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
/** The API server's own audience (kube-apiserver's --api-audiences; its default for TokenRequests without audiences). */
export const API_AUDIENCE = 'https://kubernetes.default.svc';

interface IssuedToken {
  user: UserInfo;
  audiences: string[];
  expiresAt: number; // ms since the epoch; Infinity for the admin token
}

interface TokenOptions {
  audiences?: string[];
  expirationSeconds?: number;
}

export class Authenticator {
  readonly adminToken: string;
  private tokens = new Map<string, IssuedToken>();

  constructor(adminToken?: string) {
    this.adminToken = adminToken ?? randomBytes(24).toString('hex');
    this.tokens.set(this.adminToken, { user: ADMIN_USER, audiences: [API_AUDIENCE], expiresAt: Infinity });
  }

  tokenFor(namespace: string, serviceAccount: string, opts: TokenOptions = {}): string {
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, {
      user: {
        username: `system:serviceaccount:${namespace}:${serviceAccount}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      },
      audiences: opts.audiences?.length ? [...opts.audiences] : [API_AUDIENCE],
      expiresAt: opts.expirationSeconds ? Date.now() + opts.expirationSeconds * 1000 : Infinity,
    });
    return token;
  }

  /** The user behind an Authorization header, or undefined (the caller answers 401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return m ? this.review(m[1], [API_AUDIENCE])?.user : undefined;
  }

  /**
   * TokenReview: the user and the audiences (of those asked for, default the API server's) a
   * token is valid for, or undefined when it is unknown, expired or meant for none of them.
   */
  review(token: string, audiences: string[] = [API_AUDIENCE]): { user: UserInfo; audiences: string[] } | undefined {
    const issued = this.tokens.get(token);
    if (!issued || issued.expiresAt <= Date.now()) return undefined;
    const matching = issued.audiences.filter((a) => audiences.includes(a));
    return matching.length ? { user: issued.user, audiences: matching } : undefined;
  }
}
