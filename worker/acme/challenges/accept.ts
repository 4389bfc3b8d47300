// Accepting a challenge at the CA, once. The Challenge status records the accept (state
// "processing"), and the reconciler never accepts a challenge in that state again: the CA may
// still show "pending" for a moment after an accept, and a second one is refused ("malformed:
// Cannot update challenge with status valid"), which once failed a whole 101-name order. An
// accept refused because the challenge already moved on (an earlier accept before a crash, or
// another replica) is progress. The challenge's own state decides, never the wording of the answer.
import { fetchResource, type AcmeClient } from '../../../lib/acme/client.ts';

export interface ChallengeEndpoint {
  accept(url: string): Promise<unknown>;
  /** The challenge's status at the CA (pending, processing, valid, invalid). */
  status(url: string): Promise<string | undefined>;
}

export function challengeEndpoint(client: AcmeClient): ChallengeEndpoint {
  return {
    accept: (url) => client.completeChallenge({ url } as Parameters<AcmeClient['completeChallenge']>[0]),
    status: async (url) => (await fetchResource<{ status?: string }>(client, url)).status,
  };
}

type AcceptOutcome = 'accepted' | 'already-moved-on';

/** Accepts the challenge; when the CA refuses, re-reads it and counts a challenge past "pending" as progress. */
export async function acceptOnce(ca: ChallengeEndpoint, url: string): Promise<AcceptOutcome> {
  try {
    await ca.accept(url);
    return 'accepted';
  } catch (err) {
    const status = await ca.status(url).catch(() => undefined);
    if (status !== undefined && status !== 'pending') return 'already-moved-on';
    throw err;
  }
}
