// The verbs of the CLI as commander commands. Each action builds the context from the global
// flags, runs one verb module and returns the exit code; nothing here talks to the API directly.
// Verb modules (and the Kubernetes client and PKI libraries behind them) are imported when their
// verb runs, so `--help` and a mistyped flag answer without loading them.
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import tab from '@bomb.sh/tab/commander';
import { parseDuration } from '../api/duration.ts';
import { Resources } from '../api/resources.ts';
import type { CliContext, GlobalFlags } from './context.ts';
import type { RenewOutcome } from './renew.ts';
import type { CheckResult } from './check-api.ts';
import { CliError, type CliIo, type ExitCode } from './io.ts';
import { parseOutputFormat, printResult } from './output.ts';

type Action = (ctx: CliContext, ...args: any[]) => Promise<ExitCode>;

function durationFlag(value: string): number {
  try {
    const ms = parseDuration(value);
    if (ms < 0) throw new Error('must not be negative');
    return ms;
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
}

/** Builds the command tree. `setExit` receives each verb's exit code. */
export function buildProgram(io: CliIo, name: string, setExit: (code: ExitCode) => void): Command {
  const program = new Command(name)
    .description('certgate: inspect, renew and repair certificates managed by certgate (cert-manager compatible)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', "namespace (default: the context's namespace, else default)")
    .option('-o, --output <format>', 'output format: json or yaml (default: human text)')
    // kubectl's connection flags, applied to the kubeconfig's current context (cli/kubectl-flags.ts).
    .option('-s, --server <address>', 'the address and port of the Kubernetes API server')
    .option('--token <token>', 'bearer token for authentication to the API server')
    .option('--certificate-authority <file>', 'path to a cert file for the certificate authority')
    .option('--insecure-skip-tls-verify', "do not check the server's certificate (insecure)")
    .option('--as <user>', 'username to impersonate for the operation')
    .option('--as-group <group>', 'group to impersonate for the operation (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--request-timeout <duration>', 'how long to wait for one server request: seconds or a duration (1s, 2m); 0 waits forever (default 30s)');

  // Runs a verb with the context built from the global flags (commander passes the command last).
  const wrap =
    (action: Action) =>
    async (...args: any[]) => {
      const cmd = args[args.length - 1] as Command;
      const { buildContext } = await import('./context.ts');
      const ctx = buildContext(cmd.optsWithGlobals() as GlobalFlags, io);
      setExit(await action(ctx, ...args.slice(0, -1)));
    };

  const status = program.command('status').description('show the state of a resource and everything below it');
  status
    .command('certificate')
    .alias('cert')
    .argument('<name>', 'Certificate name')
    .description('why is this Certificate (not) Ready: conditions, Secret, request, order, challenges, events; exit 1 when not Ready')
    .action(
      wrap(async (ctx, name: string) => {
        const { gatherCertificateStatus, renderCertificateStatus } = await import('./status.ts');
        const view = await gatherCertificateStatus(ctx.client, ctx.namespace, name, ctx.io.now());
        printResult(ctx.io, ctx.output, view, (v) => renderCertificateStatus(v, ctx.io.now()));
        return view.ready ? 0 : 1;
      }),
    );
  status
    .command('certificates')
    .alias('certs')
    .description('every Certificate, soonest expiry first: Ready, expires, renews, issuer, Secret, and why one is not Ready; exit 1 when any is not Ready')
    .option('-A, --all-namespaces', 'in every namespace')
    .action(
      wrap(async (ctx, opts: { allNamespaces?: boolean }) => {
        const { listCertificates, renderCertificateList } = await import('./status-list.ts');
        const entries = await listCertificates(ctx.client, opts.allNamespaces ? undefined : ctx.namespace);
        printResult(ctx.io, ctx.output, entries, (e) => renderCertificateList(e, ctx.io.now(), !!opts.allNamespaces));
        return entries.every((e) => e.ready) ? 0 : 1;
      }),
    );

  program
    .command('renew')
    .argument('[names...]', 'Certificate names')
    .description('trigger re-issuance now (resets the failure backoff), like cmctl renew')
    .option('--all', 'renew every Certificate in the namespace')
    .option('-l, --selector <selector>', "renew the Certificates matching this label selector (supports '=', '==' and '!='), as cmctl renew -l")
    .option('-A, --all-namespaces', 'with --all or -l: in every namespace')
    .option('--wait', 'follow each Certificate until it is Ready with a new revision, or failed')
    .option('--timeout <duration>', 'how long --wait waits (Go duration)', '5m')
    .action(
      wrap(async (ctx, names: string[], opts: { all?: boolean; selector?: string; allNamespaces?: boolean; wait?: boolean; timeout: string }) => {
        const timeoutMs = durationFlag(opts.timeout);
        const { resolveTargets, secretSerial, triggerRenewal, waitForRenewal } = await import('./renew.ts');
        const targets = await resolveTargets(ctx.client, names, {
          all: !!opts.all,
          selector: opts.selector,
          allNamespaces: !!opts.allNamespaces,
          namespace: ctx.namespace,
        });
        const serialOf = (c: any) => secretSerial(ctx.client, c);
        let outcomes: RenewOutcome[] = [];
        // Like kubectl with several names: a missing one is reported and the others still go ahead.
        let missing = 0;
        for (const t of targets) {
          try {
            outcomes.push(await triggerRenewal(ctx.client, t, ctx.io.now(), serialOf));
          } catch (e) {
            if (!(e instanceof CliError)) throw e;
            ctx.io.stderr.write(`error: ${e.message}\n`);
            missing++;
          }
        }
        if (ctx.output === 'text') for (const o of outcomes) ctx.io.stdout.write(renewLine(o) + '\n');
        if (opts.wait) {
          outcomes = await Promise.all(outcomes.map((o) => waitForRenewal(ctx.client, o, { timeoutMs, now: ctx.io.now }, serialOf)));
        }
        if (ctx.output !== 'text') printResult(ctx.io, ctx.output, outcomes, () => '');
        else if (opts.wait) for (const o of outcomes) ctx.io.stdout.write(waitLine(o) + '\n');
        if (targets.length === 0) ctx.io.stderr.write('no Certificates found\n');
        return missing === 0 && outcomes.every((o) => !o.result || o.result === 'ready') ? 0 : 1;
      }),
    );

  for (const decision of ['Approved', 'Denied'] as const) {
    const verb = decision === 'Approved' ? 'approve' : 'deny';
    program
      .command(verb)
      .argument('<name>', 'CertificateRequest name')
      .description(
        decision === 'Approved'
          ? 'mark a CertificateRequest as Approved, so its issuer may sign it (as cmctl approve)'
          : 'mark a CertificateRequest as Denied, so it is never signed (as cmctl deny)',
      )
      .option('--reason <reason>', `who ${verb === 'approve' ? 'approved' : 'denied'} it (the condition's reason)`, 'KubectlCertManager')
      .option(
        '--message <message>',
        `why it is ${decision.toLowerCase()} (the condition's message)`,
        `manually ${decision.toLowerCase()} by "${name.split(' ').pop()}"`,
      )
      .action(
        wrap(async (ctx, crName: string, opts: { reason: string; message: string }) => {
          const { decideRequest } = await import('./approval.ts');
          const cr = await decideRequest(ctx.client, ctx.namespace, crName, decision, opts.reason, opts.message, ctx.io.now());
          printResult(ctx.io, ctx.output, cr, () => `${decision} CertificateRequest '${ctx.namespace}/${crName}'`);
          return 0;
        }),
      );
  }

  program
    .command('version')
    .description(
      'print the CLI version and the certgate installed in the cluster (its CRDs and Deployments), as cmctl version; exit 1 when the installed version cannot be told',
    )
    .option('--client', 'the CLI version only (no cluster needed)')
    .option('--short', 'version numbers only')
    .action(async (opts: { client?: boolean; short?: boolean }, cmd: Command) => {
      const { clientVersion, renderVersion, serverVersion } = await import('./version.ts');
      const flags = cmd.optsWithGlobals() as GlobalFlags;
      const data: { clientVersion: ReturnType<typeof clientVersion>; serverVersion?: Awaited<ReturnType<typeof serverVersion>> } = {
        clientVersion: clientVersion(),
      };
      let output = parseOutputFormat(flags.output);
      if (!opts.client) {
        const { buildContext } = await import('./context.ts');
        const ctx = buildContext(flags, io);
        output = ctx.output;
        data.serverVersion = await serverVersion(ctx.client);
      }
      printResult(io, output, data, (d) => renderVersion(d, !!opts.short));
      for (const p of data.serverVersion?.problems ?? []) io.stderr.write(`error: ${p}\n`);
      setExit(data.serverVersion && !data.serverVersion.detected ? 1 : 0);
    });

  program
    .command('check')
    .description('check that certgate is usable')
    .command('api')
    .description('succeed only when the CRDs are served, the webhook answers and a worker holds its lease')
    .option('--wait <duration>', 'keep checking until it succeeds or this much time passed (Go duration)', '0s')
    .option('--interval <duration>', 'time between checks with --wait', '2s')
    .option('--certgate-namespace <namespace>', "namespace certgate runs in (the worker's Lease)", 'certgate')
    .option('--lease-name <name>', "name of the worker's leader election Lease", 'certgate-worker')
    .action(
      wrap(async (ctx, opts: { wait: string; interval: string; certgateNamespace: string; leaseName: string }) => {
        const waitMs = durationFlag(opts.wait);
        const { checkApi } = await import('./check-api.ts');
        const intervalMs = Math.max(100, durationFlag(opts.interval));
        const deadline = ctx.io.now() + waitMs;
        let results: CheckResult[];
        for (;;) {
          results = await checkApi(ctx.client, {
            namespace: ctx.namespace,
            leaseNamespace: opts.certgateNamespace,
            leaseName: opts.leaseName,
            now: ctx.io.now,
          });
          if (results.every((r) => r.ok) && results.length === 3) break;
          if (ctx.io.now() + intervalMs > deadline) break;
          await new Promise((r) => setTimeout(r, intervalMs));
        }
        const ok = results.length === 3 && results.every((r) => r.ok);
        printResult(ctx.io, ctx.output, { ready: ok, checks: results }, (d) =>
          [
            ...d.checks.map((r) => `${r.ok ? 'OK  ' : 'FAIL'}  ${r.name}: ${r.message}`),
            ok ? 'The certgate API is ready' : 'The certgate API is NOT ready',
          ].join('\n'),
        );
        return ok ? 0 : 1;
      }),
    );

  program
    .command('inspect')
    .description('decode and check a resource')
    .command('secret')
    .argument('<name>', 'Secret name')
    .description('decode a TLS Secret: names, issuer, serial, validity, key, chain order and verification against ca.crt; exit 1 when it has problems')
    .action(
      wrap(async (ctx, name: string) => {
        const { inspectSecret, renderSecretInspection } = await import('./inspect.ts');
        const r = await inspectSecret(ctx.client, ctx.namespace, name, ctx.io.now());
        printResult(ctx.io, ctx.output, r, renderSecretInspection);
        return r.problems.length ? 1 : 0;
      }),
    );

  program
    .command('import')
    .description('load a certificate obtained by hand into a Secret (manual contingency when automation is down)')
    .requiredOption('--secret <name>', 'Secret to write (kubernetes.io/tls)')
    .requiredOption('--cert <file>', 'PEM certificate chain, leaf first')
    .requiredOption('--key <file>', 'PEM private key of the leaf')
    .option('--ca <file>', 'PEM CA certificate(s) the chain must verify to; stored as ca.crt')
    .option('--force', 'import even when checks fail (each failure is printed as a warning)')
    .option('--dry-run', 'run every check and show what would be written, without writing')
    .option(
      '--keep-issuing',
      'let an issuance in progress for the Certificate continue (by default it is stopped, so it does not replace the imported certificate)',
    )
    .action(
      wrap(async (ctx, opts: { secret: string; cert: string; key: string; ca?: string; force?: boolean; dryRun?: boolean; keepIssuing?: boolean }) => {
        const { applyImport, planImport, stopIssuance } = await import('./import.ts');
        const plan = await planImport(ctx.client, {
          namespace: ctx.namespace,
          secretName: opts.secret,
          certPem: readInput(opts.cert, '--cert'),
          keyPem: readInput(opts.key, '--key'),
          caPem: opts.ca === undefined ? undefined : readInput(opts.ca, '--ca'),
          nowMs: ctx.io.now(),
        });
        for (const w of plan.warnings) ctx.io.stderr.write(`warning: ${w}\n`);
        if (plan.problems.length && !opts.force) {
          throw new CliError(
            `refusing to import into Secret ${ctx.namespace}/${opts.secret}:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}\n(fix the files, or use --force to import anyway)`,
          );
        }
        if (plan.problems.length) {
          ctx.io.stderr.write(
            `\n!!! WARNING: --force: importing DESPITE ${plan.problems.length} failed check(s):\n${plan.problems.map((p) => `!!!   - ${p}`).join('\n')}\n\n`,
          );
        }
        const summary = {
          secret: `${ctx.namespace}/${opts.secret}`,
          action: plan.action,
          serial: plan.serial,
          notAfter: plan.notAfter,
          certificate: plan.owner?.metadata.name,
          forced: plan.problems,
          warnings: plan.warnings,
          dryRun: !!opts.dryRun,
          stoppedIssuance: false,
        };
        if (!opts.dryRun) {
          await applyImport(ctx.client, plan);
          if (plan.owner && !opts.keepIssuing) summary.stoppedIssuance = await stopIssuance(ctx.client, plan.owner);
          const { createEventRecorder } = await import('../lib/events.ts');
          const { pino, destination } = await import('pino');
          // A lost Event is only logged by the recorder: to stderr here, so -o json stays parseable.
          const log = pino({ name: 'certgate-cli', level: 'warn' }, destination({ fd: 2, sync: true }));
          const recorder = createEventRecorder({ client: ctx.client, component: 'certgate-cli', log });
          const target = plan.owner ?? { apiVersion: 'v1', kind: 'Secret', metadata: { name: opts.secret, namespace: ctx.namespace } };
          const msg = `Certificate serial ${plan.serial} (not after ${plan.notAfter}) imported by hand into Secret ${opts.secret} with certgate import`;
          if (plan.problems.length) recorder.event(target, 'Warning', 'ForcedImport', `${msg} despite: ${plan.problems.join('; ')}`);
          else recorder.event(target, 'Normal', 'ManuallyImported', msg);
          await recorder.flush();
        }
        printResult(
          ctx.io,
          ctx.output,
          summary,
          (d) =>
            `${d.dryRun ? '(dry run) would have ' : ''}${d.action === 'create' ? 'created' : 'updated'} Secret ${d.secret} with certificate serial ${d.serial}, valid until ${d.notAfter}` +
            (d.stoppedIssuance ? `\nstopped the issuance in progress for Certificate ${d.certificate} (removed its Issuing condition)` : '') +
            (d.certificate ? `\nCertificate ${d.certificate} will see it as its current certificate and renew it at its normal renewal time` : ''),
        );
        return 0;
      }),
    );

  program
    .command('create')
    .description('create a resource')
    .command('certificaterequest')
    .alias('cr')
    .argument('[name]', "CertificateRequest name (default: the Certificate's name)")
    .description(
      'issue once from a Certificate manifest without the controller loop: writes the private key, and with --fetch-certificate the certificate, to files',
    )
    .requiredOption('--from-certificate-file <file>', 'YAML or JSON file holding one cert-manager.io/v1 Certificate')
    .option('--fetch-certificate', 'wait until the CertificateRequest is issued and write the certificate file')
    .option('--timeout <duration>', 'how long --fetch-certificate waits (Go duration)', '5m')
    .option('--output-key-file <file>', 'where to write the private key (default: NAME.key)')
    .option('--output-certificate-file <file>', 'where to write the certificate chain (default: NAME.crt)')
    .action(
      wrap(
        async (
          ctx,
          nameArg: string | undefined,
          opts: { fromCertificateFile: string; fetchCertificate?: boolean; timeout: string; outputKeyFile?: string; outputCertificateFile?: string },
        ) => {
          const timeoutMs = durationFlag(opts.timeout);
          const { buildRequest, parseCertificateManifest, waitForIssued, writeOutput } = await import('./create-request.ts');
          const cert = parseCertificateManifest(readInput(opts.fromCertificateFile, '--from-certificate-file'), opts.fromCertificateFile);
          const name = nameArg ?? cert.metadata?.name;
          if (!name) throw new CliError('give a CertificateRequest name: the manifest has no metadata.name');
          const namespace = ctx.namespaceFromFlag ? ctx.namespace : cert.metadata?.namespace || ctx.namespace;
          const keyFile = opts.outputKeyFile ?? `${name}.key`;
          const certFile = opts.outputCertificateFile ?? `${name}.crt`;
          for (const f of opts.fetchCertificate ? [keyFile, certFile] : [keyFile]) {
            if (existsSync(f)) throw new CliError(`${f} already exists: remove it or choose another path`);
          }
          const { request, keyPem } = await buildRequest({ name, namespace, certificate: cert });
          writeOutput(keyFile, keyPem, true); // before the request exists, so a signed certificate never lacks its key
          await ctx.client.create(Resources.CertificateRequest, request);
          const result: Record<string, string> = { certificateRequest: `${namespace}/${name}`, privateKeyFile: keyFile };
          if (ctx.output === 'text') ctx.io.stdout.write(`CertificateRequest ${namespace}/${name} created; private key written to ${keyFile}\n`);
          if (opts.fetchCertificate) {
            const pem = await waitForIssued(ctx.client, namespace, name, { timeoutMs, now: ctx.io.now });
            writeOutput(certFile, pem, false);
            result.certificateFile = certFile;
            if (ctx.output === 'text') ctx.io.stdout.write(`CertificateRequest ${namespace}/${name} issued; certificate written to ${certFile}\n`);
          }
          if (ctx.output !== 'text') printResult(ctx.io, ctx.output, result, () => '');
          return 0;
        },
      ),
    );

  program.addHelpText(
    'after',
    `\ncmctl's convert is not needed: certgate serves only cert-manager.io/v1 and acme.cert-manager.io/v1, the versions
cert-manager has served since v1.0, so manifests need no conversion (older versions are refused by the API server).\n`,
  );
  // Shell completion, as cmctl completion: \`${name} completion bash|zsh|fish|powershell\` prints the script,
  // which calls the hidden \`${name} complete -- ARGS\` for suggestions. Added last: it reads the command tree.
  // As a kubectl plugin the name has a space and no script can be written for it; use certgate directly.
  if (!name.includes(' ')) tab(program, { completionCommandName: 'completion' });
  return program;
}

function readInput(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`${flag} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function renewLine(o: RenewOutcome): string {
  return o.action === 'already-issuing'
    ? `Certificate ${o.namespace}/${o.name} is already being issued; not triggered again`
    : `Manually triggered issuance of Certificate ${o.namespace}/${o.name}`;
}

function waitLine(o: RenewOutcome): string {
  const what = `Certificate ${o.namespace}/${o.name}`;
  if (o.result === 'ready') return `${what} is Ready: revision ${o.revision}, serial ${o.serial ?? '<unknown>'} (was ${o.previousSerial ?? '<none>'})`;
  if (o.result === 'failed') return `${what} issuance FAILED: ${o.message ?? ''}`;
  return `${what}: timed out waiting (revision ${o.revision ?? '<none>'}): ${o.message ?? ''}`;
}
