// Public surface of lib/pki: keys, CSRs, signing and certificate checks.
export * from './keys.ts';
export * from './certificate-names.ts';
export * from './csr.ts';
export * from './sign.ts';
export * from './certificate.ts';
