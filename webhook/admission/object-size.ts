// What one admission request may hold. The API server refuses to store an object over 3 MiB (its
// request limit), so a larger one cannot be legitimate: it is denied before any rule runs, and the
// rules themselves are linear in the object's size, so anything under the cap is answered quickly.
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;

/**
 * The serialized size of the request's object when it is over the cap, else undefined. bodyBytes
 * (the whole AdmissionReview) bounds it from above, so the usual request is not serialized again.
 */
export function oversizedObjectBytes(object: unknown, bodyBytes: number, limit = MAX_OBJECT_BYTES): number | undefined {
  if (bodyBytes <= limit) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(object) ?? '');
  return bytes > limit ? bytes : undefined;
}
