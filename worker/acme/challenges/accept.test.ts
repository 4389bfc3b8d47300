import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcmeProblemError } from '../../../lib/acme/errors.ts';
import { acceptOnce, type ChallengeEndpoint } from './accept.ts';

const refused = new AcmeProblemError('urn:ietf:params:acme:error:malformed', 'Cannot update challenge with status valid, only status pending', 400);

function endpoint(answer: 'ok' | Error, status: string | Error): ChallengeEndpoint & { accepts: number } {
  const ep = {
    accepts: 0,
    async accept() {
      ep.accepts++;
      if (answer !== 'ok') throw answer;
    },
    async status() {
      if (status instanceof Error) throw status;
      return status;
    },
  };
  return ep;
}

test('acceptOnce: a plain accept', async () => {
  const ep = endpoint('ok', 'pending');
  assert.equal(await acceptOnce(ep, 'https://ca/chall/1'), 'accepted');
  assert.equal(ep.accepts, 1);
});

for (const status of ['valid', 'processing', 'invalid']) {
  test(`acceptOnce: a refused accept of a challenge already ${status} is progress, whatever the CA's wording`, async () => {
    assert.equal(await acceptOnce(endpoint(refused, status), 'u'), 'already-moved-on');
    assert.equal(await acceptOnce(endpoint(new Error('reworded by the CA'), status), 'u'), 'already-moved-on');
  });
}

test('acceptOnce: a refused accept of a challenge still pending, or unreadable, is the error it was', async () => {
  await assert.rejects(acceptOnce(endpoint(refused, 'pending'), 'u'), (e) => e === refused);
  await assert.rejects(acceptOnce(endpoint(refused, new Error('network')), 'u'), (e) => e === refused);
});
