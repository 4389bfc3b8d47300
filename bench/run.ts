// `make bench`: runs every benchmark one after another, prints one markdown section per benchmark
// (figure, baseline measured in the same run, ratio) and the machine line, and writes the same
// text to bench/results.md for the README.
//   npx tsx bench/run.ts [--quick] [--only issuance,memory,webhook,admission-cost] [--count N] [--no-ca] [--ca-burst N] [--out FILE|-]
// The scale run (10,000 Certificates, minutes) is separate: npx tsx bench/scale.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineLine } from './report.ts';

const BENCHMARKS = ['issuance', 'memory', 'webhook', 'admission-cost'] as const;
type BenchName = (typeof BENCHMARKS)[number];

const USAGE = 'usage: bench/run.ts [--quick] [--only issuance,memory,webhook,admission-cost] [--count N] [--no-ca] [--ca-burst N] [--out FILE|-]';

function parseRunArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      count: { type: 'string' },
      'no-ca': { type: 'boolean', default: false },
      'ca-burst': { type: 'string' },
      out: { type: 'string', default: fileURLToPath(new URL('./results.md', import.meta.url)) },
      help: { type: 'boolean', default: false },
    },
  });
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...BENCHMARKS];
  const unknown = only.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}: choose from ${BENCHMARKS.join(', ')}`);
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new Error(`--count must be a positive integer, got "${values.count}"`);
  const caBurst = values['ca-burst'] === undefined ? undefined : Number(values['ca-burst']);
  if (caBurst !== undefined && !(Number.isInteger(caBurst) && caBurst > 0))
    throw new Error(`--ca-burst must be a positive integer, got "${values['ca-burst']}"`);
  return { quick: values.quick, only: only as BenchName[], count, ca: !values['no-ca'], caBurst, out: values.out, help: values.help };
}

let args: ReturnType<typeof parseRunArgs>;
try {
  args = parseRunArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

// The worker and API server run in this process for the issuance benchmark; quiet their logs
// before any certgate module creates its logger (hence the dynamic imports below).
process.env.CERTGATE_LOG_LEVEL ??= 'warn';

const sections: string[] = [];
const say = (text: string) => {
  console.log(`${text}\n`);
  sections.push(text);
};

say(`## certgate benchmarks (${args.quick ? 'quick' : 'full'} run)\n\n${machineLine()}`);
for (const name of args.only) {
  const t0 = performance.now();
  process.stderr.write(`[bench] ${name}...\n`);
  if (name === 'issuance') {
    const { runIssuanceBench } = await import('./issuance.ts');
    const r = await runIssuanceBench({ count: args.count ?? (args.quick ? 5 : 20), ca: args.ca, caBurst: args.caBurst ?? (args.quick ? 50 : 500) });
    say(r.markdown);
  } else if (name === 'memory') {
    const { runMemoryBench } = await import('./memory.ts');
    const r = await runMemoryBench(args.quick ? { secrets: 500, certificates: 10 } : { secrets: 2000, certificates: 50 });
    say(r.markdown);
    const { runWorkerRssBench } = await import('./worker-rss.ts');
    say((await runWorkerRssBench({ caBurst: args.caBurst ?? (args.quick ? 50 : 500) })).markdown);
  } else if (name === 'admission-cost') {
    const { runAdmissionCostBench } = await import('./admission-cost.ts');
    const r = await runAdmissionCostBench({ requests: args.quick ? 5 : 20 });
    say(r.markdown);
  } else {
    const { runWebhookBench } = await import('./webhook.ts');
    const r = await runWebhookBench(args.quick ? { durationSeconds: 3 } : {});
    say(`### Webhook\n\n${r.markdown}`);
  }
  process.stderr.write(`[bench] ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
say(`Finished: ${machineLine()}`);

if (args.out !== '-') {
  writeFileSync(args.out, `${sections.join('\n\n')}\n`);
  process.stderr.write(`[bench] wrote ${args.out}\n`);
}
// Watches and agents that outlive their benchmark must not keep `make bench` open.
process.exit(0);
