// The aggregation layer (kube-aggregator): requests under /apis/<group>/<version>/ for which an
// APIService (apiregistration.k8s.io/v1, named "<version>.<group>") points at a Service are
// authorized here, then proxied over HTTPS to that Service, verified with the APIService's
// caBundle against the name <service>.<namespace>.svc, with the caller in X-Remote-User /
// X-Remote-Group as the real server sends it. cert-manager's DNS-01 webhook solvers are reached
// this way. The Service is found as the real aggregator does: type ExternalName goes to its
// externalName (works on a real cluster too); others go through the serviceResolver option.
import https from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.ts';
import type { ServiceResolver, UserInfo } from './admission.ts';
import type { Storage, KObj } from './storage.ts';

const API_SERVICES = 'apiregistration.k8s.io/apiservices';
const SERVICES = '/services';

export class Aggregator {
  constructor(
    private readonly storage: Storage,
    private readonly serviceResolver?: ServiceResolver,
  ) {}

  /** The APIService that takes over /apis/<group>/<version>, when one names a Service (local ones have none). */
  find(group: string, version: string): KObj | undefined {
    const svc = this.storage.get(API_SERVICES, undefined, `${version}.${group}`);
    return svc?.spec?.service ? svc : undefined;
  }

  async proxy(apiService: KObj, req: IncomingMessage, body: Buffer, res: ServerResponse, user: UserInfo): Promise<void> {
    const name = apiService.metadata.name;
    const { namespace, name: serviceName, port = 443 } = apiService.spec.service;
    const base = this.targetOf(namespace, serviceName, port, name);
    const target = new URL(req.url ?? '/', base);
    const headers: Record<string, string | string[]> = { 'x-remote-user': user.username };
    if (user.groups?.length) headers['x-remote-group'] = user.groups;
    for (const h of ['content-type', 'accept', 'user-agent']) if (req.headers[h]) headers[h] = req.headers[h] as string;
    headers['content-length'] = String(body.length);
    const serverName = `${serviceName}.${namespace}.svc`;
    const ca = apiService.spec.caBundle ? Buffer.from(apiService.spec.caBundle, 'base64').toString('utf8') : undefined;
    await new Promise<void>((resolve, reject) => {
      const out = https.request(
        target,
        {
          method: req.method,
          headers,
          ca,
          rejectUnauthorized: apiService.spec.insecureSkipTLSVerify !== true,
          servername: serverName,
          // The certificate must name the Service (<service>.<namespace>.svc), whatever host was dialled.
          checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert),
          timeout: 30_000,
        },
        (answer) => {
          const passOn: Record<string, string> = {};
          for (const h of ['content-type', 'content-length']) if (answer.headers[h]) passOn[h] = answer.headers[h] as string;
          res.writeHead(answer.statusCode ?? 502, passOn);
          answer.pipe(res);
          answer.on('end', () => resolve());
          answer.on('error', reject);
        },
      );
      out.on('timeout', () => out.destroy(new Error('timed out')));
      out.on('error', (e) => reject(unavailable(`error trying to reach service: ${e.message}`, name)));
      out.end(body);
    });
  }

  private targetOf(namespace: string, name: string, port: number, apiService: string): string {
    const svc = this.storage.get(SERVICES, namespace, name);
    if (!svc) throw unavailable(`service "${namespace}/${name}" not found`, apiService);
    if (svc.spec?.type === 'ExternalName') return `https://${svc.spec.externalName}:${port}`;
    if (!this.serviceResolver)
      throw unavailable(
        `service "${namespace}/${name}" cannot be reached: the embedded API server has no cluster network (use an ExternalName Service or pass serviceResolver)`,
        apiService,
      );
    return this.serviceResolver(namespace, name, port);
  }
}

/** What the real server answers when an aggregated API cannot be reached. */
function unavailable(message: string, apiService: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', `${message} (APIService ${apiService})`, {});
}
