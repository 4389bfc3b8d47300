// One DNS exchange over TCP (RFC 1035 §4.2.2: two-byte length prefix). TCP avoids truncation and
// UDP retransmission logic; updates are rare, so a connection per message is fine.
import { connect } from 'node:net';

export interface Nameserver {
  host: string;
  port: number;
}

/** Parses "host", "host:port", "[v6]:port" or a bare IPv6 literal; the port defaults to 53. */
export function parseNameserver(input: string): Nameserver {
  const s = input.trim();
  const v6 = s.match(/^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/);
  if (v6) return { host: v6[1], port: checkPort(v6[2] ?? '53', input) };
  if ((s.match(/:/g) ?? []).length > 1) return { host: s, port: 53 };
  const [host, port] = s.split(':');
  if (!host) throw new Error(`invalid nameserver ${JSON.stringify(input)}: expected "host:port"`);
  return { host, port: checkPort(port ?? '53', input) };
}

function checkPort(port: string, input: string): number {
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) throw new Error(`invalid nameserver ${JSON.stringify(input)}: bad port "${port}"`);
  return n;
}

export class DnsTimeoutError extends Error {
  constructor(server: Nameserver, timeoutMs: number) {
    super(`DNS server ${server.host}:${server.port} did not answer within ${timeoutMs} ms`);
    this.name = 'DnsTimeoutError';
  }
}

/** Sends `message` and resolves with the response whose ID matches. */
export function exchangeTcp(server: Nameserver, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new DnsTimeoutError(server, timeoutMs)), timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      fail(new Error(`DNS server ${server.host}:${server.port}: ${err.message}`));
    });
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const size = received.readUInt16BE(0);
      if (received.length < 2 + size) return;
      clearTimeout(timer);
      socket.end();
      const response = received.subarray(2, 2 + size);
      if (response.length < 12 || response.readUInt16BE(0) !== message.readUInt16BE(0)) {
        reject(new Error(`DNS server ${server.host}:${server.port} answered with a mismatched message ID`));
        return;
      }
      resolve(response);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`DNS server ${server.host}:${server.port} closed the connection without a complete answer`));
    });
  });
}
