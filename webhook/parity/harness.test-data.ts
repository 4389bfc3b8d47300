// Runs cert-manager's validation cases, carried over as facts, through what a user's kubectl apply
// meets in certgate: the CRD schema (as the API server checks it, unknown fields refused as with
// kubectl's strict field validation) and then the real validating webhook handler in enforce mode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCrds } from '../../api/crds.test-support.ts';
import { createSchemaChecker } from '../../api/schema-validate.test-support.ts';
import { handleValidate } from '../admission/handlers.ts';
import type { AdmissionRequest } from '../admission/review.ts';
import { staticClusterView } from '../cluster-view.ts';
import type { RuleId } from '../rules/ids.ts';

export type Outcome = 'accepted' | 'refused';

export interface ParityCase {
  /** cert-manager's case name, as in its test table. */
  readonly name: string;
  readonly object: Record<string, unknown>;
  /** For UPDATE cases: the stored object. */
  readonly old?: Record<string, unknown>;
  readonly subResource?: 'status';
  /** What cert-manager's webhook does with it. */
  readonly certManager: Outcome;
  /** Where certgate deliberately differs: its outcome and the documented rule that decides it. */
  readonly differs?: { readonly rule: RuleId | 'crd-schema' | 'controller-owned-objects'; readonly why: string };
  /** A text the denial must contain, so a refusal is refused for the same reason (field path). */
  readonly refusedAt?: string;
}

export interface ParityTable {
  /** cert-manager's test file the cases come from. */
  readonly source: string;
  readonly cases: readonly ParityCase[];
}

const schemaCheck = createSchemaChecker(loadCrds());
const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
const view = staticClusterView({
  clusterIssuers: [{ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'name' }, spec: { selfSigned: {} }, status: ready }],
  namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }],
});
const config = {
  mode: 'enforce' as const,
  disabledRules: new Set<RuleId>(),
  transparentTls: false,
  productionLabel: { key: 'certgate.io/environment', value: 'production' },
};

interface Verdict {
  outcome: Outcome;
  /** Denial message or schema errors. */
  reason: string;
  rules: string[];
}

/** What certgate does with the case: schema first (the API server), then the webhook. */
export function certgateVerdict(c: ParityCase): Verdict {
  const obj = c.object as { apiVersion: string; kind: string; metadata?: { namespace?: string; name?: string } };
  const schema = schemaCheck(obj.kind, obj);
  if (!schema.valid || schema.pruned.length > 0) {
    return { outcome: 'refused', reason: [...schema.errors, ...schema.pruned.map((p) => `${p}: unknown field`)].join('; '), rules: ['crd-schema'] };
  }
  const [group, version] = obj.apiVersion.split('/');
  const req: AdmissionRequest & { subResource?: string } = {
    uid: 'parity',
    kind: { group, version, kind: obj.kind },
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name,
    operation: c.old ? 'UPDATE' : 'CREATE',
    object: c.object,
    oldObject: c.old,
    ...(c.subResource ? { subResource: c.subResource } : {}),
  };
  const { response, outcomes } = handleValidate(req, { view, config });
  return {
    outcome: response.allowed ? 'accepted' : 'refused',
    reason: response.status?.message ?? '',
    rules: outcomes.filter((o) => o.result === 'denied').map((o) => o.rule),
  };
}

interface Counts {
  cases: number;
  same: number;
  different: number;
}

export function countTable(table: ParityTable): Counts {
  const different = table.cases.filter((c) => c.differs).length;
  return { cases: table.cases.length, same: table.cases.length - different, different };
}

/** One node:test per case: certgate's outcome is cert-manager's, or the opposite for the named rule. */
export function runParityTable(table: ParityTable): void {
  const names = new Set<string>();
  for (const c of table.cases) {
    assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
    names.add(c.name);
    const expected: Outcome = c.differs ? (c.certManager === 'accepted' ? 'refused' : 'accepted') : c.certManager;
    const label = c.differs ? `cert-manager ${c.certManager}, certgate ${expected} by [${c.differs.rule}]` : `both ${expected}`;
    test(`${table.source}: ${c.name} (${label})`, () => {
      const verdict = certgateVerdict(c);
      assert.equal(verdict.outcome, expected, `certgate ${verdict.outcome}: ${verdict.reason || 'no finding'}`);
      if (c.differs && expected === 'refused' && c.differs.rule !== 'controller-owned-objects')
        assert.ok(verdict.rules.includes(c.differs.rule), `refused by ${verdict.rules.join(', ')}, not by the named rule ${c.differs.rule}: ${verdict.reason}`);
      if (c.refusedAt) assert.ok(verdict.reason.includes(c.refusedAt), `the refusal should name ${c.refusedAt}: ${verdict.reason}`);
    });
  }
}
