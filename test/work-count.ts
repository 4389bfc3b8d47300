// Counts the work a piece of code does, not the time it takes: V8's precise block coverage gives
// how often each function and block of the project's own source ran. A rule that scans one list
// per entry of another runs its inner block n² times, which shows in this count on any machine,
// busy or not. Used by tests that must fail when something goes quadratic.
import { Session } from 'node:inspector/promises';

interface WorkCount {
  /** Block and function executions in matching scripts. */
  readonly total: number;
  /** The same per function (file:function), largest first. */
  readonly top: ReadonlyArray<{ fn: string; count: number }>;
}

interface WorkCounter {
  /** Runs fn and counts the blocks it ran in scripts whose URL contains one of the path parts. */
  count(fn: () => unknown): Promise<WorkCount>;
  close(): void;
}

/**
 * Start it before the code under test runs hot: code V8 optimized before coverage started keeps
 * running without counters (measured: a quadratic rule warmed up first counted as linear).
 */
export async function startWorkCounter(pathParts: ReadonlyArray<string>): Promise<WorkCounter> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  return {
    async count(fn) {
      await session.post('Profiler.takePreciseCoverage'); // resets the counters: only fn's work counts
      await fn();
      const { result } = await session.post('Profiler.takePreciseCoverage');
      const perFn = new Map<string, number>();
      let total = 0;
      for (const script of result) {
        if (!pathParts.some((p) => script.url.includes(p)) || script.url.includes('node_modules')) continue;
        for (const f of script.functions) {
          const count = f.ranges.reduce((sum, r) => sum + r.count, 0);
          if (count === 0) continue;
          total += count;
          const key = `${script.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}:${f.functionName || '(anonymous)'}`;
          perFn.set(key, (perFn.get(key) ?? 0) + count);
        }
      }
      const top = [...perFn]
        .map(([fn, count]) => ({ fn, count }))
        .sort((a, b) => b.count - a.count)
        .slice(0, 10);
      return { total, top };
    },
    close() {
      session.disconnect();
    },
  };
}
