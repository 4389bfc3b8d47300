// cert-manager's Issuer validation tables (internal/apis/certmanager/validation/issuer_test.go and
// util/nameserver_test.go), carried over as inputs and outcomes. cert-manager's tests call one
// validation function at a time; here each input is wrapped in the Issuer a user would apply.
// Fixture notes: cert-manager's ACME fixture has server "valid-server" and email "valid-email",
// which certgate refuses (acme-server-invalid, acme-email-invalid: two cases below say so); every
// other case uses an https server and a real address so it tests what its name says. Where a case
// is not about the DNS provider, its Google Cloud DNS solver is an RFC 2136 one; the cases about
// the providers' own settings use the provider they name.
import { runParityTable, type ParityCase, type ParityTable } from './harness.test-data.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const issuer = (spec: Record<string, unknown>) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Issuer',
  metadata: { name: 'test', namespace: 'default' },
  spec,
});
const ok = (name: string, spec: Record<string, unknown>, extra: Partial<ParityCase> = {}): ParityCase => ({
  name,
  object: issuer(spec),
  certManager: 'accepted',
  ...extra,
});
const no = (name: string, spec: Record<string, unknown>, refusedAt?: string, extra: Partial<ParityCase> = {}): ParityCase => ({
  name,
  object: issuer(spec),
  certManager: 'refused',
  refusedAt,
  ...extra,
});
const UNSUPPORTED = (why: string) => ({ differs: { rule: 'unsupported-field' as const, why } });

const secretRef = { name: 'valid', key: 'validkey' };
const rfc2136 = { rfc2136: { nameserver: '127.0.0.1' } };
const acmeBase = { server: 'https://acme.example.com/directory', email: 'ops@example.com', privateKeySecretRef: secretRef };
const acme = (over: Record<string, unknown> = {}) => ({ acme: { ...acmeBase, ...over } });
const withSolver = (solver: Record<string, unknown>) => acme({ solvers: [solver] });
const http01 = (h: Record<string, unknown>) => withSolver({ http01: h });
const dns01 = (d: Record<string, unknown>) => withSolver({ dns01: d });
const ns = (nameserver: string) => dns01({ rfc2136: { nameserver } });
const azure = (a: Record<string, unknown>) => dns01({ azureDNS: a });
const azureSecret = { name: 'some-secret-name', key: 'some-key' };

const caBundle = Buffer.from(readFileSync(fileURLToPath(new URL('./test-ca.pem', import.meta.url)), 'utf8')).toString('base64');

const vault = (v: Record<string, unknown>) => ({ vault: v });
const vaultOk = { server: 'something', path: 'a/b/c', auth: { tokenSecretRef: secretRef } };
const vaultAuth = (auth: Record<string, unknown>) => vault({ server: 'https://vault.example.com', path: 'pki', auth });
const VAULT = UNSUPPORTED('the Vault issuer is not implemented');
const venafi = (v: Record<string, unknown>) => ({ venafi: v });
const VENAFI = UNSUPPORTED('the Venafi issuer is not implemented');
const ngts = {
  url: 'https://api.example.paloaltonetworks.com/ngts',
  tokenEndpoint: 'https://auth.example.com/oauth2/token',
  tsgID: '123456789',
  credentialsRef: { name: 'ngts-secret' },
};
const gateway = (parentRefs: unknown[]) => http01({ gatewayHTTPRoute: { parentRefs } });
const NAMESERVERS = UNSUPPORTED('per-solver propagation-check nameservers are not implemented');

export const issuerTable: ParityTable = {
  source: 'issuer_test.go',
  cases: [
    // TestValidateVaultIssuerConfig
    no(
      'vault issuer defines both caBundle and caBundleSecretRef',
      vault({
        server: 'https://vault.example.com',
        path: 'secret/path',
        caBundle,
        caBundleSecretRef: { name: 'test-secret', key: 'ca.crt' },
        auth: { tokenSecretRef: secretRef },
      }),
      'spec.vault',
    ),
    ok('valid vault issuer', vault(vaultOk), VAULT),
    no('vault issuer with missing fields', vault({}), 'spec.vault'),
    no(
      'vault issuer with a CA bundle containing no valid certificates',
      vault({ ...vaultOk, caBundle: Buffer.from('invalid').toString('base64') }),
      'spec.vault',
    ),
    no(
      'vault issuer define clientCertSecretRef but not clientKeySecretRef',
      vault({
        server: 'https://vault.example.com',
        path: 'secret/path',
        caBundleSecretRef: { name: 'test-secret', key: 'ca.crt' },
        clientCertSecretRef: { name: 'test-secret', key: 'tls.crt' },
        auth: { tokenSecretRef: secretRef },
      }),
      'spec.vault',
    ),
    no(
      'vault issuer define clientKeySecretRef but not clientCertSecretRef',
      vault({
        server: 'https://vault.example.com',
        path: 'secret/path',
        caBundleSecretRef: { name: 'test-secret', key: 'ca.crt' },
        clientKeySecretRef: { name: 'test-secret', key: 'tls.key' },
        auth: { tokenSecretRef: secretRef },
      }),
      'spec.vault',
    ),
    no(
      "invalid vault issuer: path contains '..' segments",
      vault({ server: 'https://vault.example.com', path: 'pki/../sys/seal', auth: { tokenSecretRef: secretRef } }),
      'spec.vault',
    ),
    // TestValidateVaultIssuerAuth
    ok(
      'valid auth: all three auth types can be set simultaneously',
      vaultAuth({
        appRole: { roleId: 'role-id', secretRef: { name: 'secret', key: 'key' }, path: 'path' },
        tokenSecretRef: secretRef,
        kubernetes: { path: 'path', role: 'role', serviceAccountRef: { name: 'service-account' } },
      }),
      VAULT,
    ),
    ok('valid auth.tokenSecretRef', vaultAuth({ tokenSecretRef: { name: 'secret', key: 'key' } }), VAULT),
    ok('invalid auth.tokenSecretRef: key can be omitted', vaultAuth({ tokenSecretRef: { name: 'secret' } }), VAULT),
    ok('valid auth.appRole', vaultAuth({ appRole: { roleId: 'role-id', secretRef: { name: 'secret', key: 'key' }, path: 'path' } }), VAULT),
    ok('valid auth.appRole: key can be omitted', vaultAuth({ appRole: { roleId: 'role-id', secretRef: { name: 'secret' }, path: 'path' } }), VAULT),
    no('invalid auth.appRole: roleId is required', vaultAuth({ appRole: { secretRef: { name: 'secret', key: 'key' }, path: 'path' } }), 'spec.vault'),
    ok('valid auth.clientCertificate: all fields can be empty', vaultAuth({ clientCertificate: {} }), VAULT),
    ok('valid auth.kubernetes.secretRef: key can be left empty', vaultAuth({ kubernetes: { secretRef: { name: 'secret' }, role: 'role' } }), VAULT),
    ok(
      'valid auth.kubernetes.serviceAccountRef',
      vaultAuth({ kubernetes: { path: 'path', role: 'role', serviceAccountRef: { name: 'service-account' } } }),
      VAULT,
    ),
    no('invalid auth.kubernetes: role is required', vaultAuth({ kubernetes: { path: 'path', serviceAccountRef: { name: 'service-account' } } }), 'spec.vault'),
    no(
      'invalid auth.kubernetes: secretRef and serviceAccountRef mutually exclusive',
      vaultAuth({ kubernetes: { secretRef: { name: 'secret' }, serviceAccountRef: { name: 'service-account' }, role: 'role' } }),
      'spec.vault',
    ),
    ok('valid auth.aws', vaultAuth({ aws: { role: 'my-role' } }), VAULT),
    ok(
      'valid auth.aws with serviceAccountRef',
      vaultAuth({ aws: { role: 'my-role', serviceAccountRef: { name: 'service-account' }, iamRoleArn: 'arn:aws:iam::123456789012:role/my-role' } }),
      VAULT,
    ),
    no('invalid auth.aws: role is required', vaultAuth({ aws: {} }), 'spec.vault'),
    no(
      'invalid auth.aws: serviceAccountRef.name is required',
      vaultAuth({ aws: { role: 'my-role', serviceAccountRef: {}, iamRoleArn: 'arn:aws:iam::123456789012:role/my-role' } }),
      'spec.vault',
    ),
    no(
      'invalid auth.aws: iamRoleArn is required when serviceAccountRef is set',
      vaultAuth({ aws: { role: 'my-role', serviceAccountRef: { name: 'service-account' } } }),
      'spec.vault',
    ),
    no(
      "invalid auth.appRole: path contains '..' segments",
      vaultAuth({ appRole: { roleId: 'role-id', secretRef: { name: 'secret', key: 'key' }, path: '../../sys/seal' } }),
      'spec.vault',
    ),
    no("invalid auth.clientCertificate: path contains '..' segments", vaultAuth({ clientCertificate: { path: '../other' } }), 'spec.vault'),
    no(
      "invalid auth.kubernetes: path contains '..' segments",
      vaultAuth({ kubernetes: { path: '../other', role: 'role', serviceAccountRef: { name: 'service-account' } } }),
      'spec.vault',
    ),
    no("invalid auth.aws: mountPath contains '..' segments", vaultAuth({ aws: { role: 'my-role', mountPath: '../other' } }), 'spec.vault'),
    ok(
      'valid auth: all five auth types can be set simultaneously',
      vaultAuth({
        appRole: { roleId: 'role-id', secretRef: { name: 'secret', key: 'key' }, path: 'path' },
        tokenSecretRef: secretRef,
        kubernetes: { path: 'path', role: 'role', serviceAccountRef: { name: 'service-account' } },
        aws: { role: 'aws-role' },
      }),
      VAULT,
    ),

    // TestValidateACMEIssuerConfig
    ok('valid acme issuer', acme()),
    ok('valid acme issuer (cert-manager\'s fixture: server "valid-server")', acme({ server: 'valid-server' }), {
      differs: { rule: 'acme-server-invalid', why: 'the ACME server must be an https directory URL; "valid-server" can never work' },
    }),
    ok('valid acme issuer (cert-manager\'s fixture: email "valid-email")', acme({ email: 'valid-email' }), {
      differs: { rule: 'acme-email-invalid', why: 'the CA sends expiry notices to the email; a value that is not an address is a typo' },
    }),
    no('acme issuer with missing fields', { acme: {} }, 'spec.acme'),
    no(
      'acme issuer with an invalid CA bundle',
      acme({ caBundle: Buffer.from('abc123').toString('base64'), solvers: [{ dns01: rfc2136 }] }),
      'spec.acme.caBundle',
    ),
    no('acme issuer with both a CA bundle and SkipTLSVerify', acme({ caBundle, skipTLSVerify: true, solvers: [{ dns01: rfc2136 }] }), 'spec.acme.caBundle'),
    no('acme solver without any config', withSolver({}), 'spec.acme.solvers[0]'),
    ok('acme solver with valid dns01 config', dns01(rfc2136)),
    ok(
      'acme solver with a valid waitInsteadOfSelfCheck duration',
      withSolver({ waitInsteadOfSelfCheck: '30s', dns01: rfc2136 }),
      UNSUPPORTED('certgate always checks a challenge itself before asking the CA'),
    ),
    ok(
      'acme solver with a zero waitInsteadOfSelfCheck duration',
      withSolver({ waitInsteadOfSelfCheck: '0s', dns01: rfc2136 }),
      UNSUPPORTED('certgate always checks a challenge itself before asking the CA'),
    ),
    no('acme solver with a negative waitInsteadOfSelfCheck duration', withSolver({ waitInsteadOfSelfCheck: '-5s', dns01: rfc2136 }), 'waitInsteadOfSelfCheck'),
    no(
      'acme solver with external account binding missing required fields',
      acme({ externalAccountBinding: {}, solvers: [{ dns01: rfc2136 }] }),
      'externalAccountBinding',
    ),
    ok(
      'acme solver with a valid external account binding and keyAlgorithm not set',
      acme({ externalAccountBinding: { keyID: 'test', keySecretRef: secretRef }, solvers: [{ dns01: rfc2136 }] }),
    ),
    ok(
      'acme solver with a valid external account binding and keyAlgorithm set',
      acme({ externalAccountBinding: { keyID: 'test', keySecretRef: secretRef, keyAlgorithm: 'HS384' }, solvers: [{ dns01: rfc2136 }] }),
    ),
    no('acme solver with missing http01 config type', http01({}), 'spec.acme.solvers[0].http01'),
    ok('acme solver with valid http01 ingress config', http01({ ingress: {} })),
    ok('acme solver with valid http01 gateway config', gateway([{ name: 'blah', kind: 'Gateway' }])),
    no('acme solver with invalid http01 gateway config', gateway([{ kind: 'Gateway' }]), 'spec.acme.solvers[0].http01'),
    no(
      'acme solver with multiple http01 solver configs',
      http01({ ingress: {}, gatewayHTTPRoute: { labels: { a: 'b' }, parentRefs: [{ name: 'blah', kind: 'Gateway' }] } }),
      'spec.acme.solvers[0].http01',
    ),
    ok(
      'acme issue with valid pod template ObjectMeta attributes',
      http01({ ingress: { podTemplate: { metadata: { labels: { valid_to_contain: 'labels' }, annotations: { valid_to_contain: 'annotations' } } } } }),
    ),
    ok(
      'acme issue with valid pod template PodSpec attributes',
      http01({
        ingress: {
          podTemplate: {
            spec: { nodeSelector: { valid_to_contain: 'nodeSelector' }, tolerations: [{ key: 'valid_key', operator: 'Exists', effect: 'NoSchedule' }] },
          },
        },
      }),
    ),
    ok(
      'acme issue with valid pod template ObjectMeta and PodSpec attributes',
      http01({
        ingress: { podTemplate: { metadata: { labels: { valid_to_contain: 'labels' } }, spec: { nodeSelector: { valid_to_contain: 'nodeSelector' } } } },
      }),
    ),
    // TestValidateACMEIssuerGatewayParentRefs
    no('kind without name', gateway([{ kind: 'Gateway' }]), 'gatewayHTTPRoute'),
    no('name without kind', gateway([{ name: 'test-gateway' }]), 'gatewayHTTPRoute'),
    ok('empty parentRefs array', gateway([])),
    ok('both name and kind present', gateway([{ name: 'test-gateway', kind: 'Gateway' }])),
    ok(
      'multiple valid parentRefs',
      gateway([
        { name: 'gateway-1', kind: 'Gateway' },
        { name: 'gateway-2', kind: 'Gateway' },
      ]),
    ),

    // TestValidateIssuerSpec
    ok('valid ca issuer', { ca: { secretName: 'valid' } }),
    no('ca issuer without secret name specified', { ca: {} }, 'spec.ca'),
    ok('valid self-signed issuer', { selfSigned: {} }),
    ok('valid acme issuer (IssuerSpec)', acme()),
    ok('valid vault issuer (IssuerSpec)', vault(vaultOk), VAULT),
    no('missing issuer config', {}, 'spec'),
    no('multiple issuers configured', { selfSigned: {}, ca: { secretName: 'valid' } }, 'spec'),
    ok(
      'valid ocsp url',
      { ca: { secretName: 'valid', ocspServers: ['http://ocsp.int-x3.letsencrypt.org'] } },
      UNSUPPORTED('OCSP server URLs are not added to issued certificates'),
    ),
    no('invalid ocsp url', { ca: { secretName: 'valid', ocspServers: [''] } }, 'spec.ca.ocspServers'),
    ok(
      'valid IssuingCertificateURLs',
      { ca: { secretName: 'valid', issuingCertificateURLs: ['http://ca.example.com/ca.crt'] } },
      UNSUPPORTED('AIA issuing certificate URLs are not added to issued certificates'),
    ),
    no('invalid IssuingCertificateURLs', { ca: { secretName: 'valid', issuingCertificateURLs: [''] } }, 'spec.ca.issuingCertificateURLs'),

    // TestValidateACMEIssuerHTTP01Config
    ok('ingress name field specified', http01({ ingress: { name: 'abc' } })),
    ok('ingress class field specified', http01({ ingress: { class: 'abc' } })),
    ok('ingressClassName field specified', http01({ ingress: { ingressClassName: 'abc' } })),
    ok('neither field specified', http01({ ingress: {} })),
    no('no solver config type specified', http01({}), 'spec.acme.solvers[0].http01'),
    no(
      'both ingress class and ingressClassName specified',
      http01({ ingress: { class: 'abc', ingressClassName: 'abc' } }),
      'spec.acme.solvers[0].http01.ingress',
    ),
    no('both ingress class and ingress name specified', http01({ ingress: { class: 'abc', name: 'abc' } }), 'spec.acme.solvers[0].http01.ingress'),
    no(
      'both ingressClassName and ingress name specified',
      http01({ ingress: { ingressClassName: 'abc', name: 'abc' } }),
      'spec.acme.solvers[0].http01.ingress',
    ),
    no('all three fields specified', http01({ ingress: { name: 'abc', class: 'abc', ingressClassName: 'abc' } }), 'spec.acme.solvers[0].http01.ingress'),
    no(
      'ingressClassName is invalid',
      http01({ ingress: { ingressClassName: 'azure/application-gateway' } }),
      'spec.acme.solvers[0].http01.ingress.ingressClassName',
    ),
    ok('acme issuer with valid http01 service config serviceType ClusterIP', http01({ ingress: { serviceType: 'ClusterIP' } })),
    ok(
      'acme issuer with valid http01 service config serviceType NodePort',
      http01({ ingress: { serviceType: 'NodePort' } }),
      UNSUPPORTED('no NodePort solver Service is made'),
    ),
    ok('acme issuer with valid http01 service config serviceType (empty string)', http01({ ingress: { serviceType: '' } })),
    no(
      'acme issuer with invalid http01 service config',
      http01({ ingress: { serviceType: 'InvalidServiceType' } }),
      'spec.acme.solvers[0].http01.ingress.serviceType',
    ),

    // TestValidateACMEIssuerDNS01Config (the provider-independent and RFC 2136 cases)
    no('missing provider config', dns01({}), 'spec.acme.solvers[0].dns01'),
    no('rfc2136 provider with missing nameserver', dns01({ rfc2136: {} }), 'nameserver'),
    ok('rfc2136 provider with IPv4 nameserver', ns('127.0.0.1')),
    no('rfc2136 provider with unenclosed IPv6 nameserver', ns('2001:db8::1'), 'spec.acme.solvers[0].dns01.rfc2136.nameserver'),
    no('rfc2136 provider with empty IPv6 nameserver', ns('[]:53'), 'spec.acme.solvers[0].dns01.rfc2136.nameserver'),
    ok('rfc2136 provider with IPv6 nameserver', ns('[2001:db8::1]')),
    ok('rfc2136 provider with FQDN nameserver', ns('dns.example.com')),
    ok('rfc2136 provider with hostname nameserver', ns('dns')),
    no('rfc2136 provider with nameserver without host', ns(':53'), 'spec.acme.solvers[0].dns01.rfc2136.nameserver'),
    ok('rfc2136 provider using case-camel in algorithm', dns01({ rfc2136: { nameserver: '127.0.0.1', tsigAlgorithm: 'HmAcMd5' } })),
    no(
      'rfc2136 provider using unsupported algorithm',
      dns01({ rfc2136: { nameserver: '127.0.0.1', tsigAlgorithm: 'HAMMOCK' } }),
      'spec.acme.solvers[0].dns01.rfc2136.tsigAlgorithm',
    ),
    no(
      'rfc2136 provider TSIGKeyName provided but no TSIGSecret',
      dns01({ rfc2136: { nameserver: '127.0.0.1', tsigKeyName: 'some-name' } }),
      'spec.acme.solvers[0].dns01.rfc2136.tsigSecretSecretRef',
    ),
    no(
      'rfc2136 provider TSIGSecret provided but no TSIGKeyName',
      dns01({ rfc2136: { nameserver: '127.0.0.1', tsigSecretSecretRef: secretRef } }),
      'spec.acme.solvers[0].dns01.rfc2136.tsigKeyName',
    ),
    no('multiple providers configured', dns01({ ...rfc2136, cloudflare: {} }), 'spec.acme.solvers[0].dns01'),
    ok('valid nameservers with ip:port', dns01({ nameservers: ['8.8.8.8:53', '1.1.1.1:53'], ...rfc2136 }), NAMESERVERS),
    ok('valid nameservers with hostname:port', dns01({ nameservers: ['ns.example.com:53'], ...rfc2136 }), NAMESERVERS),
    ok('valid nameservers with doh url', dns01({ nameservers: ['https://cloudflare-dns.com/dns-query'], ...rfc2136 }), NAMESERVERS),
    no('invalid nameserver missing port', dns01({ nameservers: ['8.8.8.8'], ...rfc2136 }), 'spec.acme.solvers[0].dns01.nameservers'),
    no('invalid nameserver doh url missing host', dns01({ nameservers: ['https://'], ...rfc2136 }), 'spec.acme.solvers[0].dns01.nameservers'),

    // TestValidateACMEIssuerDNS01Config: the settings of each DNS provider
    no(
      'missing clouddns project',
      dns01({ cloudDNS: { serviceAccountSecretRef: secretRef } }),
      "spec.acme.solvers[0].dns01.cloudDNS: must have required property 'project'",
    ),
    no(
      'missing clouddns service account key',
      dns01({ cloudDNS: { project: 'valid', serviceAccountSecretRef: { name: 'something', key: '' } } }),
      'spec.acme.solvers[0].dns01.cloudDNS.serviceAccountSecretRef.key',
    ),
    no(
      'missing clouddns service account name',
      dns01({ cloudDNS: { project: 'valid', serviceAccountSecretRef: { name: '', key: 'something' } } }),
      'spec.acme.solvers[0].dns01.cloudDNS.serviceAccountSecretRef.name',
    ),
    ok('clouddns serviceAccount field not set should be allowed for ambient auth', dns01({ cloudDNS: { project: 'valid' } })),
    no(
      'missing cloudflare api key fields',
      dns01({ cloudflare: { email: 'valid', apiKeySecretRef: {} } }),
      'spec.acme.solvers[0].dns01.cloudflare.apiKeySecretRef',
    ),
    no(
      'missing cloudflare api token fields',
      dns01({ cloudflare: { email: 'valid', apiTokenSecretRef: {} } }),
      'spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef',
    ),
    no('missing cloudflare api token or key', dns01({ cloudflare: { email: 'valid' } }), 'spec.acme.solvers[0].dns01.cloudflare'),
    no(
      'both cloudflare api token and key specified',
      dns01({ cloudflare: { email: 'valid', apiTokenSecretRef: secretRef, apiKeySecretRef: secretRef } }),
      'spec.acme.solvers[0].dns01.cloudflare',
    ),
    no('missing cloudflare email', dns01({ cloudflare: { apiKeySecretRef: secretRef } }), 'spec.acme.solvers[0].dns01.cloudflare.email'),
    ok('empty route53 field should be valid because ambient credentials and region may be used instead', dns01({ route53: {} })),
    no(
      'both route53 accessKeyID and accessKeyIDSecretRef specified',
      dns01({ route53: { region: 'valid', accessKeyID: 'valid', accessKeyIDSecretRef: secretRef } }),
      'spec.acme.solvers[0].dns01.route53',
    ),
    no(
      'route53 accessKeyIDSecretRef missing name',
      dns01({ route53: { region: 'valid', accessKeyIDSecretRef: { key: 'key' } } }),
      "spec.acme.solvers[0].dns01.route53.accessKeyIDSecretRef: must have required property 'name'",
    ),
    no(
      'route53 accessKeyIDSecretRef missing key',
      dns01({ route53: { region: 'valid', accessKeyIDSecretRef: { name: 'name', key: '' } } }),
      'spec.acme.solvers[0].dns01.route53.accessKeyIDSecretRef.key',
    ),
    no('missing azuredns config', azure({}), 'spec.acme.solvers[0].dns01.azureDNS'),
    no('invalid azuredns environment', azure({ environment: 'an env' }), 'spec.acme.solvers[0].dns01.azureDNS'),
    no('invalid azuredns missing clientSecret and tenantID', azure({ clientID: 'some-client-id' }), 'spec.acme.solvers[0].dns01.azureDNS'),
    no('invalid azuredns missing clientID and tenantID', azure({ clientSecretSecretRef: azureSecret }), 'spec.acme.solvers[0].dns01.azureDNS'),
    no('invalid azuredns missing clientID and clientSecret', azure({ tenantID: 'some-tenant-id' }), 'spec.acme.solvers[0].dns01.azureDNS'),
    no('invalid azuredns missing clientID', azure({ clientSecretSecretRef: azureSecret, tenantID: 'some-tenant-id' }), 'spec.acme.solvers[0].dns01.azureDNS'),
    no('invalid azuredns missing clientSecret', azure({ tenantID: 'some-tenant-id', clientID: 'some-client-id' }), 'spec.acme.solvers[0].dns01.azureDNS'),
    no(
      'invalid azuredns clientSecret missing key',
      azure({ tenantID: 'some-tenant-id', clientID: 'some-client-id', clientSecretSecretRef: { name: 'some-secret-name' } }),
      'spec.acme.solvers[0].dns01.azureDNS',
    ),
    no(
      'invalid azuredns clientSecret missing secret name',
      azure({ tenantID: 'some-tenant-id', clientID: 'some-client-id', clientSecretSecretRef: { key: 'some-key' } }),
      'spec.acme.solvers[0].dns01.azureDNS',
    ),
    no('invalid azuredns missing tenantID', azure({ clientID: 'some-client-id', clientSecretSecretRef: azureSecret }), 'spec.acme.solvers[0].dns01.azureDNS'),
    no(
      'invalid azuredns clientID used with managedIdentity',
      azure({ clientID: 'some-client-id', managedIdentity: { clientID: 'test' } }),
      'spec.acme.solvers[0].dns01.azureDNS',
    ),
    no(
      'invalid azuredns tenantID used with managedIdentity',
      azure({ tenantID: 'some-tenant-id', managedIdentity: { clientID: 'test' } }),
      'spec.acme.solvers[0].dns01.azureDNS',
    ),
    no(
      'invalid azuredns managedIdentity tenantID used without managedIdentity clientID ',
      azure({ managedIdentity: { tenantID: 'some-tenant-id' } }),
      'spec.acme.solvers[0].dns01.azureDNS',
    ),
    no(
      'invalid azuredns managedIdentity tenantID used with resourceID',
      azure({ subscriptionID: 'test', resourceGroupName: 'test', managedIdentity: { resourceID: 'test', tenantID: 'some-tenant-id' } }),
      'spec.acme.solvers[0].dns01.azureDNS.managedIdentity',
    ),
    no(
      'invalid azuredns clientSecret used with managedIdentity',
      azure({ clientSecretSecretRef: azureSecret, managedIdentity: { clientID: 'test' } }),
      'spec.acme.solvers[0].dns01.azureDNS',
    ),
    ok('valid azuredns with managedIdentity', azure({ subscriptionID: 'test', resourceGroupName: 'test' })),
    ok(
      'valid azuredns with managedIdentity with clientID',
      azure({ subscriptionID: 'test', resourceGroupName: 'test', managedIdentity: { clientID: 'test' } }),
    ),
    ok(
      'valid azuredns with managedIdentity with resourceID',
      azure({ subscriptionID: 'test', resourceGroupName: 'test', managedIdentity: { resourceID: 'test' } }),
    ),
    no(
      'invalid azuredns managedIdentity with both clientID and resourceID',
      azure({ subscriptionID: 'test', resourceGroupName: 'test', managedIdentity: { clientID: 'test', resourceID: 'test' } }),
      'spec.acme.solvers[0].dns01.azureDNS.managedIdentity',
    ),
    no('missing akamai config', dns01({ akamai: {} }), 'spec.acme.solvers[0].dns01.akamai'),
    ok(
      'valid akamai config',
      dns01({ akamai: { accessTokenSecretRef: secretRef, clientSecretSecretRef: secretRef, clientTokenSecretRef: secretRef, serviceConsumerDomain: 'abc' } }),
    ),

    // TestValidateSecretKeySelector, as a Cloudflare API token reference
    ok('valid selector', dns01({ cloudflare: { apiTokenSecretRef: { name: 'name', key: 'key' } } })),
    no(
      'missing name',
      dns01({ cloudflare: { apiTokenSecretRef: { key: 'key' } } }),
      "spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef: must have required property 'name'",
    ),
    no('missing key', dns01({ cloudflare: { apiTokenSecretRef: { name: 'name' } } }), 'spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef.key'),

    // util/nameserver_test.go, as rfc2136.nameserver values
    ok('IPv4 with no port should return port 53', ns('8.8.8.8')),
    ok('IPv4 with : but no port number should return port 53', ns('8.8.8.8:')),
    ok('IPv4 with port number should return the same', ns('8.8.8.8:5353')),
    ok('IPv6 with no port should return port 53', ns('[2001:db8::1]')),
    ok('IPv6 with : but no port number should return port 53', ns('[2001:db8::1]:')),
    ok('IPv6 with port number should return the same', ns('[2001:db8::1]:5353')),
    ok('DNS name with no port should return port 53', ns('nameserver.com')),
    ok('DNS name with : but no port number should return port 53', ns('nameserver.com:')),
    ok('DNS name with port number should return the same', ns('nameserver.com:5353')),
    no('Non unenclosed IPv6 should error', ns('2001:db8::1:5353'), 'nameserver'),
    no('Port only should error', ns(':53'), 'nameserver'),
    no('Empty nameserver should error', ns(''), 'nameserver'),

    // TestValidateVenafiIssuerConfig
    ok('venafi: valid', venafi({ zone: 'a\\b\\c', tpp: { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'c' } } }), VENAFI),
    no('venafi: missing zone', venafi({ zone: '', tpp: { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'c' } } }), 'spec.venafi'),
    no('venafi: missing configuration', venafi({ zone: 'a\\b\\c' }), 'spec.venafi'),
    no(
      'venafi: multiple configuration',
      venafi({ zone: 'a\\b\\c', tpp: { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'c' } }, cloud: { apiTokenSecretRef: secretRef } }),
      'spec.venafi',
    ),
    ok('venafi: valid NGTS configuration', venafi({ zone: 'TestApp\\Default', ngts }), VENAFI),
    no(
      'venafi: NGTS and TPP both set',
      venafi({ zone: 'TestApp\\Default', tpp: { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'c' } }, ngts }),
      'spec.venafi',
    ),
    no('venafi: NGTS and Cloud both set', venafi({ zone: 'TestApp\\Default', cloud: { apiTokenSecretRef: secretRef }, ngts }), 'spec.venafi'),
    // TestValidateVenafiTPP
    ok('venafi TPP: valid', venafi({ zone: 'z', tpp: { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'c' } } }), VENAFI),
    no('venafi TPP: missing url', venafi({ zone: 'z', tpp: { credentialsRef: { name: 'c' } } }), 'spec.venafi'),
    no(
      'venafi TPP issuer defines both caBundle and caBundleSecretRef',
      venafi({
        zone: 'z',
        tpp: { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'c' }, caBundle, caBundleSecretRef: { name: 'test-secret', key: 'ca.crt' } },
      }),
      'spec.venafi',
    ),
    // TestValidateVenafiNGTS
    ok('valid NGTS config', venafi({ zone: 'z', ngts }), VENAFI),
    ok('valid NGTS config without optional fields', venafi({ zone: 'z', ngts: { tsgID: '123456789', credentialsRef: { name: 'ngts-secret' } } }), VENAFI),
    no(
      'missing tsgID',
      venafi({ zone: 'z', ngts: { url: ngts.url, tokenEndpoint: ngts.tokenEndpoint, credentialsRef: { name: 'ngts-secret' } } }),
      'spec.venafi',
    ),
    no(
      'missing credentialsRef name',
      venafi({ zone: 'z', ngts: { url: ngts.url, tokenEndpoint: ngts.tokenEndpoint, tsgID: '123456789', credentialsRef: {} } }),
      'spec.venafi',
    ),
    no('missing all required fields', venafi({ zone: 'z', ngts: {} }), 'spec.venafi'),
  ],
};

runParityTable(issuerTable);
