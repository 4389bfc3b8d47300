#!/usr/bin/env node
// Runs the compiled entry point when built (the container image), else the TypeScript source via tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/bin/certgate.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./certgate.ts');
}
