// Decoding of the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) for the built-in
// kinds kubectl's typed clients send as protobuf (kubectl create secret/configmap/namespace/
// serviceaccount/role/rolebinding/token, kubectl auth can-i), and of the DeleteOptions that client-go's
// typed clients send with DELETE (helm uninstall). Responses stay JSON, which clients accept.
import { badRequest, unsupportedMediaType } from './errors.ts';

// 's', 'int': Go non-pointer fields, whose zero value means unset (omitempty in JSON).
// 's?', 'int?': Go pointer fields (proto2 optional): present means set, even when zero or empty.
type Kind = 's' | 's?' | 'bytes' | 'int' | 'int?' | 'bool' | 'time' | 'rs' | 'mss' | 'msb' | Schema | [Schema];
interface Schema {
  [fieldNo: number]: [string, Kind];
}

interface RawField {
  no: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

function readFields(buf: Buffer): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const skip = (n: number) => {
    if (pos + n > buf.length) throw new Error('truncated field');
    pos += n;
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      const start = pos;
      skip(len);
      out.push({ no, wire, bytes: buf.subarray(start, pos) });
    } else if (wire === 1) skip(8);
    else if (wire === 5) skip(4);
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** Like readFields, but a field whose wire type does not match its declared kind is an error, not a crash. */
function checkedFields(buf: Buffer, schema: Schema): RawField[] {
  const fields = readFields(buf);
  for (const f of fields) {
    const entry = schema[f.no];
    if (!entry) continue;
    const wantsVarint = entry[1] === 'int' || entry[1] === 'int?' || entry[1] === 'bool';
    if (wantsVarint !== (f.wire === 0) || (!wantsVarint && f.wire !== 2)) throw new Error(`field ${entry[0]} (${f.no}) has wire type ${f.wire}`);
  }
  return fields;
}

const TIME: Schema = { 1: ['seconds', 'int'], 2: ['nanos', 'int'] };
const OWNER_REF: Schema = {
  1: ['kind', 's'],
  3: ['name', 's'],
  4: ['uid', 's'],
  5: ['apiVersion', 's'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const OBJECT_META: Schema = {
  1: ['name', 's'],
  2: ['generateName', 's'],
  3: ['namespace', 's'],
  5: ['uid', 's'],
  6: ['resourceVersion', 's'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', 'time'],
  9: ['deletionTimestamp', 'time'],
  10: ['deletionGracePeriodSeconds', 'int'],
  11: ['labels', 'mss'],
  12: ['annotations', 'mss'],
  13: ['ownerReferences', [OWNER_REF]],
  14: ['finalizers', 'rs'],
};
const OBJECT_REF: Schema = {
  1: ['kind', 's'],
  2: ['namespace', 's'],
  3: ['name', 's'],
  4: ['uid', 's'],
  5: ['apiVersion', 's'],
  6: ['resourceVersion', 's'],
  7: ['fieldPath', 's'],
};
const POLICY_RULE: Schema = { 1: ['verbs', 'rs'], 2: ['apiGroups', 'rs'], 3: ['resources', 'rs'], 4: ['resourceNames', 'rs'], 5: ['nonResourceURLs', 'rs'] };
const SUBJECT: Schema = { 1: ['kind', 's'], 2: ['apiGroup', 's'], 3: ['name', 's'], 4: ['namespace', 's'] };
const ROLE_REF: Schema = { 1: ['apiGroup', 's'], 2: ['kind', 's'], 3: ['name', 's'] };
const RESOURCE_ATTRS: Schema = {
  1: ['namespace', 's'],
  2: ['verb', 's'],
  3: ['group', 's'],
  4: ['version', 's'],
  5: ['resource', 's'],
  6: ['subresource', 's'],
  7: ['name', 's'],
};
const NON_RESOURCE_ATTRS: Schema = { 1: ['path', 's'], 2: ['verb', 's'] };

const KINDS: Record<string, Schema> = {
  Secret: { 1: ['metadata', OBJECT_META], 2: ['data', 'msb'], 3: ['type', 's'], 4: ['stringData', 'mss'], 5: ['immutable', 'bool'] },
  ConfigMap: { 1: ['metadata', OBJECT_META], 2: ['data', 'mss'], 3: ['binaryData', 'msb'], 4: ['immutable', 'bool'] },
  Namespace: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', 'rs'] }], 3: ['status', { 1: ['phase', 's'] }] },
  ServiceAccount: {
    1: ['metadata', OBJECT_META],
    2: ['secrets', [OBJECT_REF]],
    3: ['imagePullSecrets', [{ 1: ['name', 's'] }]],
    4: ['automountServiceAccountToken', 'bool'],
  },
  Role: { 1: ['metadata', OBJECT_META], 2: ['rules', [POLICY_RULE]] },
  ClusterRole: { 1: ['metadata', OBJECT_META], 2: ['rules', [POLICY_RULE]] },
  RoleBinding: { 1: ['metadata', OBJECT_META], 2: ['subjects', [SUBJECT]], 3: ['roleRef', ROLE_REF] },
  ClusterRoleBinding: { 1: ['metadata', OBJECT_META], 2: ['subjects', [SUBJECT]], 3: ['roleRef', ROLE_REF] },
  SelfSubjectAccessReview: {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['resourceAttributes', RESOURCE_ATTRS], 2: ['nonResourceAttributes', NON_RESOURCE_ATTRS] }],
  },
  // kubectl create token (authentication/v1 TokenRequestSpec: audiences 1, expirationSeconds 4)
  TokenRequest: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['audiences', 'rs'], 4: ['expirationSeconds', 'int?'] }] },
};

function decodeMessage(buf: Buffer, schema: Schema): Record<string, any> {
  const out: Record<string, any> = {};
  for (const f of checkedFields(buf, schema)) {
    const entry = schema[f.no];
    if (!entry) continue; // fields we do not model are dropped, like unknown fields in a lenient decoder
    const [name, kind] = entry;
    const str = () => f.bytes!.toString('utf8');
    // Go's non-pointer fields are always encoded; their zero values mean "unset" in JSON (omitempty)
    if (kind === 's') {
      if (f.bytes!.length > 0) out[name] = str();
    } else if (kind === 's?') out[name] = str();
    else if (kind === 'int?') out[name] = Number(BigInt.asIntN(64, f.varint!));
    else if (kind === 'bytes') out[name] = f.bytes!.toString('base64');
    else if (kind === 'int') {
      if (f.varint !== 0n) out[name] = Number(BigInt.asIntN(64, f.varint!));
    } else if (kind === 'bool') out[name] = f.varint !== 0n;
    else if (kind === 'rs') (out[name] ??= []).push(str());
    else if (kind === 'time') {
      const t = decodeMessage(f.bytes!, TIME);
      if ((t.seconds ?? 0) > 0) out[name] = new Date((t.seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    } else if (kind === 'mss' || kind === 'msb') {
      const kv = decodeMessage(f.bytes!, { 1: ['k', 's'], 2: ['v', kind === 'mss' ? 's' : 'bytes'] });
      (out[name] ??= {})[kv.k ?? ''] = kv.v ?? '';
    } else if (Array.isArray(kind)) (out[name] ??= []).push(decodeMessage(f.bytes!, kind[0]));
    else out[name] = decodeMessage(f.bytes!, kind);
  }
  return out;
}

// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto: DeleteOptions and Preconditions.
// Field 6 (ignoreStoreReadErrorWithClusterBreakingPotential) is not modelled and dropped.
const PRECONDITIONS: Schema = { 1: ['uid', 's?'], 2: ['resourceVersion', 's?'] };
const DELETE_OPTIONS: Schema = {
  1: ['gracePeriodSeconds', 'int?'],
  2: ['preconditions', PRECONDITIONS],
  3: ['orphanDependents', 'bool'],
  4: ['propagationPolicy', 's?'],
  5: ['dryRun', 'rs'],
};
// k8s.io/apimachinery/pkg/runtime/generated.proto: Unknown { TypeMeta typeMeta = 1; bytes raw = 2; string contentEncoding = 3; string contentType = 4 }
const UNKNOWN: Schema = {
  1: ['typeMeta', { 1: ['apiVersion', 's'], 2: ['kind', 's'] }],
  2: ['raw', 'bytes'],
  3: ['contentEncoding', 's'],
  4: ['contentType', 's'],
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Buffer;
}

/** Malformed protobuf is the client's fault: 400 with the decoder's reason, like a bad JSON body. */
function decodeOrBadRequest(buf: Buffer, schema: Schema, what: string): Record<string, any> {
  try {
    return decodeMessage(buf, schema);
  } catch (e) {
    throw badRequest(`error decoding ${what} from protobuf: ${(e as Error).message}`);
  }
}

function decodeEnvelope(body: Buffer): Envelope {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  const unknown = decodeOrBadRequest(body.subarray(4), UNKNOWN, 'the runtime.Unknown envelope');
  if (unknown.contentEncoding) throw unsupportedMediaType(`protobuf bodies with contentEncoding "${unknown.contentEncoding}" are not supported`);
  return { apiVersion: unknown.typeMeta?.apiVersion ?? '', kind: unknown.typeMeta?.kind ?? '', raw: Buffer.from(unknown.raw ?? '', 'base64') };
}

/** Decode an application/vnd.kubernetes.protobuf body into the JSON form of the object. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, any> {
  const { apiVersion, kind, raw } = decodeEnvelope(body);
  const schema = KINDS[kind];
  if (!schema) throw unsupportedMediaType(`the embedded API server cannot decode protobuf for kind "${kind}"; send application/json`);
  return { apiVersion, kind, ...decodeOrBadRequest(raw, schema, kind) };
}

/**
 * The DeleteOptions client-go sends as protobuf with a DELETE (helm's release Secrets), in the JSON
 * form (no apiVersion/kind: callers normalise). Any apiVersion is accepted, as the real server does
 * for DeleteOptions ("v1" from core clients, "meta.k8s.io/v1", a group's own version).
 */
export function decodeDeleteOptionsProtobuf(body: Buffer): Record<string, any> {
  const { kind, raw } = decodeEnvelope(body);
  if (kind !== 'DeleteOptions') throw badRequest(`decoded object cannot be converted to DeleteOptions (the protobuf envelope holds kind "${kind}")`);
  return decodeOrBadRequest(raw, DELETE_OPTIONS, 'DeleteOptions');
}
