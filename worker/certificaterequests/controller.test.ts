// The CertificateRequest controller as a table: a request, its issuer and what the issuer backend
// answers in; the approval, the Ready condition, the certificate written, the Event and the requeue
// out. The backends are stand-ins: what they do is tested on their own (issuance/, acme/).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CertificateRequest, Issuer } from '../../api/types.generated.ts';
import { fakeWorker, Resources } from '../../test/worker/fake-context.ts';
import type { IssuerBackend, SignResult } from '../issuance/backend.ts';
import { createCertificateRequestController } from './controller.ts';

const NS = 'apps';
const approved = { type: 'Approved', status: 'True' as const, reason: 'cert-manager.io', message: '' };

function request(conditions: NonNullable<CertificateRequest['status']>['conditions'] = [approved]): CertificateRequest {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: { name: 'web-1', namespace: NS },
    spec: { request: Buffer.from('csr').toString('base64'), issuerRef: { name: 'ca', kind: 'Issuer' } },
    status: { conditions },
  };
}

function issuer(ready: boolean, spec: Issuer['spec'] = { ca: { secretName: 'ca-key' } }): Issuer {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: 'ca', namespace: NS },
    spec,
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'x', message: '' }] },
  };
}

/** A backend that answers `result` and remembers what it was asked. */
function answering(result: SignResult) {
  const asked: string[] = [];
  const backend: IssuerBackend = {
    sign: async (req) => {
      asked.push(`${req.issuerKind} ${req.resourceNamespace}/${req.issuer.metadata.name}`);
      return result;
    },
    checkIssuer: async () => ({ ready: true, reason: 'IsReady', message: '' }),
  };
  return { backend, asked };
}

interface Case {
  name: string;
  objects: KubernetesObject[];
  sign?: SignResult;
  config?: { autoApproval: boolean };
  /** The condition written, undefined for no write. */
  written?: { type: 'Ready' | 'Approved'; status: string; reason: string };
  /** The same write also approves the request. */
  approvedToo?: boolean;
  certificate?: string;
  event?: string;
  requeueAfterMs?: number;
  signed?: boolean;
}

const cases: Case[] = [
  {
    name: 'not approved, auto-approval on: approved and signed, in one write',
    objects: [request([]), issuer(true)],
    sign: { state: 'issued', certificatePem: 'LEAF PEM' },
    written: { type: 'Ready', status: 'True', reason: 'Issued' },
    approvedToo: true,
    certificate: 'LEAF PEM',
    event: 'CertificateIssued',
    signed: true,
  },
  { name: 'not approved, auto-approval off: left for another approver', objects: [request([]), issuer(true)], config: { autoApproval: false } },
  {
    name: 'denied: Ready=False Denied',
    objects: [request([{ type: 'Denied', status: 'True', reason: 'policy', message: 'no' }]), issuer(true)],
    written: { type: 'Ready', status: 'False', reason: 'Denied' },
  },
  {
    name: 'issuer missing: pending, checked again',
    objects: [request()],
    written: { type: 'Ready', status: 'False', reason: 'Pending' },
    event: 'Pending',
    requeueAfterMs: 5000,
  },
  {
    name: 'issuer not Ready: pending, checked again',
    objects: [request(), issuer(false)],
    written: { type: 'Ready', status: 'False', reason: 'Pending' },
    event: 'Pending',
    requeueAfterMs: 5000,
  },
  {
    name: 'issuer of no supported type: failed',
    objects: [request(), issuer(true, {})],
    written: { type: 'Ready', status: 'False', reason: 'Failed' },
    event: 'Failed',
  },
  {
    name: 'the backend issues: certificate and Ready=True',
    objects: [request(), issuer(true)],
    sign: { state: 'issued', certificatePem: 'LEAF PEM' },
    written: { type: 'Ready', status: 'True', reason: 'Issued' },
    certificate: 'LEAF PEM',
    event: 'CertificateIssued',
    signed: true,
  },
  {
    name: 'the backend is still working: pending with its reason, at its time',
    objects: [request(), issuer(true)],
    sign: { state: 'pending', reason: 'Pending', message: 'Waiting on order', recheckAfterMs: 1234 },
    written: { type: 'Ready', status: 'False', reason: 'Pending' },
    event: 'Pending',
    requeueAfterMs: 1234,
    signed: true,
  },
  {
    name: 'the backend has no news yet (an Order it just created): nothing written, asked again at its time',
    objects: [request(), issuer(true)],
    sign: { state: 'pending', reason: 'Pending', message: 'Created Order resource', recheckAfterMs: 5000, untilNews: true },
    requeueAfterMs: 5000,
    signed: true,
  },
  {
    name: 'the backend refuses: failed with its message',
    objects: [request(), issuer(true)],
    sign: { state: 'failed', reason: 'Failed', message: 'bad CSR' },
    written: { type: 'Ready', status: 'False', reason: 'Failed' },
    event: 'Failed',
    signed: true,
  },
  {
    name: 'already issued: final, nothing to do',
    objects: [request([approved, { type: 'Ready', status: 'True' as const, reason: 'Issued', message: '' }]), issuer(true)],
    sign: { state: 'failed', reason: 'Failed', message: 'must not be asked' },
  },
];

describe('CertificateRequest controller', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const w = fakeWorker(c.objects, { config: c.config });
      const { backend, asked } = answering(c.sign ?? { state: 'failed', reason: 'Failed', message: 'unexpected sign' });
      const ctrl = createCertificateRequestController(w.ctx, { selfSigned: backend, ca: backend });
      const result = await ctrl.sync(`${NS}/web-1`);
      assert.equal(asked.length > 0, !!c.signed, 'whether the backend was asked');
      if (c.signed) assert.deepEqual(asked, [`Issuer ${NS}/ca`], 'the Issuer and the namespace of its Secrets');
      if (c.written) {
        assert.equal(w.writes.length, 1, 'one status write');
        const stored = w.stored<CertificateRequest>(Resources.CertificateRequest, NS, 'web-1')!;
        const cond = stored.status!.conditions!.find((x) => x.type === c.written!.type)!;
        assert.equal(cond.status, c.written.status);
        assert.equal(cond.reason, c.written.reason);
        if (c.approvedToo) assert.equal(stored.status!.conditions!.find((x) => x.type === 'Approved')?.status, 'True', 'approved in the same write');
        if (c.certificate) assert.equal(Buffer.from(stored.status!.certificate!, 'base64').toString(), c.certificate);
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
