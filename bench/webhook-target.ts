// Child process of bench/webhook.ts: runs one HTTPS target on its own core, so the load generator
// does not share an event loop with it. argv[2] is "webhook" (the real server with 1,000 Ingresses
// in its view), "bare" (a plain node:https server answering the same JSON) or "bare+spin". Reports
// its port over IPC.
import https from 'node:https';
import { staticClusterView } from '../webhook/cluster-view.ts';
import { defaultWebhookConfig } from '../webhook/config.ts';
import { createWebhookMetrics } from '../webhook/metrics.ts';
import { startWebhookServer } from '../webhook/server.ts';
import { benchObjects, type BenchSetup } from './webhook-data.ts';

const kind = process.argv[2];
const setup = JSON.parse(process.argv[3]) as BenchSetup;

if (kind === 'webhook') {
  const srv = await startWebhookServer({
    config: defaultWebhookConfig(),
    view: staticClusterView(benchObjects(setup.ingressCount)),
    tls: setup.tls,
    metrics: createWebhookMetrics({ processMetrics: false }),
  });
  process.send!({ port: srv.port });
} else {
  const answer = setup.answer;
  // "bare+spin": the bare server burning a fixed CPU time per request (--spin-control), to show
  // what any extra work per request costs in this harness.
  const spinMs = kind === 'bare+spin' ? setup.spinMicros! / 1000 : 0;
  const server = https.createServer({ key: setup.tls.key, cert: setup.tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      if (spinMs > 0) for (const until = performance.now() + spinMs; performance.now() < until;);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
}
process.on('disconnect', () => process.exit(0));
// CPU time is the figure that survives a busy machine: the parent asks before and after each run.
process.on('message', (m: any) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send!({ cpuMicros: u.user + u.system });
  }
});
