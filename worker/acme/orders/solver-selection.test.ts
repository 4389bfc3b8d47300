import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectSolver, type SolverQuery } from './solver-selection.ts';
import type { ACMEChallengeSolver } from '../../../api/types.generated.ts';

const http = (selector?: ACMEChallengeSolver['selector'], cls = 'nginx'): ACMEChallengeSolver => ({ http01: { ingress: { ingressClassName: cls } }, selector });
const dns = (selector?: ACMEChallengeSolver['selector']): ACMEChallengeSolver => ({ dns01: { rfc2136: { nameserver: '127.0.0.1:53' } }, selector });
const q = (dnsName: string, extra: Partial<SolverQuery> = {}): SolverQuery => ({
  dnsName,
  wildcard: false,
  labels: {},
  offered: ['http-01', 'dns-01', 'tls-alpn-01'],
  ...extra,
});

const cases: Array<{ name: string; solvers: ACMEChallengeSolver[]; query: SolverQuery; want: number | undefined }> = [
  { name: 'no solvers', solvers: [], query: q('a.example.test'), want: undefined },
  { name: 'single default solver', solvers: [http()], query: q('a.example.test'), want: 0 },
  { name: 'first of two defaults wins', solvers: [http(undefined, 'a'), http(undefined, 'b')], query: q('a.example.test'), want: 0 },
  { name: 'wildcard skips HTTP-01', solvers: [http(), dns()], query: q('example.test', { wildcard: true }), want: 1 },
  { name: 'wildcard with only HTTP-01 has no solver', solvers: [http()], query: q('example.test', { wildcard: true }), want: undefined },
  { name: 'dnsNames match beats default', solvers: [http(), dns({ dnsNames: ['a.example.test'] })], query: q('a.example.test'), want: 1 },
  { name: 'dnsNames non-match excludes', solvers: [dns({ dnsNames: ['b.example.test'] })], query: q('a.example.test'), want: undefined },
  {
    name: 'wildcard dnsNames entry matches *.name',
    solvers: [http(), dns({ dnsNames: ['*.example.test'] })],
    query: q('example.test', { wildcard: true }),
    want: 1,
  },
  {
    name: 'dnsNames beats dnsZones',
    solvers: [dns({ dnsZones: ['a.example.test'] }), http({ dnsNames: ['a.example.test'] })],
    query: q('a.example.test'),
    want: 1,
  },
  {
    name: 'longest zone wins',
    solvers: [dns({ dnsZones: ['example.test'] }), http({ dnsZones: ['sub.example.test'] })],
    query: q('x.sub.example.test'),
    want: 1,
  },
  { name: 'zone must be a suffix on a label boundary', solvers: [dns({ dnsZones: ['ample.test'] })], query: q('example.test'), want: undefined },
  { name: 'zone matches its apex', solvers: [http(), dns({ dnsZones: ['example.test'] })], query: q('example.test'), want: 1 },
  {
    name: 'matchLabels must all match',
    solvers: [dns({ matchLabels: { a: '1', b: '2' } })],
    query: q('x.example.test', { labels: { a: '1' } }),
    want: undefined,
  },
  { name: 'matchLabels beats default', solvers: [http(), dns({ matchLabels: { team: 'x' } })], query: q('x.example.test', { labels: { team: 'x' } }), want: 1 },
  {
    name: 'more labels wins at equal zone',
    solvers: [dns({ dnsZones: ['example.test'], matchLabels: { a: '1' } }), http({ dnsZones: ['example.test'], matchLabels: { a: '1', b: '2' } })],
    query: q('x.example.test', { labels: { a: '1', b: '2' } }),
    want: 1,
  },
  {
    name: 'zone beats labels-only',
    solvers: [http({ matchLabels: { a: '1' } }), dns({ dnsZones: ['example.test'] })],
    query: q('x.example.test', { labels: { a: '1' } }),
    want: 1,
  },
  {
    name: 'type not offered is skipped',
    solvers: [dns({ dnsNames: ['a.example.test'] }), http()],
    query: q('a.example.test', { offered: ['http-01'] }),
    want: 1,
  },
  { name: 'solver with both http01 and dns01 is invalid', solvers: [{ http01: {}, dns01: {} }], query: q('a.example.test'), want: undefined },
];

for (const c of cases) {
  test(`selectSolver: ${c.name}`, () => {
    assert.equal(selectSolver(c.solvers, c.query)?.index, c.want);
  });
}
