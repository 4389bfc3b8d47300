// The README's "Migrating from cert-manager" counts are the ported tables' counts: this fails when a
// case is added, removed or reclassified without the README following.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { acmeTable } from './acme.parity.test.ts';
import { certificateTable } from './certificate.parity.test.ts';
import { certificateRequestIntegrationTable, certificateRequestTable } from './certificaterequest.parity.test.ts';
import { countTable } from './harness.test-data.ts';
import { issuerTable } from './issuer.parity.test.ts';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')
  // Table cells as one space each side, however a formatter padded them.
  .replace(/ *\| */g, ' | ');

test('README "Migrating from cert-manager" states the ported validation tables\' counts', () => {
  const tables = [certificateTable, issuerTable, certificateRequestTable, certificateRequestIntegrationTable, acmeTable];
  let total = { cases: 0, same: 0, different: 0 };
  for (const t of tables) {
    const c = countTable(t);
    total = { cases: total.cases + c.cases, same: total.same + c.same, different: total.different + c.different };
    assert.ok(
      readme.includes(`| \`${t.source}\` | ${c.cases} | ${c.same} | ${c.different} |`),
      `README row for ${t.source}: | \`${t.source}\` | ${c.cases} | ${c.same} | ${c.different} |`,
    );
  }
  assert.ok(
    readme.includes(`| validation, all | ${total.cases} | ${total.same} | ${total.different} |`),
    `README total row: | validation, all | ${total.cases} | ${total.same} | ${total.different} |`,
  );
});
