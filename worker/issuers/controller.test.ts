// The Issuer and ClusterIssuer readiness controllers as a table: an issuer and what its backend's
// check answers in; the Ready condition and backend status written, the Event and the requeue out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterIssuer, Issuer } from '../../api/types.generated.ts';
import { fakeWorker, Resources } from '../../test/worker/fake-context.ts';
import type { IssuerBackend, IssuerReadiness } from '../issuance/backend.ts';
import { createIssuerControllers } from './controller.ts';

const NS = 'apps';
const readyCondition = { type: 'Ready', status: 'True' as const, reason: 'IsReady', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' };

function issuer(spec: Issuer['spec'], status?: Issuer['status'], cluster = false): Issuer | ClusterIssuer {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: cluster ? 'ClusterIssuer' : 'Issuer',
    metadata: { name: 'ca', ...(cluster ? {} : { namespace: NS }), generation: 1 },
    spec,
    ...(status ? { status } : {}),
  };
}

function checking(answer: IssuerReadiness) {
  const asked: string[] = [];
  const backend: IssuerBackend = {
    sign: async () => ({ state: 'failed', reason: 'Failed', message: 'not here' }),
    checkIssuer: async (i, resourceNamespace) => {
      asked.push(`${i.metadata.name} in ${resourceNamespace}`);
      return answer;
    },
  };
  return { backend, asked };
}

interface Case {
  name: string;
  issuer: Issuer | ClusterIssuer;
  answer: IssuerReadiness;
  ready?: { status: string; reason: string };
  statusAcme?: unknown;
  event?: string;
  requeueAfterMs?: number;
  askedIn?: string;
}

const cases: Case[] = [
  {
    name: 'ready: Ready=True and a Normal Event',
    issuer: issuer({ ca: { secretName: 'k' } }),
    answer: { ready: true, reason: 'IsReady', message: 'ok' },
    ready: { status: 'True', reason: 'IsReady' },
    event: 'IsReady',
    askedIn: NS,
  },
  {
    name: 'not ready: Ready=False, a Warning Event, checked again in 10 s',
    issuer: issuer({ ca: { secretName: 'k' } }),
    answer: { ready: false, reason: 'ErrGetKeyPair', message: 'Secret not found' },
    ready: { status: 'False', reason: 'ErrGetKeyPair' },
    event: 'ErrGetKeyPair',
    requeueAfterMs: 10_000,
    askedIn: NS,
  },
  {
    name: 'backend status is merged into the issuer status',
    issuer: issuer({ acme: { server: 'https://ca.test/dir', privateKeySecretRef: { name: 'acct' }, solvers: [] } }),
    answer: { ready: true, reason: 'ACMEAccountRegistered', message: 'registered', status: { acme: { uri: 'https://ca.test/acct/1' } } },
    ready: { status: 'True', reason: 'ACMEAccountRegistered' },
    statusAcme: { uri: 'https://ca.test/acct/1' },
    event: 'ACMEAccountRegistered',
    askedIn: NS,
  },
  {
    name: 'no supported type: Ready=False ErrInitIssuer',
    issuer: issuer({}),
    answer: { ready: true, reason: 'unused', message: '' },
    ready: { status: 'False', reason: 'ErrInitIssuer' },
    event: 'ErrInitIssuer',
    requeueAfterMs: 10_000,
  },
  {
    name: 'unchanged: no write, no Event',
    issuer: issuer({ ca: { secretName: 'k' } }, { conditions: [{ ...readyCondition, observedGeneration: 1 }] }),
    answer: { ready: true, reason: 'IsReady', message: 'ok' },
    askedIn: NS,
  },
  {
    name: 'a ClusterIssuer is checked against the cluster resource namespace',
    issuer: issuer({ ca: { secretName: 'k' } }, undefined, true),
    answer: { ready: true, reason: 'IsReady', message: 'ok' },
    ready: { status: 'True', reason: 'IsReady' },
    event: 'IsReady',
    askedIn: 'certgate-system-test',
  },
];

describe('issuer readiness controllers', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const w = fakeWorker([c.issuer], { config: { clusterResourceNamespace: 'certgate-system-test' } });
      const { backend, asked } = checking(c.answer);
      const [issuers, clusterIssuers] = createIssuerControllers(w.ctx, { selfSigned: backend, ca: backend, acme: backend });
      const cluster = c.issuer.kind === 'ClusterIssuer';
      const result = await (cluster ? clusterIssuers : issuers).sync(cluster ? 'ca' : `${NS}/ca`);
      assert.deepEqual(asked, c.askedIn ? [`ca in ${c.askedIn}`] : []);
      if (c.ready) {
        assert.equal(w.writes.length, 1, 'one status write');
        const stored = w.stored<Issuer>(cluster ? Resources.ClusterIssuer : Resources.Issuer, cluster ? undefined : NS, 'ca')!;
        const ready = stored.status!.conditions!.find((x) => x.type === 'Ready')!;
        assert.deepEqual({ status: ready.status, reason: ready.reason }, c.ready);
        if (c.statusAcme) assert.deepEqual(stored.status!.acme, c.statusAcme);
      } else {
        assert.deepEqual(w.writes, [], 'no writes');
      }
      assert.deepEqual(
        w.events.map((e) => e.reason),
        c.event ? [c.event] : [],
      );
      assert.equal(result?.requeueAfterMs, c.requeueAfterMs);
    });
  }
});
