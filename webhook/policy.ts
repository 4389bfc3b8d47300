// Modes: what a finding does. enforce denies (deny-severity findings), warn allows with
// AdmissionReview warnings that kubectl prints, audit allows silently and only counts in metrics.
// Per namespace the label certgate.io/tls (enforce|warn|audit|off) overrides the cluster mode.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Labels } from '../api/constants.ts';
import { formatFinding, type Finding, type RuleId } from './rules/ids.ts';
import { metaOf } from '../lib/untrusted.ts';

export const MODES = ['enforce', 'warn', 'audit'] as const;
export type Mode = (typeof MODES)[number];
export type NamespaceMode = Mode | 'off';

export const isMode = (v: unknown): v is Mode => (MODES as readonly unknown[]).includes(v);

const NAMESPACE_MODE_LABEL = Labels.NamespaceTLS; // certgate.io/tls

/** The mode for objects in a namespace: its certgate.io/tls label when valid, else the cluster mode. */
export function namespaceMode(clusterMode: Mode, namespace: KubernetesObject | undefined): NamespaceMode {
  const label = namespace ? metaOf(namespace).labels[NAMESPACE_MODE_LABEL] : undefined;
  return label === 'off' || isMode(label) ? label : clusterMode;
}

type RuleResult = 'denied' | 'warned' | 'audited';

interface Decision {
  readonly allowed: boolean;
  readonly message?: string; // the denial text, every denying finding on its own line
  readonly warnings: string[];
  readonly results: ReadonlyArray<{ rule: RuleId; result: RuleResult }>;
}

// The API server may truncate longer warnings; cut them ourselves so the cut is predictable.
const MAX_WARNING_LENGTH = 256;
const clip = (s: string) => (s.length <= MAX_WARNING_LENGTH ? s : `${s.slice(0, MAX_WARNING_LENGTH - 3)}...`);

// An object with thousands of bad hosts gets the first few problems and a count, not a message
// of megabytes that the API server and kubectl would have to carry. Only those few are formatted.
const MAX_LISTED_FINDINGS = 20;

/** The first MAX_LISTED_FINDINGS findings of a kind and how many there are. */
class Listing {
  readonly first: Finding[] = [];
  count = 0;
  add(f: Finding): void {
    if (this.count++ < MAX_LISTED_FINDINGS) this.first.push(f);
  }
  lines(format: (f: Finding) => string): string[] {
    const lines = this.first.map(format);
    if (this.count > MAX_LISTED_FINDINGS) lines.push(`... and ${this.count - MAX_LISTED_FINDINGS} more like these`);
    return lines;
  }
}

export function decide(findings: ReadonlyArray<Finding>, mode: NamespaceMode, disabled: ReadonlySet<RuleId>): Decision {
  if (mode === 'off') return { allowed: true, warnings: [], results: [] };
  // One pass, linear in findings (an object can carry tens of thousands): each finding counts for
  // its rule once per outcome, and only the listed few are kept for the texts.
  const denying = new Listing();
  const warning = new Listing();
  const results: Array<{ rule: RuleId; result: RuleResult }> = [];
  const seen = new Map<RuleId, Set<RuleResult>>();
  for (const f of findings) {
    if (disabled.has(f.rule)) continue;
    // A finding denies when the mode enforces and its severity is deny.
    const result: RuleResult = mode === 'audit' ? 'audited' : mode === 'enforce' && f.severity === 'deny' ? 'denied' : 'warned';
    if (result === 'denied') denying.add(f);
    else if (result === 'warned') warning.add(f);
    let outcomes = seen.get(f.rule);
    if (!outcomes) seen.set(f.rule, (outcomes = new Set()));
    if (outcomes.has(result)) continue;
    outcomes.add(result);
    results.push({ rule: f.rule, result });
  }
  const warnings = warning.lines((f) => clip(formatFinding(f)));
  if (denying.count === 0) return { allowed: true, warnings, results };
  const lines = denying.lines(formatFinding);
  const message = lines.length === 1 ? `certgate: ${lines[0]}` : `certgate found ${denying.count} problems:\n${lines.map((l) => `- ${l}`).join('\n')}`;
  return { allowed: false, message, warnings, results };
}
