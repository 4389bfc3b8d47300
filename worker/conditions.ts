// Status conditions as cert-manager writes them: lastTransitionTime changes only when the status
// flips, observedGeneration records the spec generation the condition was computed from.
import type { Condition } from '../api/types.generated.ts';

type ConditionStatus = Condition['status'];

export function getCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function hasCondition(conditions: Condition[] | undefined, type: string, status: ConditionStatus, reason?: string): boolean {
  const c = getCondition(conditions, type);
  return !!c && c.status === status && (reason === undefined || c.reason === reason);
}

/** Kubernetes timestamps are whole seconds in RFC 3339. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Returns a new conditions list with type set; keeps lastTransitionTime when the status is unchanged. */
export function setCondition(
  conditions: Condition[] | undefined,
  update: { type: string; status: ConditionStatus; reason: string; message: string; observedGeneration?: number },
  nowMs: number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === update.type);
  const prior = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime: prior && prior.status === update.status && prior.lastTransitionTime ? prior.lastTransitionTime : timestamp(nowMs),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function removeCondition(conditions: Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}
