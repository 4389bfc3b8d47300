// Output helpers: format flag parsing, kubectl-style tables and ages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, parseOutputFormat, table } from './output.ts';
import { CliError } from './io.ts';

test('-o accepts json and yaml, text by default, and names the bad value', () => {
  assert.equal(parseOutputFormat(undefined), 'text');
  assert.equal(parseOutputFormat('json'), 'json');
  assert.equal(parseOutputFormat('yaml'), 'yaml');
  assert.throws(
    () => parseOutputFormat('xml'),
    (e: unknown) => e instanceof CliError && /unsupported output format "xml"/.test(e.message),
  );
});

test('table pads columns and shows <none> for empty cells', () => {
  assert.equal(
    table(
      ['NAME', 'READY'],
      [
        ['web', 'True'],
        ['a-long-name', ''],
      ],
    ),
    'NAME          READY\nweb           True\na-long-name   <none>',
  );
});

test('age uses kubectl units', () => {
  const now = Date.parse('2026-01-10T00:00:00Z');
  assert.equal(age('2026-01-09T23:59:30Z', now), '30s');
  assert.equal(age('2026-01-09T23:00:00Z', now), '60m');
  assert.equal(age('2026-01-09T12:00:00Z', now), '12h');
  assert.equal(age('2026-01-01T00:00:00Z', now), '9d');
  assert.equal(age(undefined, now), '<unknown>');
});
