// kubectl's connection flags (--server, --token, --certificate-authority, --insecure-skip-tls-verify,
// --as, --as-group, --request-timeout) applied to the loaded kubeconfig, as kubectl applies them:
// a copy of the current context whose cluster and user carry the overrides, so
// @kubernetes/client-node's KubeConfig does the TLS and authentication as for any kubeconfig.
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { parseDuration } from '../api/duration.ts';
import { CliError } from './io.ts';

export interface KubectlFlags {
  server?: string;
  token?: string;
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  as?: string;
  asGroup?: string[];
  requestTimeout?: string;
}

/** A new KubeConfig with the flags applied to the current context's cluster and user (the input is not changed). */
export function applyKubectlFlags(kc: KubeConfig, f: KubectlFlags): KubeConfig {
  if (f.insecureSkipTlsVerify && f.certificateAuthority) throw new CliError('specifying a root certificates file with the insecure flag is not allowed');
  if (f.asGroup?.length && !f.as) throw new CliError('--as-group needs --as: groups can only be impersonated together with a user');
  if (f.certificateAuthority && !existsSync(f.certificateAuthority)) throw new CliError(`--certificate-authority ${f.certificateAuthority}: no such file`);
  if (f.server !== undefined) {
    try {
      new URL(f.server);
    } catch {
      throw new CliError(`--server "${f.server}" is not a URL (https://host:port)`);
    }
  }
  const cluster = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser() ?? { name: 'certgate-cli-user' };
  const context = kc.getContextObject(kc.getCurrentContext()) ?? { name: 'certgate-cli', cluster: cluster.name, user: user.name };
  const tls = f.insecureSkipTlsVerify
    ? { skipTLSVerify: true, caFile: undefined, caData: undefined }
    : f.certificateAuthority
      ? { caFile: f.certificateAuthority, caData: undefined }
      : {};
  const newCluster = { ...cluster, ...(f.server !== undefined ? { server: f.server } : {}), ...tls };
  // A token replaces the kubeconfig's other credentials, which would otherwise win (exec, auth provider, basic auth).
  const credentials = f.token !== undefined ? { token: f.token, exec: undefined, authProvider: undefined, username: undefined, password: undefined } : {};
  const newUser = { ...user, ...credentials, ...(f.as !== undefined ? { impersonateUser: f.as } : {}) };
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [newCluster],
    users: [newUser],
    contexts: [{ ...context, cluster: newCluster.name, user: newUser.name }],
    currentContext: context.name,
  });
  return out;
}

/** Headers KubeConfig cannot carry: one Impersonate-Group per --as-group. */
export function impersonationHeaders(f: KubectlFlags): Record<string, string[]> | undefined {
  return f.asGroup?.length ? { 'Impersonate-Group': f.asGroup } : undefined;
}

/** kubectl's --request-timeout: "0" (none), a number of seconds, or a duration with a unit ("1s", "2m3s"). Milliseconds; undefined when not given. */
export function requestTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    const ms = /^\d+$/.test(value) ? Number(value) * 1000 : parseDuration(value);
    if (ms < 0) throw new Error('must not be negative');
    return ms;
  } catch (e) {
    throw new CliError(`--request-timeout "${value}": ${(e as Error).message}`);
  }
}
