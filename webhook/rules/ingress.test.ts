import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFinding } from './ids.ts';
import { validateIngress } from './ingress.ts';
import { ingress, view } from './fixtures.test-data.ts';

const opts = { productionLabel: { key: 'certgate.io/environment', value: 'production' } };
const CI = { 'cert-manager.io/cluster-issuer': 'le-prod' };
const good = (host = 'a.example.com') => ({ rules: [{ host }], tls: [{ hosts: [host], secretName: 'web-tls' }] });

function run(obj: unknown) {
  return validateIngress(obj, view(), opts);
}

test('ingress rules: a correct Ingress has no findings', () => {
  assert.deepEqual(run(ingress('web', good(), CI)), []);
  assert.deepEqual(run(ingress('plain', { rules: [{ host: 'a.example.com' }] })), [], 'no tls, no issuer: nothing to say');
  assert.deepEqual(
    run(
      ingress(
        'wild',
        { rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['*.example.com'], secretName: 'w' }] },
        { 'cert-manager.io/cluster-issuer': 'le-dns' },
      ),
    ),
    [],
  );
  assert.deepEqual(run(ingress('ns', good(), { 'cert-manager.io/issuer': 'local' })), [], 'namespaced Issuer in the same namespace');
  // Shapes cert-manager accepts: a defaultBackend with tls hosts and no rules; IPs in tls.hosts
  // (they become the Certificate's ipAddresses); a tls entry without hosts (the default certificate).
  const backend = { service: { name: 'web', port: { number: 80 } } };
  assert.deepEqual(run(ingress('db', { defaultBackend: backend, tls: [{ hosts: ['a.example.com', 'b.example.com'], secretName: 'ab' }] }, CI)), []);
  assert.deepEqual(
    run(ingress('ip', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com', '10.0.0.1', '2001:db8::1'], secretName: 'ip' }] }, CI)),
    [],
  );
  assert.deepEqual(run(ingress('nohosts', { rules: [{ host: 'a.example.com' }], tls: [{ secretName: 'default-cert' }] })), []);
});

const cases: Array<{ name: string; obj: unknown; rule: string; field: string; severity?: 'deny' | 'warn'; text: RegExp }> = [
  {
    name: 'tls host without rule (typo)',
    obj: ingress('web', { rules: [{ host: 'shop.example.com' }], tls: [{ hosts: ['shop.example.com', 'shpo.example.com'], secretName: 's' }] }, CI),
    rule: 'tls-host-not-in-rules',
    field: 'spec.tls[0].hosts[1]',
    text: /"shpo\.example\.com": no rule in spec\.rules has this host/,
  },
  {
    name: 'rule host missing from tls',
    obj: ingress('web', { rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'], secretName: 's' }] }, CI),
    rule: 'rule-host-not-in-tls',
    field: 'spec.rules[1].host',
    text: /add it to spec\.tls\[\]\.hosts/,
  },
  {
    name: 'tls without secretName under an issuer annotation',
    obj: ingress('web', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com'] }] }, CI),
    rule: 'tls-secret-name-missing',
    field: 'spec.tls[0].secretName',
    severity: 'warn',
    text: /so it gets none \(the other entries do\); set secretName/,
  },
  {
    name: 'secretName used by another Ingress',
    obj: ingress('web', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com'], secretName: 'taken-by-ingress' }] }, CI),
    rule: 'secret-name-conflict',
    field: 'spec.tls[0].secretName',
    text: /Ingress "other" also requests a certificate into this Secret/,
  },
  {
    name: 'secretName written by a Certificate',
    obj: ingress('web', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com'], secretName: 'taken-by-cert' }] }, CI),
    rule: 'secret-name-conflict',
    field: 'spec.tls[0].secretName',
    severity: 'warn',
    text: /Certificate "explicit" already writes this Secret and is not this Ingress's; it is left alone/,
  },
  {
    name: 'wildcard with an HTTP-01-only issuer',
    obj: ingress('web', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['*.example.com'], secretName: 's' }] }, CI),
    rule: 'wildcard-needs-dns01',
    field: 'spec.tls[0].hosts[0]',
    text: /only has HTTP-01 solvers.*add a dns01 solver/,
  },
  {
    name: 'missing ClusterIssuer',
    obj: ingress('web', good(), { 'cert-manager.io/cluster-issuer': 'letsencrypt-prd' }),
    rule: 'issuer-not-found',
    field: 'metadata.annotations["cert-manager.io/cluster-issuer"]',
    severity: 'warn',
    text: /no ClusterIssuer named "letsencrypt-prd" exists yet; the certificate waits/,
  },
  {
    name: 'missing Issuer in the namespace',
    obj: ingress('web', good(), { 'cert-manager.io/issuer': 'le-prod' }),
    rule: 'issuer-not-found',
    field: 'metadata.annotations["cert-manager.io/issuer"]',
    severity: 'warn',
    text: /no Issuer named "le-prod" exists in namespace "apps" yet/,
  },
  {
    name: 'issuer not Ready warns',
    obj: ingress('web', good(), { 'cert-manager.io/cluster-issuer': 'broken' }),
    rule: 'issuer-not-ready',
    field: 'metadata.annotations["cert-manager.io/cluster-issuer"]',
    severity: 'warn',
    text: /is not Ready \(account registration failed: 403\)/,
  },
  {
    name: 'both issuer annotations',
    obj: ingress('web', good(), { 'cert-manager.io/cluster-issuer': 'le-prod', 'cert-manager.io/issuer': 'local' }),
    rule: 'issuer-annotation-conflict',
    field: 'metadata.annotations',
    text: /set only one of cert-manager\.io\/issuer and cert-manager\.io\/cluster-issuer/,
  },
  {
    name: 'invalid host',
    obj: ingress('web', { rules: [{ host: 'Shop_1.example.com' }] }),
    rule: 'invalid-dns-name',
    field: 'spec.rules[0].host',
    text: /must be lower case/,
  },
  {
    name: 'invalid tls host label',
    obj: ingress('web', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a..example.com'], secretName: 's' }] }),
    rule: 'invalid-dns-name',
    field: 'spec.tls[0].hosts[0]',
    text: /empty label/,
  },
  {
    name: 'first host too long for the CN',
    obj: ingress('web', good(`${'a'.repeat(60)}.example.com`), CI),
    rule: 'common-name-too-long',
    field: 'spec.tls[0].hosts[0]',
    text: /at most 64 bytes \(this one has 72\)/,
  },
  {
    name: 'duplicate host across tls entries',
    obj: ingress('web', {
      rules: [{ host: 'a.example.com' }],
      tls: [
        { hosts: ['a.example.com'], secretName: 's1' },
        { hosts: ['a.example.com'], secretName: 's2' },
      ],
    }),
    rule: 'duplicate-host',
    field: 'spec.tls[1].hosts[0]',
    text: /already listed at spec\.tls\[0\]\.hosts\[0\]/,
  },
  {
    name: 'tls entry without hosts under an issuer annotation',
    obj: ingress('web', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com'], secretName: 'a' }, { secretName: 'b' }] }, CI),
    rule: 'tls-hosts-missing',
    field: 'spec.tls[1].hosts',
    severity: 'warn',
    text: /lists no hosts, so no certificate is made for it/,
  },
  {
    name: 'staging issuer on a production Ingress',
    obj: ingress('web', good(), { 'cert-manager.io/cluster-issuer': 'le-staging' }, { labels: { 'certgate.io/environment': 'production' } }),
    rule: 'staging-issuer-on-production',
    field: 'metadata.annotations["cert-manager.io/cluster-issuer"]',
    severity: 'warn',
    text: /browsers do not trust/,
  },
];

for (const c of cases) {
  test(`ingress rules: ${c.name} -> [${c.rule}]`, () => {
    const findings = run(c.obj);
    const f = findings.find((x) => x.rule === c.rule);
    assert.ok(f, `expected ${c.rule}, got ${JSON.stringify(findings)}`);
    assert.equal(f.field, c.field);
    assert.equal(f.severity, c.severity ?? 'deny');
    assert.match(formatFinding(f), c.text);
    assert.ok(formatFinding(f).startsWith(`[${c.rule}] ${c.field}`));
  });
}

test('ingress rules: a bad host named by a rule and a tls entry is reported once, at the rule; one only in tls at its tls entry', () => {
  const findings = run(ingress('web', { rules: [{ host: 'Shop.example.com' }], tls: [{ hosts: ['Shop.example.com', 'a..example.com'], secretName: 's' }] }));
  assert.deepEqual(
    findings.filter((f) => f.rule === 'invalid-dns-name').map((f) => [f.field, f.value]),
    [
      ['spec.rules[0].host', 'Shop.example.com'],
      ['spec.tls[0].hosts[1]', 'a..example.com'],
    ],
  );
});

test('ingress rules: staging issuer in a production namespace warns; elsewhere it does not', () => {
  const obj = ingress('web', good(), { 'cert-manager.io/cluster-issuer': 'le-staging' });
  assert.deepEqual(
    run(obj).map((f) => f.rule),
    [],
  );
  const inShop = { ...obj, metadata: { ...obj.metadata, namespace: 'shop' } };
  assert.deepEqual(
    run(inShop).map((f) => f.rule),
    ['staging-issuer-on-production'],
  );
});

test('ingress rules: the Certificate ingress-shim made for this Ingress is not a conflict', () => {
  const own = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web-tls', namespace: 'apps', ownerReferences: [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web', uid: 'u' }] },
    spec: { secretName: 'web-tls' },
  };
  const findings = validateIngress(ingress('web', good(), CI), view({ certificates: [own] }), opts);
  assert.deepEqual(findings, []);
});

test('ingress rules: garbage shapes give findings or nothing, never an exception', () => {
  for (const spec of [null, 'x', { rules: 'x', tls: 7 }, { tls: [null, { hosts: [1, null] }] }, { rules: [{ host: 42 }] }]) {
    assert.doesNotThrow(() => run(ingress('web', spec, CI)));
  }
});
