// Puts the serving CAs into the caBundle of every webhook in our Mutating- and
// ValidatingWebhookConfiguration, so the API server trusts the certificate we serve.
// During a CA rotation caBundle holds the new CA and the previous one (PEM concatenation), so a
// replica still serving a certificate from the old CA keeps working until it re-reads the Secret.
// caBundle is ours: anything else found in it is replaced, and a certificate certgate did not put
// there is logged as a warning (a foreign CA in caBundle could impersonate the webhook).
import { X509Certificate } from 'node:crypto';
import { Resources } from '../../api/resources.ts';
import { isConflict, type KubeClient, type KubernetesObject } from '../../lib/kube/client.ts';
import { childLogger, type Logger } from '../../lib/log.ts';
import { splitPemCertificates } from '../../lib/pki/index.ts';
import { CA_COMMON_NAME, certFacts, type ServingBundle } from './certs.ts';
import { previousCaIsTrusted } from './secret-store.ts';

interface WebhookConfiguration extends KubernetesObject {
  webhooks?: Array<{ name: string; clientConfig?: { caBundle?: string } }>;
}

/** The CAs to publish at `now`: the current one, then the previous one while it is still trusted. Expired CAs never. */
export function caBundleFor(bundle: ServingBundle, now: Date): string {
  const cas = [bundle.caCertPem];
  if (previousCaIsTrusted(bundle.previousCa, now)) cas.push(bundle.previousCa.certPem);
  const live = cas.filter((pem) => certFacts(pem).notAfter > now);
  if (live.length === 0) throw new Error('every webhook CA has expired; refusing to publish an empty caBundle');
  // Joined without a trailing newline, so a single CA is byte for byte the Secret's ca.crt.
  return live.map((pem) => pem.trim()).join('\n');
}

const derOf = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/** Describes (for the log) what an existing caBundle held that the new one drops and certgate did not put there. */
function foreignEntries(oldCaBundleB64: string | undefined, newPem: string): string[] {
  if (!oldCaBundleB64) return [];
  const text = Buffer.from(oldCaBundleB64, 'base64').toString('utf8');
  const keep = new Set(splitPemCertificates(newPem).map(derOf));
  const found: string[] = [];
  const blocks = splitPemCertificates(text);
  if (blocks.length === 0 && text.trim()) found.push('data that is not a PEM certificate');
  for (const block of blocks) {
    if (keep.has(derOf(block))) continue;
    try {
      const cert = new X509Certificate(block);
      if (cert.subject !== `CN=${CA_COMMON_NAME}`) found.push(`${cert.subject} (sha256 ${cert.fingerprint256})`);
    } catch {
      found.push('a PEM block that does not parse');
    }
  }
  return found;
}

/**
 * Writes caBundlePem (one or more PEM certificates) into every webhook of both configurations named
 * configName. Returns the names of the configurations that were changed; missing ones are skipped.
 */
export async function patchCaBundles(
  client: KubeClient,
  configName: string,
  caBundlePem: string,
  logger: Logger = childLogger({ component: 'webhook' }),
): Promise<string[]> {
  const caBundle = Buffer.from(caBundlePem, 'utf8').toString('base64');
  const changed: string[] = [];
  for (const resource of [Resources.MutatingWebhookConfiguration, Resources.ValidatingWebhookConfiguration]) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cfg = await client.get<WebhookConfiguration>(resource, undefined, configName);
      if (!cfg?.webhooks?.length) break;
      if (cfg.webhooks.every((w) => w.clientConfig?.caBundle === caBundle)) break;
      const foreign = cfg.webhooks.flatMap((w) => foreignEntries(w.clientConfig?.caBundle, caBundlePem).map((what) => `${w.name}: ${what}`));
      for (const w of cfg.webhooks) w.clientConfig = { ...w.clientConfig, caBundle };
      try {
        await client.replace(resource, cfg);
        changed.push(`${resource.kind}/${configName}`);
        if (foreign.length > 0)
          logger.warn(
            { configuration: `${resource.kind}/${configName}`, replaced: [...new Set(foreign)] },
            'caBundle held certificates certgate did not put there; replaced them with the webhook CA',
          );
        break;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
  }
  return changed;
}
