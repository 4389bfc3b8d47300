// Field trees of built-in kinds whose nested typos matter to certgate users (Ingress TLS config),
// used only to find unknown fields for strict decoding, as the real server's typed decoder does.
import type { StructuralSchema } from './schema-validate.ts';

const obj = (properties: Record<string, StructuralSchema>): StructuralSchema => ({ type: 'object', properties });
const arr = (items: StructuralSchema): StructuralSchema => ({ type: 'array', items });
const str: StructuralSchema = { type: 'string' };
const map: StructuralSchema = { type: 'object', additionalProperties: { type: 'string' } };

const backend = obj({
  service: obj({ name: str, port: obj({ name: str, number: { type: 'integer' } }) }),
  resource: obj({ apiGroup: str, kind: str, name: str }),
});

export const BUILTIN_FIELD_TREES: Record<string, StructuralSchema> = {
  'networking.k8s.io/Ingress': obj({
    spec: obj({
      ingressClassName: str,
      defaultBackend: backend,
      tls: arr(obj({ hosts: arr(str), secretName: str })),
      rules: arr(obj({ host: str, http: obj({ paths: arr(obj({ path: str, pathType: str, backend })) }) })),
    }),
    status: obj({
      loadBalancer: obj({ ingress: arr(obj({ ip: str, hostname: str, ports: arr(obj({ port: { type: 'integer' }, protocol: str, error: str })) })) }),
    }),
  }),
  'networking.k8s.io/IngressClass': obj({
    spec: obj({ controller: str, parameters: obj({ apiGroup: str, kind: str, name: str, namespace: str, scope: str }) }),
  }),
  '/Secret': obj({ data: map, stringData: map, type: str, immutable: { type: 'boolean' } }),
  '/ConfigMap': obj({ data: map, binaryData: map, immutable: { type: 'boolean' } }),
};
