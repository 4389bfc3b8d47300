// cert-manager's documentation examples (api/testdata/cert-manager-docs-examples.yaml) and what certgate
// must do with each: the one list both the in-process test (docs-examples.test.ts) and the end-to-end
// kubectl test (test/e2e/docs-examples.test.ts) read. An example is admitted unless it is marked
// "# certgate: refused RULE: why" or sets fields of api/unsupported.ts (refused with unsupported-field,
// naming each field's path).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { findUnsupportedFields, type CrdKind } from '../../api/unsupported.ts';
import type { KubeObject } from '../cluster-view.ts';

export type DocsExampleObject = KubeObject & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

export interface DocsExample {
  doc: DocsExampleObject;
  /** "page, line N" as the file's "# source:" says. */
  source: string;
  /** The page alone: examples of one page are applied together. */
  page: string;
  /** The rule ids the denial must name, one per finding (empty: admitted). */
  expectedRules: string[];
  /** Paths of unsupported fields the denial must name. */
  unsupportedPaths: string[];
}

const file = fileURLToPath(new URL('../../api/testdata/cert-manager-docs-examples.yaml', import.meta.url));

export const isCertManagerObject = (doc: DocsExampleObject) => /^(acme\.)?cert-manager\.io\//.test(doc.apiVersion);

export const docsExamples: DocsExample[] = parseAllDocuments(readFileSync(file, 'utf8')).map((d, i) => {
  const comment = `${d.commentBefore ?? ''}\n${d.contents?.commentBefore ?? ''}`;
  const source = /^ ?source: (.+)$/m.exec(comment)?.[1];
  if (!source) throw new Error(`document ${i + 1} of ${file} names no source page`);
  const doc = d.toJS() as DocsExampleObject;
  const refusedBy = /^ ?certgate: refused ([a-z0-9-]+):/m.exec(comment)?.[1];
  const unsupported = isCertManagerObject(doc) ? findUnsupportedFields(doc.kind as CrdKind, doc) : [];
  return {
    doc,
    source,
    page: source.split(/[ ,]/)[0]!,
    expectedRules: [...(refusedBy ? [refusedBy] : []), ...unsupported.map(() => 'unsupported-field')],
    unsupportedPaths: unsupported.map((u) => u.path),
  };
});

/** The rule ids of a denial message ("certgate: [rule] field: ..." or "certgate found N problems: - [rule] ..."). */
export const deniedRules = (message = '') => [...message.matchAll(/(?:^|\n- |certgate: )\[([a-z0-9-]+)\]/g)].map((m) => m[1]!);
