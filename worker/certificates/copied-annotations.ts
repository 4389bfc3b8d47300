// Which of a Certificate's annotations its CertificateRequests carry: cert-manager's
// --copied-annotation-prefixes (ControllerConfiguration copiedAnnotationPrefixes), with its meaning.
// Entries apply in order: "*" copies every annotation, "prefix" the ones starting with it, and
// "-prefix" drops the ones starting with it copied so far.

/** cert-manager's default: everything but what kubectl, Flux and Argo CD keep on the objects they apply. */
export const DEFAULT_COPIED_ANNOTATION_PREFIXES: readonly string[] = ['*', '-kubectl.kubernetes.io/', '-fluxcd.io/', '-argocd.argoproj.io/'];

export function annotationsToCopy(all: Readonly<Record<string, string>>, prefixes: readonly string[]): Record<string, string> {
  const copied: Record<string, string> = {};
  const everything = prefixes.includes('*');
  for (const entry of prefixes) {
    const drop = entry.startsWith('-');
    const prefix = drop ? entry.slice(1) : entry;
    for (const [key, value] of Object.entries(all)) {
      if (drop) {
        if (key.startsWith(prefix)) delete copied[key];
      } else if (everything || key.startsWith(prefix)) copied[key] = value;
    }
  }
  return copied;
}
