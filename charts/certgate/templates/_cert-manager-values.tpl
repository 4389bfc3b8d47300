{{- /*
cert-manager's chart values, mapped onto certgate's own so a cert-manager values file or command line
installs certgate (charts/certgate/README.md, "cert-manager values", has the table). Every template that
reads a mapped value includes "certgate.certManagerValues" first: it writes the cert-manager spelling into
certgate's value in .Values, once (the marker key makes a second call a no-op). A cert-manager value that is
unset (null, or absent) leaves certgate's value and default alone; a set one wins over certgate's.
*/ -}}
{{- define "certgate.certManagerValues" -}}
{{- $v := .Values -}}
{{- if not (hasKey $v "certManagerValuesApplied") -}}
{{- $_ := set $v "certManagerValuesApplied" true -}}
{{- $c := $v.controller -}}
{{- $w := $v.webhook -}}
{{- $g := default dict $v.global -}}
{{- /* installCRDs: deprecated alias of crds.enabled; as in cert-manager, either one installs the CRDs. */ -}}
{{- if $v.installCRDs }}{{ $_ := set $v.crds "enabled" true }}{{ end -}}
{{- if not (kindIs "invalid" $v.replicaCount) }}{{ $_ := set $c "replicas" $v.replicaCount }}{{ end -}}
{{- if not (kindIs "invalid" $w.replicaCount) }}{{ $_ := set $w "replicas" $w.replicaCount }}{{ end -}}
{{- /* Pod placement and metadata of cert-manager's controller Deployment are the controller's here. */ -}}
{{- range $key := list "resources" "affinity" "tolerations" "topologySpreadConstraints" }}
{{- $given := index $v $key }}
{{- if not (empty $given) }}{{ $_ := set $c $key $given }}{{ end }}
{{- end -}}
{{- range $key := list "nodeSelector" "podLabels" "podAnnotations" }}
{{- $given := index $v $key }}
{{- if not (empty $given) }}{{ $_ := set $c $key (merge (deepCopy $given) (default dict (index $c $key))) }}{{ end }}
{{- end -}}
{{- /* global.nodeSelector: every pod's; a component's own nodeSelector wins on the same key (cert-manager's documented precedence). */ -}}
{{- with $g.nodeSelector }}
{{- $_ := set $c "nodeSelector" (merge (default dict $c.nodeSelector) (deepCopy .)) }}
{{- $_ := set $w "nodeSelector" (merge (default dict $w.nodeSelector) (deepCopy .)) }}
{{- end -}}
{{- with $v.podDisruptionBudget }}
{{- $pdb := $c.podDisruptionBudget }}
{{- if hasKey . "enabled" }}{{ $_ := set $pdb "enabled" .enabled }}{{ end }}
{{- if hasKey . "minAvailable" }}{{ $_ := set $pdb "minAvailable" .minAvailable }}{{ end }}
{{- if hasKey . "maxUnavailable" }}{{ $_ := unset $pdb "minAvailable" }}{{ $_ := set $pdb "maxUnavailable" .maxUnavailable }}{{ end }}
{{- end -}}
{{- /* A PodDisruptionBudget takes one of the two: cert-manager's maxUnavailable replaces certgate's default minAvailable. */ -}}
{{- if hasKey $w.podDisruptionBudget "maxUnavailable" }}{{ $_ := unset $w.podDisruptionBudget "minAvailable" }}{{ end -}}
{{- /* serviceAccount.* is the controller's ServiceAccount (webhook.serviceAccount.* the webhook's). */ -}}
{{- with $v.serviceAccount }}
{{- $sa := $c.serviceAccount }}
{{- range $key := list "create" "name" "automountServiceAccountToken" }}
{{- if hasKey $.Values.serviceAccount $key }}{{ $_ := set $sa $key (index $.Values.serviceAccount $key) }}{{ end }}
{{- end }}
{{- range $key := list "annotations" "labels" }}
{{- with index $.Values.serviceAccount $key }}{{ $_ := set $sa $key (merge (deepCopy .) (default dict (index $sa $key))) }}{{ end }}
{{- end }}
{{- end -}}
{{- /* ingressShim.defaultIssuer*: cert-manager's default kind is Issuer. */ -}}
{{- with $v.ingressShim }}
{{- with .defaultIssuerName }}
{{- $group := default "cert-manager.io" $.Values.ingressShim.defaultIssuerGroup }}
{{- if ne $group "cert-manager.io" }}{{ fail (printf "ingressShim.defaultIssuerGroup=%s: certgate issues from cert-manager.io Issuers and ClusterIssuers only" $group) }}{{ end }}
{{- $_ := set $.Values "defaultIssuer" (printf "%s/%s" (default "Issuer" $.Values.ingressShim.defaultIssuerKind) .) }}
{{- end }}
{{- end -}}
{{- /* prometheus.servicemonitor (cert-manager's spelling) onto prometheus.serviceMonitor; prometheus.enabled=false turns every monitoring object off (the dashboard too). */ -}}
{{- $p := $v.prometheus -}}
{{- range $key, $given := $p.servicemonitor }}{{ $_ := set $p.serviceMonitor $key $given }}{{ end -}}
{{- if eq (toString $p.enabled) "false" }}
{{- $_ := set $p.serviceMonitor "enabled" false }}
{{- $_ := set $p.prometheusRule "enabled" false }}
{{- $_ := set $v.dashboard "enabled" false }}
{{- end -}}
{{- /* global.* */ -}}
{{- with $g.priorityClassName }}
{{- if not $c.priorityClassName }}{{ $_ := set $c "priorityClassName" . }}{{ end }}
{{- if not $w.priorityClassName }}{{ $_ := set $w "priorityClassName" . }}{{ end }}
{{- end -}}
{{- with $g.imagePullSecrets }}{{ $_ := set $v "imagePullSecrets" (concat (default list $v.imagePullSecrets) .) }}{{ end -}}
{{- /* cert-manager's Gateway API switch (off by default there; on here while the cluster serves the CRDs): its
controller configuration's gatewayAPI.enabled or deprecated enableGatewayAPI, or --enable-gateway-api in extraArgs. */ -}}
{{- $cfg := default dict $v.config -}}
{{- $gatewayAPI := dig "gatewayAPI" "enabled" nil $cfg -}}
{{- if kindIs "invalid" $gatewayAPI }}{{ $gatewayAPI = $cfg.enableGatewayAPI }}{{ end -}}
{{- range $v.extraArgs }}
{{- if has (toString .) (list "--enable-gateway-api" "--enable-gateway-api=true") }}{{ $gatewayAPI = true }}{{ else if eq (toString .) "--enable-gateway-api=false" }}{{ $gatewayAPI = false }}{{ end }}
{{- end -}}
{{- if not (kindIs "invalid" $gatewayAPI) }}{{ $_ := set $v.gatewayAPI "enabled" $gatewayAPI }}{{ end -}}
{{- with $g.leaderElection }}
{{- with .namespace }}{{ $_ := set $c "leaderElectionNamespace" . }}{{ end }}
{{- range $key := list "leaseDuration" "renewDeadline" "retryPeriod" }}
{{- with index $g.leaderElection $key }}{{ $_ := set $c (printf "leaderElection%s" (title $key)) . }}{{ end }}
{{- end }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The controller's ServiceAccount: its own unless serviceAccount.create=false names an existing one. */}}
{{- define "certgate.controller.serviceAccountName" -}}
{{- include "certgate.certManagerValues" . -}}
{{- $sa := .Values.controller.serviceAccount -}}
{{- if eq (toString $sa.create) "false" -}}
{{- required "serviceAccount.create=false needs serviceAccount.name: the existing ServiceAccount the controller runs as" $sa.name -}}
{{- else -}}
{{- default (include "certgate.controller.fullname" .) $sa.name -}}
{{- end -}}
{{- end -}}

{{/* The webhook's ServiceAccount, as above with webhook.serviceAccount.* */}}
{{- define "certgate.webhook.serviceAccountName" -}}
{{- $sa := .Values.webhook.serviceAccount -}}
{{- if eq (toString $sa.create) "false" -}}
{{- required "webhook.serviceAccount.create=false needs webhook.serviceAccount.name: the existing ServiceAccount the webhook runs as" $sa.name -}}
{{- else -}}
{{- default (include "certgate.webhook.fullname" .) $sa.name -}}
{{- end -}}
{{- end -}}

{{/* Namespace of the worker's leader election Lease (global.leaderElection.namespace, else the release namespace). */}}
{{- define "certgate.leaderElectionNamespace" -}}
{{- include "certgate.certManagerValues" . -}}
{{- default .Release.Namespace .Values.controller.leaderElectionNamespace -}}
{{- end -}}

{{- /*
Flags of `certgate worker` that cert-manager's controller has too, with the same meaning: cert-manager's
extraArgs passes these and drops the others (test/chart/cert-manager-values.test.ts checks each exists).
*/ -}}
{{- define "certgate.workerFlagsSharedWithCertManager" -}}
{{- list "--cluster-resource-namespace" "--namespace" "--leader-elect" "--leader-election-namespace" "--leader-election-lease-duration" "--leader-election-renew-deadline" "--leader-election-retry-period" "--dns01-recursive-nameservers" "--dns01-recursive-nameservers-only" "--enable-certificate-owner-ref" "--max-concurrent-challenges" "--gateway-api-extra-protocols" | toYaml -}}
{{- end -}}

{{/* cert-manager's extraArgs split into {passed: [...], dropped: [...]}: passed are the worker flags listed above. */}}
{{- define "certgate.certManagerExtraArgs" -}}
{{- $known := include "certgate.workerFlagsSharedWithCertManager" . | fromYamlArray -}}
{{- $out := dict "passed" list "dropped" list -}}
{{- range .Values.extraArgs -}}
{{- $flag := regexReplaceAll "=.*$" (toString .) "" -}}
{{- if eq $flag "--enable-gateway-api" }}{{- /* mapped onto gatewayAPI.enabled above */ -}}
{{- else if has $flag $known }}
{{- /* Go flags take --bool=true|false; the worker's boolean flags are bare (and --no-leader-elect). */}}
{{- $arg := toString . }}
{{- if hasSuffix "=true" $arg }}{{ $arg = $flag }}{{ else if eq $arg "--leader-elect=false" }}{{ $arg = "--no-leader-elect" }}{{ else if hasSuffix "=false" $arg }}{{ $arg = "" }}{{ end }}
{{- if $arg }}{{ $_ := set $out "passed" (append $out.passed $arg) }}{{ end }}
{{- else }}{{ $_ := set $out "dropped" (append $out.dropped .) }}{{ end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{- /*
cert-manager values certgate has no use for: accepted by the schema, listed in NOTES.txt when set.
Dotted paths; each is reported when present in the user's values (none has a default in values.yaml).
*/ -}}
{{- define "certgate.ignoredCertManagerValues" -}}
{{- $values := .Values | toYaml | fromYaml -}}
{{- /* The controller configuration's Gateway API switch is mapped; the rest of config is reported. */ -}}
{{- with $values.config }}
{{- range $key := list "apiVersion" "kind" "enableGatewayAPI" }}{{ $_ := unset $values.config $key }}{{ end }}
{{- if kindIs "map" .gatewayAPI }}{{ $_ := unset .gatewayAPI "enabled" }}{{ end }}
{{- if empty .gatewayAPI }}{{ $_ := unset $values.config "gatewayAPI" }}{{ end }}
{{- if empty $values.config }}{{ $_ := unset $values "config" }}{{ end }}
{{- end -}}
{{- $found := list -}}
{{- range $path := list "cainjector" "startupapicheck" "acmesolver" "global.rbac" "global.podSecurityPolicy" "global.logLevel" "global.revisionHistoryLimit" "global.hostUsers" "featureGates" "imageRegistry" "imageNamespace" "image.name" "image.registry" "strategy" "config" "namespace" "extraContainers" "extraEnv" "securityContext" "containerSecurityContext" "volumes" "volumeMounts" "hostAliases" "livenessProbe" "enableServiceLinks" "runtimeClassName" "deploymentAnnotations" "serviceAnnotations" "serviceLabels" "serviceIPFamilyPolicy" "serviceIPFamilies" "podDnsPolicy" "podDnsConfig" "http_proxy" "https_proxy" "no_proxy" "extraObjects" "creator" "enabled" "webhook.config" "webhook.strategy" "webhook.securityContext" "webhook.containerSecurityContext" "webhook.validatingWebhookConfiguration" "webhook.mutatingWebhookConfiguration" "webhook.extraEnv" "webhook.featureGates" "webhook.livenessProbe" "webhook.readinessProbe" "webhook.runtimeClassName" "webhook.serviceLabels" "webhook.serviceAnnotations" "webhook.deploymentAnnotations" "webhook.serviceIPFamilyPolicy" "webhook.serviceIPFamilies" "webhook.image" "webhook.securePort" "webhook.hostNetwork" "webhook.serviceType" "webhook.loadBalancerIP" "webhook.url" "webhook.networkPolicy" "webhook.volumes" "webhook.volumeMounts" "webhook.enableServiceLinks" "webhook.enableClientVerification" "webhook.clientCAFile" "webhook.apiserverClientCertSubjects" "networkPolicy.ingress" "networkPolicy.egress" }}
{{- $node := $values -}}
{{- range $key := splitList "." $path }}
{{- if and (kindIs "map" $node) (hasKey $node $key) }}{{ $node = index $node $key }}{{ else }}{{ $node = "certgate-absent" }}{{ end }}
{{- end }}
{{- if ne (toString $node) "certgate-absent" }}{{ $found = append $found $path }}{{ end -}}
{{- end -}}
{{- join ", " $found -}}
{{- end -}}
