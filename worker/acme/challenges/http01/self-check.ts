// HTTP-01 self-check: fetch the token URL the way the CA will, before asking the CA to validate,
// so a broken route shows as a status reason instead of a failed authorization.
import http from 'node:http';
import { Resolver } from 'node:dns/promises';
import { isIPv6, type LookupFunction } from 'node:net';

interface Http01SelfCheckOptions {
  port: number;
  /** Resolve names through this DNS server instead of the system resolver. */
  nameserver?: { host: string; port: number };
  timeoutMs?: number;
}

/** undefined when the URL answers exactly the key authorization, else why not (for status.reason). */
export async function http01SelfCheck(dnsName: string, token: string, key: string, opts: Http01SelfCheckOptions): Promise<string | undefined> {
  const host = isIPv6(dnsName) ? `[${dnsName}]` : dnsName;
  const url = `http://${host}:${opts.port}/.well-known/acme-challenge/${token}`;
  try {
    const res = await get(url, opts);
    if (res.status !== 200) return `wrong status code '${res.status}', expected '200'`;
    if (res.body.trim() !== key) return `wrong response body for ${url}: did not match the expected key authorization`;
    return undefined;
  } catch (err) {
    return `failed to perform self check GET request '${url}': ${(err as Error).message}`;
  }
}

function resolverLookup(ns: { host: string; port: number }): LookupFunction {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([`${ns.host}:${ns.port}`]);
  return ((hostname: string, options: any, cb: any) => {
    resolver.resolve4(hostname).then(
      (addrs) =>
        options?.all
          ? cb(
              null,
              addrs.map((address) => ({ address, family: 4 })),
            )
          : cb(null, addrs[0], 4),
      (err) => cb(err),
    );
  }) as LookupFunction;
}

function get(url: string, opts: Http01SelfCheckOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { lookup: opts.nameserver ? resolverLookup(opts.nameserver) : undefined, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 16 * 1024) req.destroy(new Error('response body too large'));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
