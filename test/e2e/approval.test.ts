// CertificateRequest approval by someone other than certgate: a worker started with
// --disable-auto-approval (chart value disableAutoApproval) approves nothing; `certgate approve`
// lets a request be signed, `certgate deny` ends it, and the Certificate says why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../api/resources.ts';
import type { Certificate, CertificateRequest, Issuer } from '../../api/types.generated.ts';
import { runCli } from '../cli/harness.ts';
import { runName } from './cluster.ts';
import { useSelfSignedFleet } from './issuance-helpers.ts';
import { certificate, waitFor } from '../fixtures.ts';

const NS = runName('approval-e2e');

describe('approval left to another approver', { timeout: 240_000 }, () => {
  // A denied request is retried after the failure backoff: an hour here, so the Certificate's
  // Issuing=False stays to be read (the suite's 1 s would replace it with the next attempt at once).
  const fleet = useSelfSignedFleet(NS, ['--no-leader-elect', '--disable-auto-approval', '--renew-backoff-base', '1h', '--renew-backoff-max', '1h']);
  const client = () => fleet().client;
  const condition = (o: { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } } | undefined, type: string) =>
    o?.status?.conditions?.find((c) => c.type === type);
  const cli = (...argv: string[]) => runCli(fleet().cluster.kubeconfigPath, ['-n', NS, ...argv]);

  async function certificateWithRequest(name: string): Promise<CertificateRequest> {
    const cert = certificate(NS, name);
    await client().create(Resources.Certificate, cert);
    return waitFor(`CertificateRequest of ${name}`, async () =>
      (await client().list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS })).items.find((cr) =>
        cr.metadata.ownerReferences?.some((o) => o.name === name),
      ),
    );
  }

  test('nothing is approved by the worker; certgate approve lets the request be signed', async () => {
    const cr = await certificateWithRequest('approved');
    // The request exists and the issuer is Ready: a built-in approver would have answered by now.
    await waitFor('SelfSigned issuer Ready', async () => condition(await client().get<Issuer>(Resources.Issuer, NS, 'selfsigned'), 'Ready')?.status === 'True');
    const pending = await client().get<CertificateRequest>(Resources.CertificateRequest, NS, cr.metadata.name!);
    assert.equal(condition(pending, 'Approved'), undefined, 'not approved by the worker');
    assert.equal(pending?.status?.certificate, undefined, 'not signed');

    const run = await cli('approve', cr.metadata.name!);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), `Approved CertificateRequest '${NS}/${cr.metadata.name}'`);
    const approved = condition(await client().get<CertificateRequest>(Resources.CertificateRequest, NS, cr.metadata.name!), 'Approved');
    assert.deepEqual([approved?.status, approved?.reason, approved?.message], ['True', 'KubectlCertManager', 'manually approved by "certgate"']);
    await waitFor(
      'Certificate Ready',
      async () => condition(await client().get<Certificate>(Resources.Certificate, NS, 'approved'), 'Ready')?.status === 'True',
    );

    const again = await cli('approve', cr.metadata.name!);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /CertificateRequest is already approved/);
  });

  test('certgate deny ends the request and the Certificate says why', async () => {
    const cr = await certificateWithRequest('denied');
    const run = await cli('deny', cr.metadata.name!, '--reason', 'PKITeam', '--message', 'names outside our zone');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), `Denied CertificateRequest '${NS}/${cr.metadata.name}'`);
    const request = await waitFor('request Ready=False Denied', async () => {
      const r = await client().get<CertificateRequest>(Resources.CertificateRequest, NS, cr.metadata.name!);
      return condition(r, 'Ready')?.reason === 'Denied' ? r : undefined;
    });
    assert.ok(request.status?.failureTime, 'failureTime set');
    const issuing = await waitFor('Certificate Issuing=False', async () => {
      const c = condition(await client().get<Certificate>(Resources.Certificate, NS, 'denied'), 'Issuing');
      return c?.status === 'False' ? c : undefined;
    });
    assert.match(issuing.message ?? '', /the request was denied by PKITeam: names outside our zone/);

    const again = await cli('approve', cr.metadata.name!);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /CertificateRequest is already denied/);
    const missing = await cli('deny', 'no-such-request');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /certificaterequests.cert-manager.io "no-such-request" not found/);
  });
});
