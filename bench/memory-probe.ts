// Preloaded (node --import) into the benchmarked child processes: answers "memory" over the IPC
// channel with process.memoryUsage(), after a full GC when node runs with --expose-gc, so heap
// figures compare live objects rather than garbage not yet collected.
process.on('message', (m) => {
  if (m !== 'memory') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  process.send?.({ memory: process.memoryUsage(), gc: !!gc });
});
