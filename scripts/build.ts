// The image's build (`npm run build`, after tsc has type-checked): esbuild bundles bin/certgate.ts into
// dist/ as ES modules. Every third-party package stays external (loaded from node_modules as before)
// except @kubernetes/client-node: its KubeConfig module imports the generated API's index (21 MB of
// JavaScript re-exporting every model and API, ~14 MiB of the worker's heap) only for
// createConfiguration and ServerConfiguration. Bundled with its files marked free of side effects,
// tree-shaking keeps what KubeConfig and Watch use and drops the rest. Lazily imported modules (the
// worker, webhook and solver, the CLI's commands, DNS providers) stay lazy: each is its own chunk.
//   npx tsx scripts/build.ts [--outdir dist]
import { rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUNDLED_PACKAGE = '@kubernetes/client-node';
/** The image's entry point, and where the bundle puts it (ENTRYPOINT runs dist/bin/certgate.js). */
export const ENTRY_POINT = 'bin/certgate.ts';
export const BUILT_ENTRY_POINT = 'bin/certgate.js';

const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Bundles @kubernetes/client-node (side-effect free, so unused modules are dropped) and leaves every
 * other package external. A package client-node imports must resolve, from dist/, to the copy
 * client-node resolves itself: npm nests a differing version under client-node's own node_modules,
 * which the bundle would not see.
 */
function bundleOnlyClientNode(): esbuild.Plugin {
  const clientNodeDir = dirname(fileURLToPath(import.meta.resolve(`${BUNDLED_PACKAGE}/package.json`))) + sep;
  const SELF = Symbol('bundleOnlyClientNode');
  return {
    name: 'bundle-only-client-node',
    setup(build) {
      const resolveFrom = (path: string, resolveDir: string, args: esbuild.OnResolveArgs) =>
        build.resolve(path, { kind: args.kind, importer: args.importer, resolveDir, pluginData: SELF });
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === SELF || args.kind === 'entry-point') return undefined;
        const bare = !args.path.startsWith('.') && !isAbsolute(args.path);
        if (bare && isBuiltin(args.path)) return { external: true };
        const fromClientNode = args.importer.startsWith(clientNodeDir);
        if (bare && packageName(args.path) !== BUNDLED_PACKAGE) {
          if (fromClientNode) {
            const [own, app] = await Promise.all([resolveFrom(args.path, args.resolveDir, args), resolveFrom(args.path, REPO, args)]);
            if (own.path !== app.path) return { errors: [{ text: `${args.path}: client-node resolves ${own.path}, the bundle would load ${app.path}` }] };
          }
          return { external: true };
        }
        if (!bare && !fromClientNode) return undefined; // our own modules: bundled as they are
        const resolved = await resolveFrom(args.path, args.resolveDir, args);
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path, sideEffects: false };
      });
    },
  };
}

/** Builds the image's dist/ (or `outdir`), emptied first; returns esbuild's metafile (outputs and their imports). */
export async function buildBundle(outdir = join(REPO, 'dist')): Promise<esbuild.Metafile> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: REPO,
    entryPoints: [ENTRY_POINT],
    outbase: '.',
    outdir,
    // cli/version.ts finds package.json one level above its output file's folder: dist/chunks/ as dist/bin/.
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Modules bundled together share one scope, where esbuild renames clashing names: keep class and function names as written.
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [bundleOnlyClientNode()],
  });
  return result.metafile;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  await buildBundle(values.outdir === undefined ? undefined : resolve(values.outdir));
}
