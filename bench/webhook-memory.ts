// Benchmark: the webhook's memory under fuzzed admission requests (the fuzz test's generator),
// sampled in its own process every few thousand requests: RSS, V8 heap after a full GC, and the
// memory outside the heap (Buffers). A bounded server levels off; a leak keeps climbing.
//   npx tsx bench/webhook-memory.ts [--requests 24000] [--concurrency 16] [--new-connections]
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { bodyArb } from '../test/webhook/fuzz-bodies.ts';
import { testTls } from '../test/webhook/admission.ts';
import { fmt, machineLine, markdownTable, MiB, procMemory } from './report.ts';
import { startTarget } from './webhook.ts';

export interface MemorySample {
  requests: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
}

function memoryOf(child: import('node:child_process').ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve) => {
    const onMessage = (m: any) => {
      if (m?.memory) {
        child.off('message', onMessage);
        resolve(m.memory);
      }
    };
    child.on('message', onMessage);
    child.send('memory');
  });
}

function post(port: number, path: string, body: string, ca: string, agent: https.Agent): Promise<void> {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path, method: 'POST', ca, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', () => resolve()); // answers are checked by the fuzz test; here only memory counts
    req.end(body);
  });
}

export async function runWebhookMemoryBench(
  opts: { requests?: number; concurrency?: number; samples?: number; newConnections?: boolean } = {},
): Promise<{ samples: MemorySample[]; markdown: string }> {
  const requests = opts.requests ?? 24_000;
  const concurrency = opts.concurrency ?? 16;
  const every = Math.ceil(requests / (opts.samples ?? 8));
  const tls = await testTls(['127.0.0.1']);
  const probe = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));
  const target = await startTarget('webhook', 'certgate webhook', { ingressCount: 1000, tls, answer: '' }, undefined, ['--expose-gc', '--import', probe]);
  // newConnections: one TLS handshake per request, as clients without keep-alive make them.
  const agent = new https.Agent({ keepAlive: !opts.newConnections, maxSockets: concurrency });
  const samples: MemorySample[] = [];
  const sample = async (done: number) => {
    const m = await memoryOf(target.child);
    samples.push({
      requests: done,
      rssMiB: procMemory(target.child.pid!).rssBytes / MiB,
      heapUsedMiB: m.heapUsed / MiB,
      heapTotalMiB: m.heapTotal / MiB,
      externalMiB: m.external / MiB,
      arrayBuffersMiB: m.arrayBuffers / MiB,
    });
  };
  try {
    await sample(0);
    let sent = 0;
    let seed = 1;
    while (sent < requests) {
      // Bodies are generated per slice, so the load generator does not hold 24,000 of them.
      const bodies = fc.sample(bodyArb, { numRuns: Math.min(every, requests - sent), seed: seed++ });
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < bodies.length) {
            const i = next++;
            await post(target.port, i % 2 === 0 ? '/validate' : '/mutate', bodies[i], tls.caPem, agent);
          }
        }),
      );
      sent += bodies.length;
      await sample(sent);
    }
    const table = markdownTable(
      ['requests', 'RSS MiB', 'V8 heap used after GC MiB', 'V8 heap total MiB', 'external MiB', 'of which ArrayBuffers MiB'],
      samples.map((s) => [String(s.requests), fmt(s.rssMiB), fmt(s.heapUsedMiB), fmt(s.heapTotalMiB), fmt(s.externalMiB), fmt(s.arrayBuffersMiB)]),
    );
    const first = samples[1] ?? samples[0];
    const last = samples[samples.length - 1];
    const markdown = `### Webhook memory under fuzzed requests\n\n${requests} fuzzed AdmissionReviews (the fuzz test's generator), ${concurrency} ${opts.newConnections ? 'concurrent requests, a new TLS connection for each' : 'keep-alive connections'}; the webhook in its own process. RSS growth from the first sample after load to the last: ${fmt(last.rssMiB - first.rssMiB)} MiB.\n\n${table}\n\n${machineLine()}`;
    return { samples, markdown };
  } finally {
    agent.destroy();
    target.child.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '24000' },
      concurrency: { type: 'string', default: '16' },
      'new-connections': { type: 'boolean', default: false },
    },
  });
  console.log(
    (await runWebhookMemoryBench({ requests: Number(values.requests), concurrency: Number(values.concurrency), newConnections: values['new-connections'] }))
      .markdown,
  );
}
