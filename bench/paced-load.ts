// Open-loop load at a fixed rate: request i is due at start + i/rate, whether or not earlier ones
// have been answered, so a slow server cannot slow the load down and hide its own latency (the
// "coordinated omission" of closed-loop tools). autocannon's `overallRate` is not this: it sends
// each second's quota as fast as it can and then waits, so its "1,000 requests/s" is a burst at
// full speed followed by silence, and its p99 is the p99 of the burst.
import https from 'node:https';

export interface PacedLoadOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  ratePerSecond: number;
  durationSeconds: number;
  /** Keep-alive connections the requests spread over; a request finding all busy waits for one. */
  connections: number;
}

export interface PacedLoadResult {
  sent: number;
  answered: number;
  errors: number; // transport errors and non-2xx answers
  /** Milliseconds from the request being sent (including any wait for a free connection) to its
   *  answer read in full, sorted ascending. */
  latenciesMs: number[];
  /** How late the generator itself sent requests (its timer and event loop), sorted ascending. */
  sendLagMs: number[];
}

export async function pacedLoad(opts: PacedLoadOptions): Promise<PacedLoadResult> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: opts.connections, rejectUnauthorized: false });
  const url = new URL(opts.url);
  const headers = { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) };
  const send = (done: (ok: boolean, latencyMs: number) => void) => {
    const sentAt = performance.now();
    const req = https.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => done(res.statusCode! >= 200 && res.statusCode! < 300, performance.now() - sentAt));
    });
    req.on('error', () => done(false, performance.now() - sentAt));
    req.end(opts.body);
  };
  try {
    // Open the connections (TLS handshakes) before the clock starts.
    await Promise.all(Array.from({ length: opts.connections }, () => new Promise<void>((resolve) => send(() => resolve()))));
    return await new Promise<PacedLoadResult>((resolve) => {
      const total = Math.round(opts.ratePerSecond * opts.durationSeconds);
      const intervalMs = 1000 / opts.ratePerSecond;
      const latenciesMs: number[] = [];
      const sendLagMs: number[] = [];
      let sent = 0;
      let finished = 0;
      let errors = 0;
      const start = performance.now();
      const onAnswer = (ok: boolean, ms: number) => {
        if (ok) latenciesMs.push(ms);
        else errors++;
        if (++finished === total) {
          latenciesMs.sort((a, b) => a - b);
          sendLagMs.sort((a, b) => a - b);
          resolve({ sent, answered: latenciesMs.length, errors, latenciesMs, sendLagMs });
        }
      };
      const tick = () => {
        const now = performance.now();
        while (sent < total && start + sent * intervalMs <= now) {
          sendLagMs.push(now - (start + sent * intervalMs));
          sent++;
          send(onAnswer);
        }
        if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
      };
      tick();
    });
  } finally {
    agent.destroy();
  }
}
