import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covers, dnsNameProblem, emailProblem } from './identity-syntax.ts';

test('dns names: valid and invalid', () => {
  for (const ok of ['example.com', 'a-b.example.com', '*.example.com', 'xn--bcher-kva.example']) assert.equal(dnsNameProblem(ok), undefined, ok);
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['a.*.example.com', /leftmost/],
    ['*.com', /two labels/],
    ['-a.example.com', /not start or end/],
    ['a.example.com.', /end with a dot/],
    ['10.0.0.1', /IP address/],
    [`${'a'.repeat(64)}.com`, /longer than 63/],
    ['EXAMPLE.com', /lower case/],
  ];
  for (const [name, why] of bad) assert.match(dnsNameProblem(name) ?? '', why, name);
});

test('wildcards cover exactly one label', () => {
  assert.equal(covers('*.example.com', 'a.example.com'), true);
  assert.equal(covers('*.example.com', 'a.b.example.com'), false);
  assert.equal(covers('*.example.com', 'example.com'), false);
  assert.equal(covers('a.example.com', 'a.example.com'), true);
});

test('e-mail addresses', () => {
  assert.equal(emailProblem('ops+certs@example.com'), undefined);
  for (const bad of ['ops', '@example.com', 'ops@', 'a b@example.com', 'ops@localhost', 'ops@exa_mple.com']) assert.ok(emailProblem(bad), bad);
});
