// Free loopback ports, chosen by the kernel at test start. A DNS server needs the same number
// free for TCP and UDP, so udp: true checks both.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

const handedOut = new Set<number>();

function tcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/** A port free on 127.0.0.1 (and for UDP too when asked), never returned twice by this process. */
export async function freePort(opts: { udp?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpPort();
    if (handedOut.has(port)) continue;
    if (opts.udp && !(await udpFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('could not find a free loopback port after 50 attempts');
}
