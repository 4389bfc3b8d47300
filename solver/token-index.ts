// HTTP-01 key authorizations by token, kept from a watch of Challenge objects. Every solver
// replica watches the same objects, so any replica answers any token.
import type { Challenge } from '../api/types.generated.ts';

export class TokenIndex {
  private readonly byToken = new Map<string, { uid: string; key: string }>();

  upsert(ch: Challenge): void {
    if (ch.spec?.type !== 'HTTP-01' || !ch.spec.token || !ch.spec.key) return;
    this.byToken.set(ch.spec.token, { uid: ch.metadata?.uid ?? '', key: ch.spec.key });
  }

  remove(ch: Challenge): void {
    const token = ch.spec?.token;
    if (!token) return;
    const cur = this.byToken.get(token);
    // A newer object may reuse the token: only drop our own entry.
    if (cur && (!ch.metadata?.uid || cur.uid === ch.metadata.uid)) this.byToken.delete(token);
  }

  keyAuthorization(token: string): string | undefined {
    return this.byToken.get(token)?.key;
  }

  get size(): number {
    return this.byToken.size;
  }
}
