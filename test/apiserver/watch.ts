// Watch streams: newline-delimited JSON events over a chunked HTTP response, resumable from a
// resourceVersion within the storage history window, with bookmarks and timeoutSeconds.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gone, tooManyRequests } from './errors.ts';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { present, keyOf } from './rest.ts';
import { warningHeaders } from './http.ts';
import type { ResourceType } from './registry.ts';
import type { KObj, Storage, StoreEvent } from './storage.ts';

interface WatchParams {
  type: ResourceType;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
  /** how often a watch without a near deadline gets a BOOKMARK (the real server: every minute) */
  bookmarkIntervalMs: number;
  sendInitialEvents?: boolean;
  /** Warning headers for the response (a deprecated CRD version) */
  warnings?: string[];
  /** kubectl get -w asks for each event's object as a one-row Table */
  asTable?: (obj: KObj) => KObj;
}

export class WatchHub {
  private open = new Set<() => void>();
  private held = 0;

  constructor(private storage: Storage) {}

  /** Close every open watch (server shutdown, or tests simulating a dropped connection). */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }

  /**
   * Ends every watch and answers new ones 429 "storage is (re)initializing", as a real API server
   * does while its watch cache re-initializes after a restart, until the returned release() is
   * called. Lists and writes keep working: tests change objects in the gap.
   */
  hold(): () => void {
    this.held++;
    this.closeAll();
    let released = false;
    return () => {
      if (!released) this.held--;
      released = true;
    };
  }

  serve(req: IncomingMessage, res: ServerResponse, p: WatchParams): void {
    if (this.held > 0) throw tooManyRequests('storage is (re)initializing', 1);
    const labels = p.labelSelector ? parseLabelSelector(p.labelSelector) : undefined;
    const fields = p.fieldSelector ? parseFieldSelector(p.fieldSelector, p.type.kind) : undefined; // throws before headers are sent
    const matches = (o: KObj | undefined): boolean =>
      o !== undefined &&
      (p.namespace === undefined || o.metadata.namespace === p.namespace) &&
      (!labels || matchLabels(labels, o.metadata.labels)) &&
      (!fields || matchFields(fields, o));
    const key = keyOf(p.type);
    const rv = p.resourceVersion ? Number(p.resourceVersion) : 0;

    if (p.warnings?.length) res.setHeader('Warning', warningHeaders(p.warnings));
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const render = (obj: KObj) => (p.asTable ? p.asTable(present(p.type, obj)) : present(p.type, obj));
    // The events of one turn of the event loop go out in one write, as kube-apiserver's buffered
    // writer flushes them: a write per event made each one a syscall (and a TLS record) on both ends.
    let pending: string[] = [];
    const flush = (): void => {
      const out = pending.join('');
      pending = [];
      if (out && !res.writableEnded && !res.destroyed) res.write(out);
    };
    const send = (type: string, obj: KObj): void => {
      if (pending.length === 0) setImmediate(flush);
      pending.push(JSON.stringify({ type, object: type === 'ERROR' || type === 'BOOKMARK' ? obj : render(obj) }) + '\n');
    };

    const translate = (e: StoreEvent): void => {
      if (e.resource !== key) return;
      const now = matches(e.obj);
      const before = e.type !== 'ADDED' && matches(e.prev);
      if (e.type === 'DELETED') {
        if (now || before) send('DELETED', e.obj);
      } else if (now && before) send('MODIFIED', e.obj);
      else if (now) send('ADDED', e.obj);
      // Left the selection: like the real server's cacheWatcher, DELETED carries the old state (the
      // one that matched) with the new resourceVersion, so a label-selected cache drops it.
      else if (before) send('DELETED', { ...e.prev, metadata: { ...e.prev!.metadata, resourceVersion: e.obj.metadata.resourceVersion } });
    };

    if (!p.resourceVersion || rv === 0 || p.sendInitialEvents) {
      for (const o of this.storage.list(key, p.namespace)) if (matches(o)) send('ADDED', o);
      // streaming lists (client-go WatchList): a bookmark marks the end of the initial state
      if (p.sendInitialEvents)
        send('BOOKMARK', {
          kind: p.type.kind,
          apiVersion: p.type.group ? `${p.type.group}/${p.type.version}` : p.type.version,
          metadata: { resourceVersion: String(this.storage.currentRv()), annotations: { 'k8s.io/initial-events-end': 'true' } },
        });
    } else {
      const past = this.storage.eventsSince(key, rv);
      if (past === 'expired') {
        send('ERROR', gone(`too old resource version: ${rv} (${this.storage.oldestWatchableRv(key)})`).toStatus());
        flush();
        res.end();
        return;
      }
      for (const e of past) translate(e);
    }
    const unsubscribe = this.storage.subscribe(translate);
    const timers: NodeJS.Timeout[] = [];
    if (p.allowWatchBookmarks) {
      // Like the watch cache's nextBookmarkTime: 2 s before the watch's deadline, else every
      // bookmarkIntervalMs (the real server: a minute); none once the deadline is that close.
      const deadline = p.timeoutSeconds !== undefined && p.timeoutSeconds > 0 ? Date.now() + p.timeoutSeconds * 1000 : undefined;
      let last = 0;
      const schedule = (): void => {
        const now = Date.now();
        const at = Math.min(now + p.bookmarkIntervalMs, deadline === undefined ? Infinity : deadline - 2000);
        if (at < now || at <= last) return;
        timers.push(
          setTimeout(() => {
            last = at;
            // the watch cache bookmarks only once it has seen an event of this resource, with that event's version
            const rv = this.storage.lastEventRv(key);
            if (rv !== undefined)
              send('BOOKMARK', {
                kind: p.type.kind,
                apiVersion: p.type.group ? `${p.type.group}/${p.type.version}` : p.type.version,
                metadata: { resourceVersion: String(rv) },
              });
            schedule();
          }, at - now),
        );
      };
      schedule();
    }
    const close = (): void => {
      unsubscribe();
      timers.forEach((t) => clearTimeout(t));
      this.open.delete(close);
      flush();
      if (!res.writableEnded) res.end();
    };
    if (p.timeoutSeconds !== undefined && p.timeoutSeconds > 0) timers.push(setTimeout(close, p.timeoutSeconds * 1000));
    this.open.add(close);
    req.on('close', close);
    res.on('close', close);
  }
}
