// Background controllers the real control plane runs: the garbage collector (dependents whose
// owners are all gone are deleted, matched by uid) and the namespace controller (a terminating
// namespace loses its content, then itself). Runs after writes, batched per event-loop turn.
import { now } from './meta.ts';
import type { Registry, ResourceType } from './registry.ts';
import type { Rest } from './rest.ts';
import type { KObj, Storage } from './storage.ts';

export class Controllers {
  private scheduled = false;
  private stopped = false;

  constructor(
    private storage: Storage,
    private registry: Registry,
    private rest: Rest,
  ) {}

  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.run();
    });
  }

  stop(): void {
    this.stopped = true;
  }

  /** One pass; writes it makes schedule the next pass through the change hook. */
  run(): void {
    const uids = new Set<string>();
    const terminating = new Set<string>();
    const candidates: Array<{ key: string; obj: Readonly<KObj> }> = [];
    for (const { resource, obj } of this.storage.scan()) {
      uids.add(obj.metadata.uid);
      if (resource === '/namespaces' && obj.metadata.deletionTimestamp) terminating.add(obj.metadata.name);
      if (obj.metadata.ownerReferences?.length || obj.metadata.namespace !== undefined) candidates.push({ key: resource, obj });
    }
    const remaining = new Map<string, number>();
    for (const { key, obj } of candidates) {
      const owners: any[] = obj.metadata.ownerReferences ?? [];
      const orphaned = owners.length > 0 && owners.every((o) => !uids.has(o.uid));
      const ns = obj.metadata.namespace;
      const inTerminatingNs = ns !== undefined && terminating.has(ns);
      if (inTerminatingNs) remaining.set(ns, (remaining.get(ns) ?? 0) + 1);
      if (orphaned || inTerminatingNs) this.deleteObject(key, structuredClone(obj) as KObj);
    }
    for (const ns of terminating) {
      if (remaining.has(ns)) continue;
      const nsObj = this.storage.get('/namespaces', undefined, ns);
      if (nsObj) this.rest.remove(this.typeOf('/namespaces')!, nsObj);
    }
  }

  private typeOf(key: string): ResourceType | undefined {
    const i = key.indexOf('/');
    return this.registry.anyVersion(key.slice(0, i), key.slice(i + 1));
  }

  /** Delete honouring finalizers: objects with finalizers only get a deletionTimestamp. */
  private deleteObject(key: string, obj: KObj): void {
    const t = this.typeOf(key);
    if ((obj.metadata.finalizers ?? []).length > 0) {
      if (obj.metadata.deletionTimestamp) return;
      obj.metadata.deletionTimestamp = now();
      obj.metadata.deletionGracePeriodSeconds = 0;
      this.storage.put(key, obj);
      this.schedule();
      return;
    }
    if (t) this.rest.remove(t, obj);
    else this.storage.remove(key, obj.metadata.namespace, obj.metadata.name);
  }
}
