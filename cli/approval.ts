// `certgate approve NAME` / `certgate deny NAME`, as cmctl's: set the Approved or Denied condition of
// a CertificateRequest through the status subresource, for clusters where the worker's built-in
// approver is off (--disable-auto-approval) and a person decides. A request already approved or
// denied is left as it is: the decision is final, as in cert-manager.
import type { CertificateRequest, Condition } from '../api/types.generated.ts';
import { ConditionTypes } from '../api/constants.ts';
import { Resources } from '../api/resources.ts';
import type { KubeClient } from '../lib/kube/client.ts';
import { CliError } from './io.ts';

type Decision = 'Approved' | 'Denied';

export async function decideRequest(
  client: KubeClient,
  namespace: string,
  name: string,
  decision: Decision,
  reason: string,
  message: string,
  nowMs: number,
): Promise<CertificateRequest> {
  if (!reason) throw new CliError(`a reason must be given as to who ${decision === 'Approved' ? 'approved' : 'denied'} this CertificateRequest`);
  if (!message) throw new CliError(`a message must be given as to why this CertificateRequest is ${decision === 'Approved' ? 'approved' : 'denied'}`);
  const cr = await client.get<CertificateRequest>(Resources.CertificateRequest, namespace, name);
  if (!cr) throw new CliError(`certificaterequests.cert-manager.io "${name}" not found in namespace "${namespace}"`);
  const conditions = cr.status?.conditions ?? [];
  if (conditions.some((c) => c.type === ConditionTypes.Approved && c.status === 'True')) throw new CliError('CertificateRequest is already approved');
  if (conditions.some((c) => c.type === ConditionTypes.Denied && c.status === 'True')) throw new CliError('CertificateRequest is already denied');
  const condition: Condition = { type: decision, status: 'True', reason, message, lastTransitionTime: new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z') };
  // The resourceVersion read above makes a concurrent decision (the worker's approver) fail with a conflict instead of being overwritten.
  return client.replaceStatus<CertificateRequest>(Resources.CertificateRequest, {
    ...cr,
    status: { ...cr.status, conditions: [...conditions.filter((c) => c.type !== decision), condition] },
  });
}
