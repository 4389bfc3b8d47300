import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcmeProblemError } from './acme/errors.ts';
import { KubeApiError } from './kube/client.ts';
import { classifyError, CONFLICT_RETRY_MS, DEFAULT_RATE_LIMIT_WAIT_MS, RetryAtError, TerminalError } from './reconcile-errors.ts';

const problem = (type: string, status: number, retryAfterMs?: number) =>
  new AcmeProblemError(`urn:ietf:params:acme:error:${type}`, 'detail', status, retryAfterMs);

test('classifyError: the kind of a failure comes from its type, never its message', () => {
  assert.deepEqual(classifyError(new RetryAtError(5000, 'anything')), { kind: 'retry-at', afterMs: 5000 });
  assert.deepEqual(classifyError(new TerminalError('anything')), { kind: 'terminal' });
  assert.deepEqual(classifyError(problem('rateLimited', 429, 120_000)), { kind: 'retry-at', afterMs: 120_000 });
  assert.deepEqual(classifyError(problem('rateLimited', 429)), { kind: 'retry-at', afterMs: DEFAULT_RATE_LIMIT_WAIT_MS });
  assert.deepEqual(classifyError(problem('badNonce', 400)), { kind: 'transient' });
  assert.deepEqual(classifyError(problem('serverInternal', 500)), { kind: 'transient' });
  assert.deepEqual(classifyError(new Error('retrying after 30 s: rateLimited')), { kind: 'transient' }, 'wording alone means nothing');
});

test('classifyError: a resourceVersion conflict is retried soon', () => {
  const conflict = new KubeApiError(409, 'Conflict', 'Operation cannot be fulfilled', {});
  assert.deepEqual(classifyError(conflict), { kind: 'retry-at', afterMs: CONFLICT_RETRY_MS });
});
