// What `docker build` would see, reproduced without a container engine: the Dockerfile's stages,
// the build context after .dockerignore (Docker's own matching rules, from @balena/dockerignore),
// and a directory holding exactly what the build stage copies, so tsc can compile that and nothing more.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import dockerignoreModule, { type Ignore } from '@balena/dockerignore';
import ts from 'typescript';

// CommonJS (module.exports = factory) typed as an ES default export: under NodeNext the types put the
// factory on .default while Node hands it over directly.
const loaded = dockerignoreModule as unknown as { default?: () => Ignore };
const dockerignore = (typeof loaded === 'function' ? loaded : loaded.default!) as () => Ignore;

interface Stage {
  name?: string;
  from: string;
  lines: string[];
}
interface Copy {
  sources: string[];
  dest: string;
}

export function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  for (const raw of dockerfile.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1], name: from[2], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** The COPY instructions of a stage that read the build context (not `--from` another stage). */
export function contextCopies(stage: Stage): Copy[] {
  return stage.lines
    .filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))
    .map((l) => {
      const words = l
        .split(/\s+/)
        .slice(1)
        .filter((w) => !w.startsWith('--'));
      return { sources: words.slice(0, -1), dest: words.at(-1)! };
    });
}

/** Files of the build context under `path` (relative to root) that .dockerignore lets through. */
function contextFiles(root: string, path: string, ignore: string[]): string[] {
  const ig = dockerignore().add(ignore);
  const out: string[] = [];
  const walk = (rel: string) => {
    if (ig.ignores(rel)) return;
    if (statSync(join(root, rel)).isDirectory()) for (const name of readdirSync(join(root, rel))) walk(posix.join(rel, name));
    else out.push(rel);
  };
  walk(path);
  return out;
}

/**
 * A fresh directory laid out as the build stage's WORKDIR after its COPY instructions: only the files
 * .dockerignore lets into the context, at the destinations the Dockerfile names. node_modules is linked
 * from the checkout (the build stage installs every dependency, dev ones included, from the same lockfile).
 */
export function materializeCopySet(root: string, copies: Copy[], ignore: string[], linkNodeModules = true): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-copyset-'));
  const files: string[] = [];
  for (const { sources, dest } of copies) {
    const intoDirectory = sources.length > 1 || dest.endsWith('/');
    for (const src of sources) {
      const target = intoDirectory ? posix.join(dest, basename(src)) : dest;
      for (const file of contextFiles(root, src, ignore)) {
        const to = posix.normalize(posix.join(target, posix.relative(src, file)));
        mkdirSync(dirname(join(dir, to)), { recursive: true });
        cpSync(join(root, file), join(dir, to));
        files.push(to);
      }
    }
  }
  if (linkNodeModules) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, files };
}

/**
 * Packages a module loads at run time: value imports, re-exports and dynamic imports of bare
 * specifiers (type-only imports vanish when compiled). Returns package names; Node builtins left out.
 */
export function runtimePackageImports(source: string, fileName: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (!clause.name &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !isBuiltin(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]));
}

export function readDockerignore(root: string): string[] {
  return readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
