// Decoding of the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) for the built-in
// kinds kubectl's typed clients send as protobuf (kubectl create secret/configmap/namespace/
// serviceaccount/role/rolebinding, kubectl auth can-i). Responses stay JSON, which clients accept.
import { unsupportedMediaType } from './errors.ts';

type Kind = 's' | 'bytes' | 'int' | 'bool' | 'time' | 'rs' | 'mss' | 'msb' | Schema | [Schema];
interface Schema { [fieldNo: number]: [string, Kind] }

interface RawField { no: number; wire: number; varint?: bigint; bytes?: Buffer }

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
  while (pos < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const TIME: Schema = { 1: ['seconds', 'int'], 2: ['nanos', 'int'] };
const OWNER_REF: Schema = { 1: ['kind', 's'], 3: ['name', 's'], 4: ['uid', 's'], 5: ['apiVersion', 's'], 6: ['controller', 'bool'], 7: ['blockOwnerDeletion', 'bool'] };
const OBJECT_META: Schema = {
  1: ['name', 's'], 2: ['generateName', 's'], 3: ['namespace', 's'], 5: ['uid', 's'], 6: ['resourceVersion', 's'], 7: ['generation', 'int'],
  8: ['creationTimestamp', 'time'], 9: ['deletionTimestamp', 'time'], 10: ['deletionGracePeriodSeconds', 'int'],
  11: ['labels', 'mss'], 12: ['annotations', 'mss'], 13: ['ownerReferences', [OWNER_REF]], 14: ['finalizers', 'rs'],
};
const OBJECT_REF: Schema = { 1: ['kind', 's'], 2: ['namespace', 's'], 3: ['name', 's'], 4: ['uid', 's'], 5: ['apiVersion', 's'], 6: ['resourceVersion', 's'], 7: ['fieldPath', 's'] };
const POLICY_RULE: Schema = { 1: ['verbs', 'rs'], 2: ['apiGroups', 'rs'], 3: ['resources', 'rs'], 4: ['resourceNames', 'rs'], 5: ['nonResourceURLs', 'rs'] };
const SUBJECT: Schema = { 1: ['kind', 's'], 2: ['apiGroup', 's'], 3: ['name', 's'], 4: ['namespace', 's'] };
const ROLE_REF: Schema = { 1: ['apiGroup', 's'], 2: ['kind', 's'], 3: ['name', 's'] };
const RESOURCE_ATTRS: Schema = { 1: ['namespace', 's'], 2: ['verb', 's'], 3: ['group', 's'], 4: ['version', 's'], 5: ['resource', 's'], 6: ['subresource', 's'], 7: ['name', 's'] };
const NON_RESOURCE_ATTRS: Schema = { 1: ['path', 's'], 2: ['verb', 's'] };

const KINDS: Record<string, Schema> = {
  Secret: { 1: ['metadata', OBJECT_META], 2: ['data', 'msb'], 3: ['type', 's'], 4: ['stringData', 'mss'], 5: ['immutable', 'bool'] },
  ConfigMap: { 1: ['metadata', OBJECT_META], 2: ['data', 'mss'], 3: ['binaryData', 'msb'], 4: ['immutable', 'bool'] },
  Namespace: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', 'rs'] }], 3: ['status', { 1: ['phase', 's'] }] },
  ServiceAccount: { 1: ['metadata', OBJECT_META], 2: ['secrets', [OBJECT_REF]], 3: ['imagePullSecrets', [{ 1: ['name', 's'] }]], 4: ['automountServiceAccountToken', 'bool'] },
  Role: { 1: ['metadata', OBJECT_META], 2: ['rules', [POLICY_RULE]] },
  ClusterRole: { 1: ['metadata', OBJECT_META], 2: ['rules', [POLICY_RULE]] },
  RoleBinding: { 1: ['metadata', OBJECT_META], 2: ['subjects', [SUBJECT]], 3: ['roleRef', ROLE_REF] },
  ClusterRoleBinding: { 1: ['metadata', OBJECT_META], 2: ['subjects', [SUBJECT]], 3: ['roleRef', ROLE_REF] },
  SelfSubjectAccessReview: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['resourceAttributes', RESOURCE_ATTRS], 2: ['nonResourceAttributes', NON_RESOURCE_ATTRS] }] },
};

function decodeMessage(buf: Buffer, schema: Schema): Record<string, any> {
  const out: Record<string, any> = {};
  for (const f of readFields(buf)) {
    const entry = schema[f.no];
    if (!entry) continue; // fields we do not model are dropped, like unknown fields in a lenient decoder
    const [name, kind] = entry;
    const str = () => f.bytes!.toString('utf8');
    // Go's non-pointer fields are always encoded; their zero values mean "unset" in JSON (omitempty)
    if (kind === 's') {
      if (f.bytes!.length > 0) out[name] = str();
    }
    else if (kind === 'bytes') out[name] = f.bytes!.toString('base64');
    else if (kind === 'int') {
      if (f.varint !== 0n) out[name] = Number(BigInt.asIntN(64, f.varint!));
    }
    else if (kind === 'bool') out[name] = f.varint !== 0n;
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

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decode an application/vnd.kubernetes.protobuf body into the JSON form of the object. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, any> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupportedMediaType('protobuf body without the k8s\\0 prefix');
  const unknown = decodeMessage(body.subarray(4), { 1: ['typeMeta', { 1: ['apiVersion', 's'], 2: ['kind', 's'] }], 2: ['raw', 'bytes'] });
  const kind: string = unknown.typeMeta?.kind ?? '';
  const schema = KINDS[kind];
  if (!schema) throw unsupportedMediaType(`the embedded API server cannot decode protobuf for kind "${kind}"; send application/json`);
  const obj = decodeMessage(Buffer.from(unknown.raw ?? '', 'base64'), schema);
  return { apiVersion: unknown.typeMeta.apiVersion, kind, ...obj };
}
