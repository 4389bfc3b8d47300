// What the Challenge controller's HTTP-01 self-check reaches in the controller tables: a DNS server
// on loopback that answers 127.0.0.1 for every name (the worker's --acme-dns-nameserver), and an
// HTTP server there that answers /.well-known/acme-challenge/<token> as the case says (the route
// serving the key, not yet serving it, or serving something else). Real sockets, so the self-check
// runs unchanged.
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';

export interface Http01Answers {
  /** --acme-dns-nameserver and --acme-http01-self-check-port for the worker. */
  config: { acmeDnsNameserver: { host: string; port: number }; acmeHttp01SelfCheckPort: number };
  /** token -> the body answered with 200; a token not here answers 404. */
  serving: Map<string, string>;
  close(): Promise<void>;
}

export async function startHttp01Answers(): Promise<Http01Answers> {
  const serving = new Map<string, string>();
  const web = http.createServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([^/]+)$/.exec(req.url ?? '')?.[1];
    const body = token === undefined ? undefined : serving.get(token);
    res.writeHead(body === undefined ? 404 : 200).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));

  const dns = dgram.createSocket('udp4');
  dns.on('message', (msg, from) => {
    const query = dnsPacket.decode(msg);
    const answers = (query.questions ?? []).filter((q) => q.type === 'A').map((q) => ({ type: 'A' as const, name: q.name, ttl: 5, data: '127.0.0.1' }));
    dns.send(
      dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: query.questions, answers }),
      from.port,
      from.address,
    );
  });
  await new Promise<void>((resolve) => dns.bind(0, '127.0.0.1', resolve));

  return {
    config: {
      acmeDnsNameserver: { host: '127.0.0.1', port: dns.address().port },
      acmeHttp01SelfCheckPort: (web.address() as AddressInfo).port,
    },
    serving,
    close: async () => {
      await new Promise<void>((resolve) => dns.close(() => resolve()));
      await new Promise<void>((resolve) => web.close(() => resolve()));
    },
  };
}

/** A DNS server on loopback that knows no name (NXDOMAIN for every question): a resolver a self-check must not ask. */
export async function startNxdomainResolver(): Promise<{ address: { host: string; port: number }; close(): Promise<void> }> {
  const dns = dgram.createSocket('udp4');
  dns.on('message', (msg, from) => {
    const query = dnsPacket.decode(msg);
    dns.send(dnsPacket.encode({ type: 'response', id: query.id, flags: 3, questions: query.questions, answers: [] }), from.port, from.address);
  });
  await new Promise<void>((resolve) => dns.bind(0, '127.0.0.1', resolve));
  return {
    address: { host: '127.0.0.1', port: dns.address().port },
    close: () => new Promise<void>((resolve) => dns.close(() => resolve())),
  };
}
