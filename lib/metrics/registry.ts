// One private prom-client Registry per worker process (never the global default registry), so
// tests can build several and nothing else in node_modules leaks series into /metrics.
// Modules that own metrics export a function that registers them into a Registry passed in.
import { Registry } from 'prom-client';

export { Registry };

export function createMetricsRegistry(): Registry {
  return new Registry();
}
