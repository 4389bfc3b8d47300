// `certgate create certificaterequest [NAME] --from-certificate-file FILE`: issue once from a
// Certificate manifest without the Certificate controller (cmctl semantics). The key is generated
// here and written to a local file at once (it never enters the cluster); the CertificateRequest
// carries only the CSR. With --fetch-certificate the CLI waits for the running worker to sign it
// and writes the certificate file.
import { writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Certificate, CertificateRequest } from '../api/types.generated.ts';
import { ConditionTypes } from '../api/constants.ts';
import { defaultCertificateSpec } from '../api/defaults.ts';
import { Resources, apiVersionOf } from '../api/resources.ts';
import type { KubeClient } from '../lib/kube/client.ts';
import { createCsr, encodePrivateKeyPem, generatePrivateKey } from '../lib/pki/index.ts';
import { CliError } from './io.ts';

/** The single Certificate in a YAML or JSON manifest file's text. */
export function parseCertificateManifest(text: string, file: string): Certificate {
  let docs: unknown[];
  try {
    docs = parseAllDocuments(text)
      .map((d) => {
        if (d.errors.length) throw d.errors[0];
        return d.toJS();
      })
      .filter((d) => d != null);
  } catch (e) {
    throw new CliError(`${file}: not valid YAML or JSON: ${(e as Error).message}`);
  }
  const certs = docs.filter((d: any) => d?.kind === 'Certificate');
  if (certs.length !== 1) throw new CliError(`${file}: expected exactly one Certificate manifest, found ${certs.length}`);
  const cert = certs[0] as Certificate;
  if (cert.apiVersion !== apiVersionOf(Resources.Certificate))
    throw new CliError(`${file}: apiVersion is ${cert.apiVersion}, expected ${apiVersionOf(Resources.Certificate)}`);
  if (!cert.spec?.issuerRef?.name) throw new CliError(`${file}: spec.issuerRef.name is required`);
  return cert;
}

interface CreateRequestInput {
  name: string;
  namespace: string;
  certificate: Certificate;
}

/** Generates the key and builds the CertificateRequest for a Certificate's spec. */
export async function buildRequest(input: CreateRequestInput): Promise<{ request: CertificateRequest; keyPem: string }> {
  const spec = defaultCertificateSpec(input.certificate.spec);
  const key = await generatePrivateKey({ algorithm: spec.privateKey.algorithm, size: spec.privateKey.size });
  let csr: string;
  try {
    csr = await createCsr(key, {
      commonName: spec.commonName,
      dnsNames: spec.dnsNames ?? [],
      ipAddresses: spec.ipAddresses ?? [],
      uris: spec.uris ?? [],
      emailAddresses: spec.emailAddresses ?? [],
      subject: spec.subject,
    });
  } catch (e) {
    throw new CliError(`cannot build a CSR from the Certificate: ${(e as Error).message}`);
  }
  const request: CertificateRequest = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: input.certificate.metadata?.labels,
      annotations: input.certificate.metadata?.annotations,
    },
    spec: {
      request: Buffer.from(csr, 'utf8').toString('base64'),
      issuerRef: spec.issuerRef,
      duration: spec.duration,
      isCA: spec.isCA,
      usages: spec.usages,
    },
  };
  return { request, keyPem: encodePrivateKeyPem(key, spec.privateKey.encoding) };
}

interface FetchOptions {
  timeoutMs: number;
  pollMs?: number;
  now(): number;
}

/** Waits until the request is issued (returns its PEM chain) or fails, is denied, or times out. */
export async function waitForIssued(client: KubeClient, namespace: string, name: string, opts: FetchOptions): Promise<string> {
  const deadline = opts.now() + opts.timeoutMs;
  let last = 'no status yet';
  for (;;) {
    const cr = await client.get<CertificateRequest>(Resources.CertificateRequest, namespace, name);
    if (!cr) throw new CliError(`certificaterequest ${namespace}/${name} was deleted while waiting`);
    const conds = cr.status?.conditions ?? [];
    const ready = conds.find((c) => c.type === ConditionTypes.Ready);
    const denied = conds.find((c) => c.type === ConditionTypes.Denied && c.status === 'True');
    const invalid = conds.find((c) => c.type === ConditionTypes.InvalidRequest && c.status === 'True');
    if (ready?.status === 'True' && cr.status?.certificate) return Buffer.from(cr.status.certificate, 'base64').toString('utf8');
    if (denied) throw new CliError(`certificaterequest ${namespace}/${name} was denied: ${denied.message ?? denied.reason ?? ''}`);
    if (invalid) throw new CliError(`certificaterequest ${namespace}/${name} is invalid: ${invalid.message ?? invalid.reason ?? ''}`);
    if (ready?.status === 'False' && (ready.reason === 'Failed' || cr.status?.failureTime)) {
      throw new CliError(`certificaterequest ${namespace}/${name} failed: ${ready.message ?? ready.reason ?? ''}`);
    }
    if (ready) last = `${ready.reason ?? ''}: ${ready.message ?? ''}`;
    else if (!conds.some((c) => c.type === ConditionTypes.Approved)) last = 'not approved yet';
    if (opts.now() >= deadline) throw new CliError(`timed out waiting for certificaterequest ${namespace}/${name} to be issued (${last})`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

/** Writes a file readable by its owner only (keys) or by everyone (certificates). */
export function writeOutput(path: string, content: string, secret: boolean): void {
  try {
    writeFileSync(path, content, { mode: secret ? 0o600 : 0o644, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot write ${path}: ${code === 'EEXIST' ? 'the file already exists (remove it or choose another path)' : (e as Error).message}`);
  }
}
