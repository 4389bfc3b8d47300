// Carries out a shim's plan (plan.ts) for one Ingress or Gateway: deletes, creates and updates its
// Certificates, then records the plan's Events on the object. A Certificate the API server refuses
// (the webhook denies a bad annotation value, an invalid name) is a fact about the object: a Warning
// on it with the API server's reason and the fix, and no retry until the object changes (its
// update brings the key back).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { Resources } from '../../api/resources.ts';
import { KubeApiError } from '../../lib/kube/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { WorkerContext } from '../context.ts';
import type { IngressPlan } from './plan.ts';

const CERTIFICATE_REFUSED_REASON = 'CertificateRefused';

/** The API server refused the object itself (admission denial, invalid): retrying the same write cannot help. */
const isRefusal = (e: unknown): e is KubeApiError => e instanceof KubeApiError && [400, 403, 422].includes(e.statusCode);

/** `owner` (with apiVersion and kind) receives the Events; undefined when the object is gone. `fix` names what to change on it. */
export async function applyShimPlan(
  ctx: Pick<WorkerContext, 'client' | 'recorder'>,
  namespace: string,
  plan: IngressPlan,
  owner: KubernetesObject | undefined,
  fix: string,
  log: Logger,
): Promise<void> {
  for (const cert of plan.delete) {
    await ctx.client.delete(Resources.Certificate, namespace, cert.metadata.name!);
    log.info({ certificate: cert.metadata.name }, 'deleted certificate no longer asked for (the Secret is kept)');
  }
  const events = [...plan.events];
  const write = async (verb: 'create' | 'update', cert: Certificate) => {
    try {
      await (verb === 'create' ? ctx.client.create(Resources.Certificate, cert) : ctx.client.replace(Resources.Certificate, cert));
      return true;
    } catch (e) {
      if (!isRefusal(e)) throw e;
      events.push({
        type: 'Warning',
        reason: CERTIFICATE_REFUSED_REASON,
        message: `Could not ${verb} Certificate "${cert.metadata.name}": ${e.message}. ${fix}`,
      });
      return false;
    }
  };
  const refusedNames = new Set<string>();
  for (const cert of plan.create) if (!(await write('create', cert))) refusedNames.add(cert.metadata.name!);
  for (const cert of plan.update) if (!(await write('update', cert))) refusedNames.add(cert.metadata.name!);
  // The "Successfully created/updated" Events of refused Certificates would be false.
  for (const e of events.filter((e) => !(e.certificate && refusedNames.has(e.certificate)))) {
    if (owner) ctx.recorder.event(owner, e.type, e.reason, e.message);
    if (e.type === 'Warning') log.warn({ reason: e.reason, message: e.message }, `${owner?.kind ?? 'object'} not fully usable`);
  }
}
