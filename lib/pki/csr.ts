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
  return csr.toString('pem');
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

// The request manager checks the current request's CSR on each pass and the CA issuer signs from
// it: one asn1js parse and signature check per CSR text (the same text gives the same answer, a
// refusal included).
const recentCsrs = new RecentValues<string, Promise<ParsedCsr>>(1024);

/** Parses a PEM (or base64 of PEM, as in CertificateRequest spec.request) CSR and checks its self-signature. */
export async function parseCsr(input: string | Buffer): Promise<ParsedCsr> {
  const text = Buffer.isBuffer(input) ? input.toString('utf8') : input;
  const parsed = await recentCsrs.get(text, () => parseCsrText(text));
  return { ...parsed, names: copyNames(parsed.names) };
}

async function parseCsrText(input: string): Promise<ParsedCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPemText(input));
  } catch (e) {
    throw new Error(`not a PEM certificate request: ${(e as Error).message}`);
  }
  const publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  let valid: boolean;
  try {
    valid = signatureValid(csr, publicKey);
  } catch {
    valid = await csr.verify(); // an algorithm node:crypto cannot check here: WebCrypto's answer
  }
  if (!valid) throw new Error('certificate request signature does not verify');
  return {
    names: namesOf(csr),
    subject: csr.subject,
    subjectDer: csr.subjectName.toArrayBuffer(),
    publicKey,
    subjectAltNameDer: csr.getExtension(SAN_OID)?.rawData,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'subject')) as Partial<T>;
}
