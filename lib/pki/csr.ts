// PKCS#10 certificate signing requests: created from a private key and the requested names,
// parsed back (signature checked) by issuers and by the Secret writer's checks.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { copyNames, emptyNames, namesOf, SAN_OID, subjectAltNames, type CertificateNames } from './certificate-names.ts';
import { RecentValues } from '../recent-values.ts';
import { csrPemText, signatureValid } from './csr-read.ts';
import { nodeCrypto, nodeSigningKeys, x509 } from './webcrypto.ts';

interface SubjectFields {
  organizations?: string[];
  organizationalUnits?: string[];
  countries?: string[];
  provinces?: string[];
  localities?: string[];
  streetAddresses?: string[];
  postalCodes?: string[];
  serialNumber?: string;
}

interface CsrOptions extends Partial<CertificateNames> {
  subject?: SubjectFields;
}

/**
 * The attribute type of each subject field, in the order they are written (the common name
 * follows). OIDs where @peculiar/x509 has no name (it knows C, ST, L, O, OU, CN):
 * streetAddress, postalCode, serialNumber.
 */
export const SUBJECT_ATTRIBUTES = Object.freeze({
  countries: 'C',
  provinces: 'ST',
  localities: 'L',
  streetAddresses: '2.5.4.9',
  postalCodes: '2.5.4.17',
  organizations: 'O',
  organizationalUnits: 'OU',
  serialNumber: '2.5.4.5',
} as const);

/** The subject Name: the common name and the optional subject fields. */
function subjectName(commonName: string | undefined, s: SubjectFields = {}): x509.JsonName {
  const rdns: x509.JsonName = [];
  const add = (type: string, values?: string[]) => {
    for (const v of values ?? []) if (v) rdns.push({ [type]: [v] });
  };
  for (const [field, type] of Object.entries(SUBJECT_ATTRIBUTES)) {
    const values = s[field as keyof SubjectFields];
    add(type, typeof values === 'string' ? [values] : values);
  }
  if (commonName) add('CN', [commonName]);
  return rdns;
}

/** A PEM CSR for the names, signed with key. Throws when no name at all is requested. */
export async function createCsr(key: KeyObject, opts: CsrOptions): Promise<string> {
  const names: CertificateNames = { ...emptyNames(), ...stripUndefined(opts) };
  const sans = subjectAltNames(names);
  if (!names.commonName && sans.length === 0) throw new Error('a certificate request needs a commonName or at least one subjectAltName');
  const keys = nodeSigningKeys(key);
  const extensions: x509.Extension[] = [];
  // SAN is critical when the subject is empty (RFC 5280 4.2.1.6).
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans, !names.commonName && !opts.subject));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: subjectName(names.commonName, opts.subject),
      keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
      signingAlgorithm: keys.algorithm,
      extensions,
    },
    nodeCrypto,
  );
  const pem = csr.toString('pem');
  recentCsrs.get(pem, () => contentOf(csr)); // its readers need no parse of their own
  return pem;
}

interface ParsedCsr {
  names: CertificateNames;
  /** The subject as an RFC 4514 string. */
  subject: string;
  /** DER of the subject Name, copied into issued certificates as is. */
  subjectDer: ArrayBuffer;
  publicKey: KeyObject;
  /** The subjectAltName extension as requested, copied into issued certificates. */
  subjectAltNameDer?: ArrayBuffer;
}

/** What a CSR asks for, read once per text; its self-signature verdict rides along for parseCsr. */
interface CsrContent extends Omit<ParsedCsr, 'publicKey'> {
  /** The values of each subject attribute in SUBJECT_ATTRIBUTES, and of CN. */
  subjectFields: ReadonlyMap<string, string[]>;
  publicKey: KeyObject | Error;
  /** node:crypto's verdict on the self-signature; undefined for an algorithm it cannot check. */
  signatureValid: boolean | undefined;
}

// Each new request's CSR has several readers (the request manager's match and key check, the CA
// issuer's signing, the ACME Order's names), and an asn1js parse costs milliseconds: one read per
// CSR text, shared, seeded by createCsr with the object it built. A refusal is remembered too.
// 256: many times the requests in flight; each holds its CSR text and a parsed key.
const recentCsrs = new RecentValues<string, CsrContent | Error>(256);

/** What a PEM CSR (or base64 of PEM, as in CertificateRequest spec.request) says, its signature not checked; an Error when it does not parse. */
export function readCsr(input: string): CsrContent | Error {
  const pem = csrPemText(input);
  return recentCsrs.get(pem, () => {
    try {
      return contentOf(new x509.Pkcs10CertificateRequest(pem));
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  });
}

function contentOf(csr: x509.Pkcs10CertificateRequest): CsrContent {
  let publicKey: KeyObject | Error;
  let valid: boolean | undefined;
  try {
    publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    valid = signatureValid(csr, publicKey);
  } catch (e) {
    publicKey ??= e as Error;
  }
  const attributes = [...Object.values(SUBJECT_ATTRIBUTES), 'CN'];
  return {
    names: namesOf(csr),
    subject: csr.subject,
    subjectDer: csr.subjectName.toArrayBuffer(),
    subjectFields: new Map(attributes.map((a) => [a, csr.subjectName.getField(a)])),
    subjectAltNameDer: csr.getExtension(SAN_OID)?.rawData,
    publicKey,
    signatureValid: valid,
  };
}

/** Parses a PEM (or base64 of PEM, as in CertificateRequest spec.request) CSR and checks its self-signature. */
export async function parseCsr(input: string | Buffer): Promise<ParsedCsr> {
  const text = Buffer.isBuffer(input) ? input.toString('utf8') : input;
  const content = readCsr(text);
  if (content instanceof Error) throw new Error(`not a PEM certificate request: ${content.message}`);
  const { publicKey, signatureValid: valid } = content;
  if (publicKey instanceof Error) throw publicKey;
  // An algorithm node:crypto cannot check here: WebCrypto's answer.
  if (!(valid ?? (await new x509.Pkcs10CertificateRequest(csrPemText(text)).verify()))) throw new Error('certificate request signature does not verify');
  return { names: copyNames(content.names), subject: content.subject, subjectDer: content.subjectDer, publicKey, subjectAltNameDer: content.subjectAltNameDer };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'subject')) as Partial<T>;
}
