// Generators of mangled AdmissionReview bodies for the fuzz test: valid seeds of every checked kind,
// edited at random paths, truncated, or replaced by arbitrary text.
import fc from 'fast-check';
import { admissionReview, CERTIFICATE_KIND, CLUSTER_ISSUER_KIND, INGRESS_KIND, ISSUER_KIND } from './admission.ts';
import { certificate, http01Acme, ingress } from '../../webhook/rules/fixtures.test-data.ts';

export const seeds = [
  admissionReview(
    INGRESS_KIND,
    ingress(
      'web',
      {
        rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80 } } } }] } }],
        tls: [{ hosts: ['a.example.com', '*.example.com'], secretName: 'taken-by-ingress' }],
      },
      { 'cert-manager.io/cluster-issuer': 'le-prod' },
    ),
    { namespace: 'apps' },
  ),
  admissionReview(INGRESS_KIND, ingress('plain', { rules: [{ host: 'b.example.com' }] }), {
    namespace: 'shop',
    operation: 'UPDATE',
    oldObject: ingress('plain', {}),
  }),
  admissionReview(
    CERTIFICATE_KIND,
    certificate('c', {
      secretName: 's',
      dnsNames: ['a.example.com'],
      duration: '2h',
      renewBefore: '1h',
      privateKey: { algorithm: 'ECDSA', size: 384 },
      issuerRef: { name: 'le-prod', kind: 'ClusterIssuer' },
      keystores: { jks: {} },
    }),
    { namespace: 'apps' },
  ),
  admissionReview(ISSUER_KIND, { metadata: { name: 'i', namespace: 'apps' }, spec: http01Acme }, { namespace: 'apps' }),
  admissionReview(CLUSTER_ISSUER_KIND, { metadata: { name: 'ci' }, spec: { ...http01Acme, ca: { secretName: 'x' } } }),
];

type Path = Array<string | number>;
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
}

function mangle(doc: unknown, edits: Array<{ pick: number; del: boolean; value: unknown }>): unknown {
  let out = structuredClone(doc);
  for (const e of edits) {
    const all = paths(out);
    const path = all[e.pick % all.length];
    if (path.length === 0) {
      out = e.value;
      continue;
    }
    let parent: any = out;
    for (const p of path.slice(0, -1)) parent = parent[p];
    const key = path[path.length - 1];
    if (e.del && !Array.isArray(parent)) delete parent[key];
    else parent[key] = e.value;
  }
  return out;
}

const editArb = fc.record({
  pick: fc.nat(),
  del: fc.boolean(),
  value: fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.string(),
    fc.constantFrom(null, '', 0, -1, 1e308, [], {}, 'CREATE', 'UPDATE', 'Ingress', '*.', 'cert-manager.io', 'a'.repeat(300)),
  ),
});
export const bodyArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom(...seeds), fc.array(editArb, { minLength: 1, maxLength: 6 }))
      .map(([seed, edits]) => JSON.stringify(mangle(seed, edits))),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([seed, cut]) => {
      const s = JSON.stringify(seed);
      return s.slice(0, cut % s.length);
    }),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })) },
);
