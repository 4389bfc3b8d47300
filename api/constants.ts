// Names that users and other tools see: annotations, labels, condition types and reasons, Secret keys.
// The cert-manager ones are spelled exactly as cert-manager spells them so existing manifests,
// dashboards and scripts keep working.

/** Annotations read from Ingresses (ingress-shim) to create Certificates. */
export const IngressAnnotations = Object.freeze({
  Issuer: 'cert-manager.io/issuer',
  ClusterIssuer: 'cert-manager.io/cluster-issuer',
  IssuerKind: 'cert-manager.io/issuer-kind',
  IssuerGroup: 'cert-manager.io/issuer-group',
  CommonName: 'cert-manager.io/common-name',
  EmailSANs: 'cert-manager.io/email-sans',
  /** Extra DNS names, comma-separated, added to every tls entry's hosts. */
  AltNames: 'cert-manager.io/alt-names',
  /** Extra IP addresses, comma-separated, added to every tls entry's IP hosts. */
  IPSANs: 'cert-manager.io/ip-sans',
  Duration: 'cert-manager.io/duration',
  RenewBefore: 'cert-manager.io/renew-before',
  RenewBeforePercentage: 'cert-manager.io/renew-before-percentage',
  Usages: 'cert-manager.io/usages',
  RevisionHistoryLimit: 'cert-manager.io/revision-history-limit',
  PrivateKeyAlgorithm: 'cert-manager.io/private-key-algorithm',
  PrivateKeyEncoding: 'cert-manager.io/private-key-encoding',
  PrivateKeySize: 'cert-manager.io/private-key-size',
  PrivateKeyRotationPolicy: 'cert-manager.io/private-key-rotation-policy',
  SecretTemplate: 'cert-manager.io/secret-template',
  SubjectOrganizations: 'cert-manager.io/subject-organizations',
  SubjectOrganizationalUnits: 'cert-manager.io/subject-organizationalunits',
  SubjectCountries: 'cert-manager.io/subject-countries',
  SubjectProvinces: 'cert-manager.io/subject-provinces',
  SubjectLocalities: 'cert-manager.io/subject-localities',
  SubjectPostalCodes: 'cert-manager.io/subject-postalcodes',
  SubjectStreetAddresses: 'cert-manager.io/subject-streetaddresses',
  SubjectSerialNumber: 'cert-manager.io/subject-serialnumber',
  /** Legacy: any value "true" asks for a certificate from the default issuer (kube-lego style). */
  TLSACME: 'kubernetes.io/tls-acme',
  /** Add the HTTP-01 route to this Ingress instead of creating a solver Ingress. */
  HTTP01EditInPlace: 'acme.cert-manager.io/http01-edit-in-place',
  /** Ingress class annotation set on the solver Ingress for this Ingress's challenges. */
  HTTP01IngressClass: 'acme.cert-manager.io/http01-ingress-class',
  /** spec.ingressClassName set on the solver Ingress for this Ingress's challenges. */
  HTTP01IngressClassName: 'acme.cert-manager.io/http01-ingress-ingressclassname',
});

/** Annotations on Certificates (set by the ingress shim or by hand), cert-manager's names. */
export const CertificateAnnotations = Object.freeze({
  /** Solve HTTP-01 by adding a path to this Ingress (set from http01-edit-in-place). */
  HTTP01IngressNameOverride: 'acme.cert-manager.io/http01-override-ingress-name',
  /** Ingress class annotation for the solver Ingress. */
  HTTP01IngressClassOverride: 'acme.cert-manager.io/http01-override-ingress-class',
  /** spec.ingressClassName for the solver Ingress. */
  HTTP01IngressClassNameOverride: 'acme.cert-manager.io/http01-override-ingress-ingressclassname',
  /** "true": put a temporary self-signed certificate in the Secret while the real one is issued. */
  IssueTemporaryCertificate: 'cert-manager.io/issue-temporary-certificate',
  /** The parent (kind and name, namespace optional) the HTTP-01 HTTPRoute attaches to; the gateway shim sets kind Gateway and its name. */
  HTTP01ParentRefKind: 'acme.cert-manager.io/http01-parentrefkind',
  HTTP01ParentRefName: 'acme.cert-manager.io/http01-parentrefname',
  HTTP01ParentRefNamespace: 'acme.cert-manager.io/http01-parentrefnamespace',
});

/** Annotations certgate writes on Secrets, as cert-manager does. */
export const SecretAnnotations = Object.freeze({
  AltNames: 'cert-manager.io/alt-names',
  IPSANs: 'cert-manager.io/ip-sans',
  URISANs: 'cert-manager.io/uri-sans',
  EmailSANs: 'cert-manager.io/email-sans',
  CommonName: 'cert-manager.io/common-name',
  SubjectOrganizations: 'cert-manager.io/subject-organizations',
  CertificateName: 'cert-manager.io/certificate-name',
  IssuerName: 'cert-manager.io/issuer-name',
  IssuerKind: 'cert-manager.io/issuer-kind',
  IssuerGroup: 'cert-manager.io/issuer-group',
});

/** Annotations certgate writes on CertificateRequests, as cert-manager does. */
export const CertificateRequestAnnotations = Object.freeze({
  CertificateName: 'cert-manager.io/certificate-name',
  /** The Certificate revision this request was created for (string of an integer). */
  CertificateRevision: 'cert-manager.io/certificate-revision',
  /** Name of the Secret holding the private key whose public key is in the CSR. */
  PrivateKeySecretName: 'cert-manager.io/private-key-secret-name',
  /**
   * certgate: ARI id (RFC 9773) of the certificate this request renews; becomes the Order's
   * spec.replaces, sent in newOrder as `replaces` (the CA exempts such renewals from rate limits).
   */
  Replaces: 'certgate.io/ari-replaces',
});

/** Labels. */
export const Labels = Object.freeze({
  /** cert-manager's label on Secrets it manages ("for attention of" the controller); value "true". */
  ControllerFAO: 'controller.cert-manager.io/fao',
  /** Set on solver Ingresses and Services for HTTP-01; value "true". */
  HTTP01Solver: 'acme.cert-manager.io/http01-solver',
  /** Hash of the domain being solved, on HTTP-01 solver objects. */
  HTTP01Domain: 'acme.cert-manager.io/http-domain',
  /** Hash of the token being solved, on HTTP-01 solver objects. */
  HTTP01Token: 'acme.cert-manager.io/http-token',
  /** certgate: set to "true" on every object certgate creates and owns. */
  Managed: 'certgate.io/managed',
  /** certgate: namespace mode. A Namespace labelled certgate.io/tls=<issuer> gets TLS enforced by the webhook. */
  NamespaceTLS: 'certgate.io/tls',
});

export const LabelValues = Object.freeze({ True: 'true' });

/** Finalizers. */
export const Finalizers = Object.freeze({
  /** On Challenges until their DNS record or HTTP route is cleaned up (cert-manager >= 1.14). */
  ACMEChallenge: 'acme.cert-manager.io/finalizer',
  /** The name older cert-manager versions used; still removed when found. */
  ACMEChallengeLegacy: 'finalizer.acme.cert-manager.io',
});

/** Keys of a kubernetes.io/tls Secret. */
export const SecretKeys = Object.freeze({
  Certificate: 'tls.crt',
  PrivateKey: 'tls.key',
  CA: 'ca.crt',
});

/** Condition types per resource. */
export const ConditionTypes = Object.freeze({
  Ready: 'Ready',
  /** Certificate: an issuance is in progress (True) or has failed (False, reason Failed). */
  Issuing: 'Issuing',
  /** CertificateRequest. */
  Approved: 'Approved',
  Denied: 'Denied',
  InvalidRequest: 'InvalidRequest',
});

/** Reasons on a Certificate's Ready and Issuing conditions (cert-manager's spelling). */
export const CertificateReasons = Object.freeze({
  Ready: 'Ready',
  DoesNotExist: 'DoesNotExist',
  MissingData: 'MissingData',
  InvalidKeyPair: 'InvalidKeyPair',
  InvalidCertificate: 'InvalidCertificate',
  IncorrectIssuer: 'IncorrectIssuer',
  IncorrectCertificate: 'IncorrectCertificate',
  SecretMismatch: 'SecretMismatch',
  /** The current revision's CertificateRequest asked for another duration or isCA. */
  RequestChanged: 'RequestChanged',
  Expired: 'Expired',
  Renewing: 'Renewing',
  Issuing: 'Issuing',
  Failed: 'Failed',
  ManuallyTriggered: 'ManuallyTriggered',
  SecretTemplateMismatch: 'SecretTemplateMismatch',
});

/** Reasons on a CertificateRequest's conditions. */
export const CertificateRequestReasons = Object.freeze({
  Pending: 'Pending',
  Issued: 'Issued',
  Failed: 'Failed',
  Denied: 'Denied',
  /** Reason of the Approved condition set by the built-in approver; its message names the approver. */
  AutoApproved: 'cert-manager.io',
});

/** Reasons on an Issuer's or ClusterIssuer's Ready condition. */
export const IssuerReasons = Object.freeze({
  ACMEAccountRegistered: 'ACMEAccountRegistered',
  ErrRegisterACMEAccount: 'ErrRegisterACMEAccount',
  ErrInitIssuer: 'ErrInitIssuer',
  KeyPairVerified: 'KeyPairVerified',
  ErrGetKeyPair: 'ErrGetKeyPair',
  ErrInvalidKeyPair: 'ErrInvalidKeyPair',
  IsReady: 'IsReady',
});

/** The group accepted in issuerRef.group. */
export const ISSUER_GROUP = 'cert-manager.io';

/** Final ACME states: an Order or Challenge in one of these is never processed again. */
export const FINAL_ACME_STATES: ReadonlySet<string> = new Set(['valid', 'invalid', 'expired', 'errored']);
