// The CRDs in charts/certgate/crds/ are structural, named like cert-manager's, consistent with
// api/resources.ts and api/unsupported.ts, and parse with kubectl.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCrds, schemaForKind, defaultCrdDirectory, type JSONSchemaProps } from './crds.test-support.ts';
import { Resources } from './resources.ts';
import { UNSUPPORTED_FIELDS, type CrdKind } from './unsupported.ts';

const crds = loadCrds();
const byKind = new Map(crds.map((c) => [c.spec.names.kind, c]));

/** Violations of Kubernetes' structural schema rules (apiextensions validation), as paths with a reason. */
function structuralErrors(schema: JSONSchemaProps, path: string): string[] {
  const errors: string[] = [];
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (!schema.type && !preserve && !schema['x-kubernetes-int-or-string']) errors.push(`${path}: no type`);
  if (schema.properties && schema.additionalProperties !== undefined) errors.push(`${path}: both properties and additionalProperties`);
  if (schema.type === 'array' && !schema.items) errors.push(`${path}: array without items`);
  if (schema.type !== 'object' && (schema.properties || schema.additionalProperties)) errors.push(`${path}: properties on a non-object`);
  for (const v of schema.enum ?? []) {
    const ok = schema.type === 'string' ? typeof v === 'string' : schema.type === 'integer' ? Number.isInteger(v) : true;
    if (!ok) errors.push(`${path}: enum value ${JSON.stringify(v)} is not a ${schema.type}`);
  }
  for (const key of schema.required ?? []) if (!schema.properties?.[key]) errors.push(`${path}: required ${key} is not a property`);
  const mapKeys = schema['x-kubernetes-list-map-keys'];
  if (mapKeys) {
    if (schema['x-kubernetes-list-type'] !== 'map') errors.push(`${path}: list-map-keys without list-type map`);
    for (const k of mapKeys) if (!schema.items?.required?.includes(k)) errors.push(`${path}: map key ${k} must be required in items`);
  }
  for (const [k, child] of Object.entries(schema.properties ?? {})) errors.push(...structuralErrors(child, `${path}.${k}`));
  if (schema.items) errors.push(...structuralErrors(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') errors.push(...structuralErrors(schema.additionalProperties, `${path}{}`));
  return errors;
}

/** The schema node at a path like "spec.acme.solvers[].dns01.route53". */
function schemaAt(root: JSONSchemaProps, path: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = root;
  for (const segment of path.split('.')) {
    const list = segment.endsWith('[]');
    node = node?.properties?.[list ? segment.slice(0, -2) : segment];
    if (list) node = node?.items;
  }
  return node;
}

/** Paths of every schema node whose description marks it as unsupported. */
function markedUnsupported(schema: JSONSchemaProps, path = ''): string[] {
  const here = path && schema.description?.includes('Not supported by certgate') ? [path] : [];
  const children = Object.entries(schema.properties ?? {}).flatMap(([k, child]) => {
    const p = path ? `${path}.${k}` : k;
    return child.type === 'array' && child.items?.properties
      ? [...markedUnsupported(child, p), ...markedUnsupported(child.items, `${p}[]`)]
      : markedUnsupported(child, p);
  });
  return [...here, ...children];
}

describe('CRD files', () => {
  it('define the six cert-manager kinds, each consistent with api/resources.ts', () => {
    assert.deepEqual([...byKind.keys()].sort(), ['Certificate', 'CertificateRequest', 'Challenge', 'ClusterIssuer', 'Issuer', 'Order']);
    for (const crd of crds) {
      const r = Resources[crd.spec.names.kind as keyof typeof Resources];
      assert.ok(r, `${crd.spec.names.kind} missing from Resources`);
      assert.equal(crd.spec.group, r.group);
      assert.equal(crd.spec.names.plural, r.plural);
      assert.equal(crd.metadata.name, `${r.plural}.${r.group}`);
      assert.equal(crd.spec.scope, r.namespaced ? 'Namespaced' : 'Cluster');
      assert.deepEqual(
        crd.spec.versions.map((v) => [v.name, v.served, v.storage]),
        [[r.version, true, true]],
      );
      assert.deepEqual(crd.spec.versions[0]!.subresources, { status: {} }, `${crd.metadata.name} status subresource`);
      assert.equal(crd.metadata.labels?.['app.kubernetes.io/name'], 'certgate');
      assert.ok(crd.spec.names.categories?.includes('cert-manager'), `${crd.metadata.name} category cert-manager`);
      assert.equal(crd.spec.names.listKind, `${crd.spec.names.kind}List`);
    }
  });

  it('use cert-manager short names', () => {
    const shortNames = Object.fromEntries(crds.map((c) => [c.spec.names.kind, c.spec.names.shortNames ?? []]));
    assert.deepEqual(shortNames, {
      Certificate: ['cert', 'certs'],
      CertificateRequest: ['cr', 'crs'],
      Issuer: ['iss'],
      ClusterIssuer: ['ciss'],
      Order: [],
      Challenge: [],
    });
  });

  const columnCases: Array<[CrdKind, string[]]> = [
    ['Certificate', ['Ready', 'Secret', 'Issuer', 'Status', 'Age']],
    ['Issuer', ['Ready', 'Status', 'Age']],
    ['ClusterIssuer', ['Ready', 'Status', 'Age']],
    ['CertificateRequest', ['Approved', 'Denied', 'Ready', 'Issuer', 'Requester', 'Status', 'Age']],
    ['Order', ['State', 'Issuer', 'Reason', 'Age']],
    ['Challenge', ['State', 'Domain', 'Reason', 'Age']],
  ];
  for (const [kind, names] of columnCases) {
    it(`${kind} printer columns are ${names.join(', ')}`, () => {
      const cols = byKind.get(kind)!.spec.versions[0]!.additionalPrinterColumns ?? [];
      assert.deepEqual(
        cols.map((c) => c.name),
        names,
      );
      const age = cols.at(-1)!;
      assert.deepEqual([age.jsonPath, age.type], ['.metadata.creationTimestamp', 'date']);
      for (const c of cols.filter((c) => c.name === 'Status')) assert.equal(c.priority, 1);
    });
  }

  it('Certificate Ready column reads the Ready condition', () => {
    const ready = byKind.get('Certificate')!.spec.versions[0]!.additionalPrinterColumns!.find((c) => c.name === 'Ready')!;
    assert.equal(ready.jsonPath, '.status.conditions[?(@.type=="Ready")].status');
  });

  for (const crd of crds) {
    it(`${crd.spec.names.kind} schema is structural`, () => {
      assert.deepEqual(structuralErrors(schemaForKind(crds, crd.spec.names.kind), crd.spec.names.kind), []);
    });
  }

  it('the conditions list is a map keyed by type with True/False/Unknown status', () => {
    for (const kind of ['Certificate', 'Issuer', 'ClusterIssuer', 'CertificateRequest']) {
      const conditions = schemaAt(schemaForKind(crds, kind), 'status.conditions')!;
      assert.equal(conditions['x-kubernetes-list-type'], 'map', kind);
      assert.deepEqual(conditions.items?.properties?.status?.enum, ['True', 'False', 'Unknown'], kind);
      assert.ok(conditions.items?.properties?.observedGeneration, `${kind} observedGeneration`);
    }
  });

  it('keep every unsupported field, preserved and described, and list every described one in api/unsupported.ts', () => {
    for (const [kind, fields] of Object.entries(UNSUPPORTED_FIELDS)) {
      const schema = schemaForKind(crds, kind);
      for (const field of fields) {
        const node = schemaAt(schema, field.path);
        assert.ok(node, `${kind} ${field.path} missing from the CRD (the API server would prune it)`);
        assert.match(node.description ?? '', /Not supported by certgate; rejected by the admission webhook/, `${kind} ${field.path}`);
        if (node.type === 'object') assert.equal(node['x-kubernetes-preserve-unknown-fields'], true, `${kind} ${field.path} must preserve unknown fields`);
        if (node.type === 'array' && node.items?.type === 'object')
          assert.equal(node.items['x-kubernetes-preserve-unknown-fields'], true, `${kind} ${field.path}[]`);
      }
      assert.deepEqual(markedUnsupported(schema).sort(), fields.map((f) => f.path).sort(), `${kind}: described as unsupported <> api/unsupported.ts`);
    }
  });

  it('keep the supported cert-manager fields that the task lists', () => {
    const expect: Array<[string, string]> = [
      ['Certificate', 'spec.renewBeforePercentage'],
      ['Certificate', 'spec.secretTemplate.labels'],
      ['Certificate', 'spec.privateKey.rotationPolicy'],
      ['Certificate', 'status.nextPrivateKeySecretName'],
      ['Certificate', 'status.failedIssuanceAttempts'],
      ['ClusterIssuer', 'spec.acme.solvers[].http01.ingress.ingressClassName'],
      ['ClusterIssuer', 'spec.acme.solvers[].dns01.rfc2136.tsigSecretSecretRef.key'],
      ['Issuer', 'spec.acme.externalAccountBinding.keySecretRef'],
      ['Issuer', 'spec.acme.profile'],
      ['Issuer', 'status.acme.lastPrivateKeyHash'],
      ['CertificateRequest', 'spec.extra'],
      ['CertificateRequest', 'status.failureTime'],
      ['Order', 'status.authorizations[].challenges[].token'],
      ['Order', 'spec.profile'],
      ['Challenge', 'spec.solver.dns01.rfc2136.nameserver'],
      ['Challenge', 'status.presented'],
    ];
    for (const [kind, path] of expect) assert.ok(schemaAt(schemaForKind(crds, kind), path), `${kind} ${path}`);
  });

  it('kubectl parses every CRD (apply --dry-run=client)', { skip: !existsSync('/usr/bin/kubectl') && 'kubectl not installed', timeout: 30_000 }, async () => {
    const server = await discoveryServer();
    const cacheDir = mkdtempSync(join(tmpdir(), 'certgate-kubectl-cache-'));
    try {
      const { port } = server.address() as AddressInfo;
      const out = await run('kubectl', [
        '--server',
        `http://127.0.0.1:${port}`,
        '--cache-dir',
        cacheDir,
        'apply',
        '--dry-run=client',
        '--validate=false',
        '-f',
        defaultCrdDirectory(),
      ]);
      for (const crd of crds)
        assert.match(out, new RegExp(`customresourcedefinition.apiextensions.k8s.io/${crd.metadata.name.replace(/\./g, '\\.')} created \\(dry run\\)`));
    } finally {
      server.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000, env: { ...process.env, KUBECONFIG: '/dev/null' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Just enough API discovery on loopback for kubectl to map CustomResourceDefinition (client dry run sends nothing). */
function discoveryServer(): Promise<Server> {
  const gv = { groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' };
  const routes: Record<string, unknown> = {
    '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0' },
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    '/api/v1': { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1', resources: [] },
    '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apiextensions.k8s.io', versions: [gv], preferredVersion: gv }] },
    '/apis/apiextensions.k8s.io/v1': {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv.groupVersion,
      resources: [
        {
          name: 'customresourcedefinitions',
          singularName: 'customresourcedefinition',
          namespaced: false,
          kind: 'CustomResourceDefinition',
          verbs: ['create', 'get', 'list', 'patch', 'update', 'delete', 'watch'],
        },
      ],
    },
  };
  const server = createServer((req, res) => {
    const body = routes[(req.url ?? '').split('?')[0]!];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
