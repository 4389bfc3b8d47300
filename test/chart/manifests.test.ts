// deploy/ is generated from the chart by `make manifests`; this fails when someone changes the
// chart (or the CRDs) and forgets to regenerate, so `kubectl apply -f deploy/certgate.yaml`
// always installs what `helm install` would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deployManifestPath, deployRulesPath, renderAlertRules, renderDeployManifest } from '../../scripts/render-manifests.ts';
import { parseManifests } from './render.ts';

const stale = 'is out of date with charts/certgate: run `make manifests` and commit the result';

test('deploy/certgate.yaml matches the chart', () => {
  const committed = readFileSync(deployManifestPath, 'utf8');
  assert.ok(committed === renderDeployManifest(), `deploy/certgate.yaml ${stale}`);
  const objects = parseManifests(committed);
  assert.equal(objects[0].kind, 'Namespace', 'the namespace comes first so kubectl apply can create the rest');
  // Schema validation of the same rendering is in chart.test.ts (default values).
});

test('deploy/prometheus-rules.yaml matches the chart', () => {
  const committed = readFileSync(deployRulesPath, 'utf8');
  assert.ok(committed.endsWith(renderAlertRules()), `deploy/prometheus-rules.yaml ${stale}`);
});
