// Background controllers the real control plane runs: the garbage collector (dependents whose
// owners are all gone are deleted, matched by uid) and the namespace controller (a terminating
// namespace loses its content, then itself). Runs after writes, batched per event-loop turn.
// Like kube-controller-manager's graph builder, it keeps an index fed by storage events (live uids,
// dependents by owner uid, objects by namespace), so a pass costs the objects that changed, not
// every object stored: the scale benchmark holds 40,000 objects.
import { now } from './meta.ts';
import type { Registry, ResourceType } from './registry.ts';
import type { Rest } from './rest.ts';
import type { KObj, Storage, StoreEvent } from './storage.ts';

/** "resource\0namespace\0name": where to find an object in storage. */
type Ref = string;
const refOf = (resource: string, obj: Readonly<KObj>): Ref => `${resource}\0${obj.metadata.namespace ?? ''}\0${obj.metadata.name}`;
function parseRef(ref: Ref): { resource: string; namespace: string | undefined; name: string } {
  const [resource, namespace, name] = ref.split('\0');
  return { resource, namespace: namespace === '' ? undefined : namespace, name };
}
const ownerUids = (obj: Readonly<KObj> | undefined): string[] => (obj?.metadata.ownerReferences ?? []).map((o: { uid: string }) => o.uid);

/** Live uids, dependents per owner uid and members per namespace, kept current from storage events. */
class OwnershipIndex {
  readonly uids = new Set<string>();
  readonly dependents = new Map<string, Set<Ref>>();
  readonly members = new Map<string, Set<Ref>>();

  add(resource: string, obj: Readonly<KObj>, prev?: Readonly<KObj>): void {
    const ref = refOf(resource, obj);
    if (prev && prev.metadata.uid !== obj.metadata.uid) this.remove(resource, prev);
    else for (const uid of ownerUids(prev)) this.dependents.get(uid)?.delete(ref);
    this.uids.add(obj.metadata.uid);
    for (const uid of ownerUids(obj)) {
      let set = this.dependents.get(uid);
      if (!set) this.dependents.set(uid, (set = new Set()));
      set.add(ref);
    }
    const ns = obj.metadata.namespace;
    if (ns !== undefined) {
      let set = this.members.get(ns);
      if (!set) this.members.set(ns, (set = new Set()));
      set.add(ref);
    }
  }

  remove(resource: string, obj: Readonly<KObj>): void {
    const ref = refOf(resource, obj);
    this.uids.delete(obj.metadata.uid);
    for (const uid of ownerUids(obj)) {
      const set = this.dependents.get(uid);
      set?.delete(ref);
      if (set?.size === 0) this.dependents.delete(uid);
    }
    const ns = obj.metadata.namespace;
    if (ns !== undefined) {
      const set = this.members.get(ns);
      set?.delete(ref);
      if (set?.size === 0) this.members.delete(ns);
    }
  }
}

export class Controllers {
  private scheduled = false;
  private stopped = false;
  /** Built from a full scan at the first pass (storage may have been loaded from disk), then kept by events. */
  private index: OwnershipIndex | undefined;
  /** Objects to check for owners that are all gone. */
  private readonly candidates = new Set<Ref>();
  private readonly terminating = new Set<string>();

  constructor(
    private storage: Storage,
    private registry: Registry,
    private rest: Rest,
  ) {
    storage.subscribe((e) => this.observe(e));
  }

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

  private observe(e: StoreEvent): void {
    const index = this.index;
    if (!index) return; // the first pass scans everything
    if (e.type === 'DELETED') {
      index.remove(e.resource, e.obj);
      for (const dependent of index.dependents.get(e.obj.metadata.uid) ?? []) this.candidates.add(dependent);
      if (e.resource === '/namespaces') this.terminating.delete(e.obj.metadata.name);
    } else {
      index.add(e.resource, e.obj, e.prev);
      if (e.obj.metadata.ownerReferences?.length) this.candidates.add(refOf(e.resource, e.obj));
      if (e.resource === '/namespaces' && e.obj.metadata.deletionTimestamp) this.terminating.add(e.obj.metadata.name);
    }
  }

  private buildIndex(): OwnershipIndex {
    const index = new OwnershipIndex();
    for (const { resource, obj } of this.storage.scan()) {
      index.add(resource, obj);
      if (obj.metadata.ownerReferences?.length) this.candidates.add(refOf(resource, obj));
      if (resource === '/namespaces' && obj.metadata.deletionTimestamp) this.terminating.add(obj.metadata.name);
    }
    return index;
  }

  /** One pass; writes it makes schedule the next pass through the change hook. */
  run(): void {
    const index = (this.index ??= this.buildIndex());
    const candidates = [...this.candidates];
    this.candidates.clear();
    for (const ref of candidates) {
      const { resource, namespace, name } = parseRef(ref);
      const obj = this.storage.peek(resource, namespace, name);
      const owners = ownerUids(obj);
      if (obj && owners.length > 0 && owners.every((uid) => !index.uids.has(uid))) this.deleteObject(resource, structuredClone(obj));
    }
    for (const ns of [...this.terminating]) {
      const members = [...(index.members.get(ns) ?? [])];
      for (const ref of members) {
        const { resource, namespace, name } = parseRef(ref);
        const obj = this.storage.get(resource, namespace, name);
        if (obj) this.deleteObject(resource, obj);
      }
      if (members.length > 0) continue;
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
