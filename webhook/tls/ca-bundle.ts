// Puts the serving CA into the caBundle of every webhook in our Mutating- and
// ValidatingWebhookConfiguration, so the API server trusts the certificate we serve.
import { Resources } from '../../api/resources.ts';
import { isConflict, type KubeClient, type KubernetesObject } from '../../lib/kube/client.ts';

interface WebhookConfiguration extends KubernetesObject {
  webhooks?: Array<{ name: string; clientConfig?: { caBundle?: string } }>;
}

/** Returns the names of the configurations that were changed; missing configurations are skipped. */
export async function patchCaBundles(client: KubeClient, configName: string, caCertPem: string): Promise<string[]> {
  const caBundle = Buffer.from(caCertPem, 'utf8').toString('base64');
  const changed: string[] = [];
  for (const resource of [Resources.MutatingWebhookConfiguration, Resources.ValidatingWebhookConfiguration]) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cfg = await client.get<WebhookConfiguration>(resource, undefined, configName);
      if (!cfg?.webhooks?.length) break;
      if (cfg.webhooks.every((w) => w.clientConfig?.caBundle === caBundle)) break;
      for (const w of cfg.webhooks) w.clientConfig = { ...w.clientConfig, caBundle };
      try {
        await client.replace(resource, cfg);
        changed.push(`${resource.kind}/${configName}`);
        break;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
  }
  return changed;
}
