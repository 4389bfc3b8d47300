// cert-manager's documentation examples (api/testdata/cert-manager-docs-examples.yaml) applied as a
// user applies them: the real `kubectl apply` (server-side field validation Strict) through the API
// server, with certgate's validating and mutating webhooks registered. Page by page: the page's
// namespaces exist, its issuers are applied first and marked Ready, then its other examples; each
// object is admitted and stored with every field it was sent with, or refused with a message naming
// exactly the rules webhook/parity/docs-examples.test-data.ts expects (the same list the in-process
// test reads). One kubectl run per round of objects, one file per object so that kubectl's error names
// it; its exit code is non-zero exactly when the round holds an example to be refused.
//
// Each page gets namespaces and ClusterIssuer names of its own for this run (a real cluster is shared,
// and pages reuse names such as letsencrypt-staging); references to a ClusterIssuer are renamed with
// it. One example is `kubectl get -o yaml` output (tutorials/certificate-defaults): the metadata the
// API server sets (uid, resourceVersion, an owner reference to an Ingress that does not exist, ...) and
// the status are left out of what is applied, as a user copying it must do with cert-manager too (a
// real API server refuses a create carrying a resourceVersion, and its garbage collector deletes an
// object whose owner does not exist). Nothing else of an example is changed. Examples of one page
// that share a kind and name are alternatives (the page shows several ways to write one issuer): they
// are applied in turn, so a later one is an update of the earlier one, as when a user edits a manifest
// and applies it again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import type { RunningWebhook } from '../../webhook/main.ts';
import { deniedRules, docsExamples, type DocsExample, type DocsExampleObject } from '../../webhook/parity/docs-examples.test-data.ts';
import { isReady, kubectlFor, waitFor, type Kubectl } from '../fixtures.ts';
import { freePort } from '../services/ports.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { CERT_MANAGER_AND_INGRESS_RULES, registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';

const KINDS: Record<string, ResourceDescriptor> = {
  Issuer: Resources.Issuer,
  ClusterIssuer: Resources.ClusterIssuer,
  Certificate: Resources.Certificate,
  CertificateRequest: Resources.CertificateRequest,
  Ingress: Resources.Ingress,
};
const isIssuer = (doc: DocsExampleObject) => doc.kind === 'Issuer' || doc.kind === 'ClusterIssuer';
const READY = {
  conditions: [{ type: 'Ready', status: 'True', reason: 'DocsExample', message: 'marked Ready by the test', lastTransitionTime: new Date().toISOString() }],
};

const pages = [...new Set(docsExamples.map((e) => e.page))];
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
/** The run's namespace for namespace `ns` of page number `p`. */
const namespaceFor = (p: number, ns = 'default') => runName(`d${p}-${slug(ns)}`);
/** The run's name for ClusterIssuer `name` of page number `p`. */
const clusterIssuerFor = (p: number, name: string) => runName(`d${p}-${name}`);

const SERVER_SET_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'ownerReferences', 'managedFields'];

/** The example as this run applies it: its page's namespace and ClusterIssuer names, without what the API server sets. */
function placed(doc: DocsExampleObject, p: number): DocsExampleObject {
  const o = structuredClone(doc) as DocsExampleObject & { spec?: { issuerRef?: { kind?: string; name: string } } };
  for (const k of SERVER_SET_METADATA) delete (o.metadata as unknown as Record<string, unknown>)[k];
  delete o.status;
  if (o.kind === 'ClusterIssuer') o.metadata.name = clusterIssuerFor(p, o.metadata.name);
  else o.metadata.namespace = namespaceFor(p, o.metadata.namespace);
  if (o.spec?.issuerRef?.kind === 'ClusterIssuer') o.spec.issuerRef.name = clusterIssuerFor(p, o.spec.issuerRef.name);
  const annotations = o.metadata.annotations as Record<string, string> | undefined;
  if (annotations?.['cert-manager.io/cluster-issuer'])
    annotations['cert-manager.io/cluster-issuer'] = clusterIssuerFor(p, annotations['cert-manager.io/cluster-issuer']);
  return o;
}

/** Rounds in which each kind and name occurs once: the first occurrence of each, then the second, ... */
function rounds(examples: DocsExample[]): DocsExample[][] {
  const out: DocsExample[][] = [];
  const seen = new Map<string, number>();
  for (const e of examples) {
    const key = `${e.doc.kind}/${e.doc.metadata.name}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    (out[n] ??= []).push(e);
  }
  return out;
}

/** Paths of `want` that `got` lacks or holds with another value (what was pruned or changed on the way in). */
function lostFields(want: unknown, got: unknown, path: string): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return [path];
    return want.flatMap((w, i) => lostFields(w, got[i], `${path}[${i}]`));
  }
  if (want && typeof want === 'object') {
    if (!got || typeof got !== 'object') return [path];
    return Object.entries(want).flatMap(([k, w]) => lostFields(w, (got as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return want === got ? [] : [path];
}

/** What kubectl's output says of one object: admitted (the line kubectl prints) or refused (its error, found by file name). */
type Verdict = { admitted: true } | { admitted: false; message: string };

function verdicts(files: string[], docs: DocsExampleObject[], stdout: string, stderr: string): Verdict[] {
  const errors = stderr.split(/^(?=error: |Error from server)/m);
  return docs.map((doc, i) => {
    const printed = new RegExp(`^${doc.kind.toLowerCase()}\\.[a-z0-9.-]+/${doc.metadata.name} (created|configured|unchanged)`, 'm');
    if (printed.test(stdout)) return { admitted: true };
    const error = errors.find((e) => e.includes(`"${files[i]}"`));
    return { admitted: false, message: error ?? `kubectl said nothing about ${files[i]}` };
  });
}

describe("cert-manager's documentation examples through kubectl apply and certgate's webhooks", { timeout: 900_000 }, () => {
  let cluster: TestCluster;
  let webhook: RunningWebhook;
  let workDir: string;
  const configName = runName('docs-certgate-webhook');
  const certgateNamespace = runName('docs-certgate');
  /** Examples seen admitted and stored whole, and refused as expected, over all pages. */
  const tally = { admitted: 0, refused: 0 };
  let kubectl: Kubectl['kubectl'];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-docs-examples-'));
    cluster = await getTestCluster();
    const namespaces = new Set<string>();
    pages.forEach((page, p) => {
      for (const e of docsExamples) if (e.page === page && e.doc.kind !== 'ClusterIssuer') namespaces.add(namespaceFor(p, e.doc.metadata.namespace));
    });
    await cluster.createNamespace(certgateNamespace);
    for (const ns of namespaces) await cluster.createNamespace(ns);
    const port = await freePort();
    await registerLocalWebhook(cluster, {
      name: configName,
      port,
      namespaces: [...namespaces],
      ...CERT_MANAGER_AND_INGRESS_RULES,
    });
    webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName, port, namespace: certgateNamespace, client: cluster.client });
    kubectl = kubectlFor(cluster.kubeconfigPath, join(workDir, 'cache')).kubectl;
  });

  after(async () => {
    await webhook?.stop();
    await cluster?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Applies one round with one kubectl process (one file per object, so kubectl's errors name the object) and checks every object. */
  async function applyRound(p: number, r: number, round: DocsExample[], stored: Set<string>): Promise<string[]> {
    const dir = join(workDir, `page${p}-round${r}`);
    mkdirSync(dir);
    const docs = round.map((e) => placed(e.doc, p));
    const files = docs.map((doc, i) => {
      const file = join(dir, `${String(i).padStart(2, '0')}-${doc.kind.toLowerCase()}-${doc.metadata.name}.yaml`);
      writeFileSync(file, stringify(doc));
      return file;
    });
    const result = await kubectl(['apply', '--validate=strict', '-f', dir]);
    const problems: string[] = [];
    const expectRefusal = round.some((e) => e.expectedRules.length > 0);
    if ((result.code !== 0) !== expectRefusal)
      problems.push(`kubectl exit code ${result.code}, expected ${expectRefusal ? 'non-zero' : '0'}: ${result.stderr}`);
    const found = verdicts(files, docs, result.stdout, result.stderr);
    for (const [i, e] of round.entries()) {
      const doc = docs[i]!;
      const what = `${doc.kind} ${e.doc.metadata.name} (${e.source})`;
      const key = `${doc.kind}/${doc.metadata.namespace ?? ''}/${doc.metadata.name}`;
      const verdict = found[i]!;
      const live = await cluster.client.get<DocsExampleObject>(KINDS[doc.kind]!, doc.metadata.namespace, doc.metadata.name);
      if (e.expectedRules.length === 0) {
        if (!verdict.admitted) {
          problems.push(`${what}: refused: ${verdict.message}`);
          continue;
        }
        stored.add(key);
        if (doc.kind === 'ClusterIssuer') cluster.track(Resources.ClusterIssuer, doc.metadata.name);
        const lost = [
          ...lostFields(doc.spec, live?.spec, 'spec'),
          ...(doc.metadata.labels ? lostFields(doc.metadata.labels, live?.metadata.labels, 'metadata.labels') : []),
          ...(doc.metadata.annotations ? lostFields(doc.metadata.annotations, live?.metadata.annotations, 'metadata.annotations') : []),
        ];
        if (lost.length) problems.push(`${what}: stored without ${lost.join(', ')}`);
        else tally.admitted++;
        continue;
      }
      if (verdict.admitted) {
        problems.push(`${what}: admitted, expected a refusal by ${e.expectedRules.join(', ')}`);
        continue;
      }
      const rules = deniedRules(verdict.message.split('denied the request: ')[1]);
      const before = problems.length;
      if (
        !verdict.message.includes('admission webhook "validate.certgate.io" denied the request') ||
        rules.sort().join() !== [...e.expectedRules].sort().join()
      )
        problems.push(`${what}: refused by [${rules.join(', ')}], expected [${e.expectedRules.join(', ')}]: ${verdict.message}`);
      for (const path of e.unsupportedPaths) if (!verdict.message.includes(path)) problems.push(`${what}: the refusal does not name ${path}`);
      if (!stored.has(key) && live) problems.push(`${what}: refused but stored`);
      if (problems.length === before) tally.refused++;
    }
    return problems;
  }

  /** Marks the page's stored issuers Ready and waits until the webhook's cache sees them so. */
  async function markIssuersReady(p: number, issuers: DocsExample[]): Promise<void> {
    for (const e of issuers) {
      const doc = placed(e.doc, p);
      const r = KINDS[doc.kind]!;
      const live = await cluster.client.get<DocsExampleObject>(r, doc.metadata.namespace, doc.metadata.name);
      if (!live || live.status) continue; // refused, or an alternative of one already Ready
      await cluster.client.replaceStatus(r, { ...live, status: READY });
    }
    for (const e of issuers) {
      const doc = placed(e.doc, p);
      if (!(await cluster.client.get(KINDS[doc.kind]!, doc.metadata.namespace, doc.metadata.name))) continue;
      await waitFor(`the webhook's cache has ${doc.kind} ${doc.metadata.name} Ready`, () => {
        const seen = doc.kind === 'Issuer' ? webhook.view.issuer(doc.metadata.namespace!, doc.metadata.name) : webhook.view.clusterIssuer(doc.metadata.name);
        return isReady(seen as Parameters<typeof isReady>[0]);
      });
    }
  }

  pages.forEach((page, p) => {
    const examples = docsExamples.filter((e) => e.page === page);
    const refused = examples.filter((e) => e.expectedRules.length > 0).length;
    test(`${page}: ${examples.length - refused} admitted and stored whole, ${refused} refused by the expected rules`, async () => {
      const issuers = examples.filter((e) => isIssuer(e.doc));
      const stored = new Set<string>();
      const problems: string[] = [];
      for (const [r, round] of rounds(issuers).entries()) problems.push(...(await applyRound(p, r, round, stored)));
      await markIssuersReady(p, issuers);
      for (const [r, round] of rounds(examples.filter((e) => !isIssuer(e.doc))).entries()) problems.push(...(await applyRound(p, 100 + r, round, stored)));
      assert.deepEqual(problems, []);
    });
  });

  test('over all pages: 72 examples admitted and stored whole, 19 refused by their rules (the README counts)', () => {
    assert.deepEqual(tally, { admitted: 72, refused: 19 });
  });
});
