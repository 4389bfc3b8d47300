// Picks the issuer's solver for one authorization with cert-manager's rules:
// - matchLabels must all be on the Order (copied from the Certificate/CertificateRequest);
// - a dnsNames match beats any dnsZones match; a longer (more specific) zone beats a shorter one;
// - then more matchLabels beats fewer; a solver with no selector is the fallback;
// - ties go to the solver listed first. HTTP-01 cannot solve a wildcard name.
import type { ACMEChallengeSolver } from '../../../api/types.generated.ts';

export type ChallengeType = 'HTTP-01' | 'DNS-01';

export interface SolverQuery {
  /** The authorization's identifier (base name, without "*."). */
  dnsName: string;
  wildcard: boolean;
  /** Labels of the Order. */
  labels: Record<string, string>;
  /** ACME challenge types the authorization offers (http-01, dns-01, ...). */
  offered: string[];
}

export interface SelectedSolver {
  solver: ACMEChallengeSolver;
  type: ChallengeType;
  index: number;
}

function typeOf(s: ACMEChallengeSolver): ChallengeType | undefined {
  if (s.http01 && !s.dns01) return 'HTTP-01';
  if (s.dns01 && !s.http01) return 'DNS-01';
  return undefined;
}

/** Score tuple, compared lexicographically: [dnsNames match, zone labels, label count]. */
function score(s: ACMEChallengeSolver, q: SolverQuery): [number, number, number] | undefined {
  const sel = s.selector;
  if (!sel) return [0, 0, 0];
  const match = Object.entries(sel.matchLabels ?? {});
  if (!match.every(([k, v]) => q.labels[k] === v)) return undefined;
  const name = (q.wildcard ? `*.${q.dnsName}` : q.dnsName).toLowerCase();
  const names = (sel.dnsNames ?? []).map((n) => n.toLowerCase());
  const zones = (sel.dnsZones ?? []).map((z) => z.toLowerCase().replace(/\.$/, ''));
  if (names.includes(name)) return [1, 0, match.length];
  if (names.length && !zones.length) return undefined;
  if (zones.length) {
    const base = q.dnsName.toLowerCase();
    const best = Math.max(-1, ...zones.filter((z) => base === z || base.endsWith(`.${z}`)).map((z) => z.split('.').length));
    if (best < 0) return undefined;
    return [0, best, match.length];
  }
  return [0, 0, match.length];
}

export function selectSolver(solvers: readonly ACMEChallengeSolver[] | undefined, q: SolverQuery): SelectedSolver | undefined {
  let best: { sel: SelectedSolver; score: [number, number, number] } | undefined;
  (solvers ?? []).forEach((solver, index) => {
    const type = typeOf(solver);
    if (!type) return;
    if (type === 'HTTP-01' && q.wildcard) return;
    if (!q.offered.includes(type.toLowerCase())) return;
    const sc = score(solver, q);
    if (!sc) return;
    if (!best || compare(sc, best.score) > 0) best = { sel: { solver, type, index }, score: sc };
  });
  return best?.sel;
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
