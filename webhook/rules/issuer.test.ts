import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFinding } from './ids.ts';
import { validateIssuer } from './issuer.ts';

const LE = 'https://acme-v02.api.letsencrypt.org/directory';
const acme = (over: Record<string, unknown> = {}) => ({
  acme: {
    server: LE,
    email: 'ops@example.com',
    privateKeySecretRef: { name: 'le-account' },
    solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
    ...over,
  },
});
const run = (spec: unknown, kind: 'Issuer' | 'ClusterIssuer' = 'ClusterIssuer') => validateIssuer(kind, { metadata: { name: 'le' }, spec });

test('issuer rules: correct issuers have no findings', () => {
  assert.deepEqual(run(acme()), []);
  assert.deepEqual(
    run(acme({ server: 'https://acme-staging-v02.api.letsencrypt.org/directory', solvers: [{ dns01: { rfc2136: { nameserver: '1.2.3.4' } } }] })),
    [],
  );
  assert.deepEqual(run(acme({ server: 'https://pebble.local:14000/dir', skipTLSVerify: true })), [], 'skipTLSVerify against a private CA is fine');
  assert.deepEqual(run({ selfSigned: {} }, 'Issuer'), []);
  const route53 = {
    role: 'arn:aws:iam::123456789012:role/dns',
    auth: { kubernetes: { serviceAccountRef: { name: 'route53', audiences: ['sts.amazonaws.com'] } } },
  };
  assert.deepEqual(run(acme({ solvers: [{ dns01: { route53 } }] }), 'Issuer'), [], 'Route53 with a ServiceAccount token and a role');
  assert.deepEqual(run({ ca: { secretName: 'root' } }, 'Issuer'), []);
});

const cases: Array<{ name: string; spec: unknown; rule: string; field: string; severity?: string; text: RegExp }> = [
  { name: 'no type', spec: {}, rule: 'issuer-type-count', field: 'spec', text: /set exactly one issuer type/ },
  { name: 'two types', spec: { ...acme(), selfSigned: {} }, rule: 'issuer-type-count', field: 'spec', text: /sets acme and selfSigned/ },
  {
    name: 'http server',
    spec: acme({ server: 'http://acme-v02.api.letsencrypt.org/directory' }),
    rule: 'acme-server-invalid',
    field: 'spec.acme.server',
    text: /must be the https URL of an ACME directory/,
  },
  {
    name: 'LE URL without /directory',
    spec: acme({ server: 'https://acme-v02.api.letsencrypt.org/' }),
    rule: 'acme-server-invalid',
    field: 'spec.acme.server',
    text: /did you mean https:\/\/acme-v02\.api\.letsencrypt\.org\/directory/,
  },
  {
    name: 'LE staging v1 URL',
    spec: acme({ server: 'https://acme-staging.api.letsencrypt.org/directory' }),
    rule: 'acme-server-invalid',
    field: 'spec.acme.server',
    text: /did you mean https:\/\/acme-staging-v02\.api\.letsencrypt\.org\/directory/,
  },
  { name: 'bad email', spec: acme({ email: 'ops at example.com' }), rule: 'acme-email-invalid', field: 'spec.acme.email', text: /not an e-mail address/ },
  {
    name: 'no account key secret',
    spec: acme({ privateKeySecretRef: {} }),
    rule: 'acme-private-key-secret-missing',
    field: 'spec.acme.privateKeySecretRef.name',
    text: /name the Secret that stores the ACME account key/,
  },
  {
    name: 'solver with both types',
    spec: acme({ solvers: [{ http01: { ingress: {} }, dns01: { rfc2136: { nameserver: 'x' } } }] }),
    rule: 'acme-solver-invalid',
    field: 'spec.acme.solvers[0]',
    text: /exactly one of http01 and dns01/,
  },
  {
    name: 'solver with no type',
    spec: acme({ solvers: [{ selector: {} }] }),
    rule: 'acme-solver-invalid',
    field: 'spec.acme.solvers[0]',
    text: /needs one of http01 or dns01/,
  },
  {
    name: 'class and ingressClassName',
    spec: acme({ solvers: [{ http01: { ingress: { class: 'nginx', ingressClassName: 'nginx' } } }] }),
    rule: 'acme-solver-invalid',
    field: 'spec.acme.solvers[0].http01.ingress',
    text: /set only one of class, ingressClassName and name/,
  },
  {
    name: "skipTLSVerify against Let's Encrypt",
    spec: acme({ skipTLSVerify: true }),
    rule: 'acme-skip-tls-verify',
    field: 'spec.acme.skipTLSVerify',
    severity: 'warn',
    text: /remove skipTLSVerify/,
  },
  {
    name: 'route53 serviceAccountRef without a role',
    spec: acme({ solvers: [{ dns01: { route53: { region: 'eu-west-1', auth: { kubernetes: { serviceAccountRef: { name: 'route53' } } } } } }] }),
    rule: 'acme-solver-invalid',
    field: 'spec.acme.solvers[0].dns01.route53.role',
    text: /role \(the ARN of the role to assume with the ServiceAccount token\) with auth.kubernetes.serviceAccountRef is required/,
  },
  {
    name: 'route53 serviceAccountRef beside access keys',
    spec: acme({
      solvers: [
        {
          dns01: {
            route53: {
              role: 'arn:aws:iam::123456789012:role/dns',
              accessKeyID: 'AKIAIOSFODNN7EXAMPLE',
              secretAccessKeySecretRef: { name: 'aws', key: 'secret' },
              auth: { kubernetes: { serviceAccountRef: { name: 'route53' } } },
            },
          },
        },
      ],
    }),
    rule: 'acme-solver-invalid',
    field: 'spec.acme.solvers[0].dns01.route53.auth',
    severity: 'warn',
    text: /the access keys are not used with auth.kubernetes.serviceAccountRef/,
  },
];

for (const c of cases) {
  test(`issuer rules: ${c.name} -> [${c.rule}]`, () => {
    const findings = run(c.spec);
    const f = findings.find((x) => x.rule === c.rule);
    assert.ok(f, `expected ${c.rule}, got ${JSON.stringify(findings)}`);
    assert.equal(f.field, c.field);
    assert.equal(f.severity, c.severity ?? 'deny');
    assert.match(formatFinding(f), c.text);
  });
}
