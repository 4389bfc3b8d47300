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
{{- /*
cert-manager's controller settings: its ControllerConfiguration (config:), the chart values its chart turns into
controller flags (featureGates, global.logLevel) and extraArgs, in the order its controller reads them (the
configuration first, flags win). files/cert-manager-controller-flags.json, written from worker/cert-manager-flags.ts,
says what certgate has: a setting it has is mapped onto certgate's values or passed to the worker (which
translates cert-manager's spelling itself); one it has not fails the install with the worker's own message.
*/ -}}
{{- $table := $.Files.Get "files/cert-manager-controller-flags.json" | fromJson -}}
{{- $cfg := default dict $v.config -}}
{{- $known := dict -}}
{{- range $flag, $s := $table.flags }}{{ range $s.config }}{{ $_ := set $known . $flag }}{{ end }}{{ end -}}
{{- $unknownKey := "config.%s: not a ControllerConfiguration key certgate knows (certgate has no such setting); remove it" -}}
{{- range $k, $val := $cfg }}
{{- if and (not (has $k (list "apiVersion" "kind"))) (not (hasKey $known $k)) }}
{{- if not (kindIs "map" $val) }}{{ fail (printf $unknownKey $k) }}{{ end }}
{{- range $k2, $val2 := $val }}
{{- $p2 := printf "%s.%s" $k $k2 }}
{{- if not (hasKey $known $p2) }}
{{- if not (kindIs "map" $val2) }}{{ fail (printf $unknownKey $p2) }}{{ end }}
{{- range $k3, $_ := $val2 }}{{ if not (hasKey $known (printf "%s.%s" $p2 $k3)) }}{{ fail (printf $unknownKey (printf "%s.%s" $p2 $k3)) }}{{ end }}{{ end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
{{- $args := list -}}
{{- range $path, $flag := $known }}
{{- $node := $cfg }}
{{- range splitList "." $path }}{{ if and (kindIs "map" $node) (hasKey $node .) }}{{ $node = index $node . }}{{ else }}{{ $node = "certgate-absent" }}{{ end }}{{ end }}
{{- if and (not (kindIs "invalid" $node)) (ne (toString $node) "certgate-absent") }}
{{- $text := toString $node }}
{{- if kindIs "slice" $node }}{{ $text = join "," $node }}
{{- else if kindIs "map" $node }}{{ $pairs := list }}{{ range $key, $x := $node }}{{ $pairs = append $pairs (printf "%s=%v" $key $x) }}{{ end }}{{ $text = join "," $pairs }}{{ end }}
{{- $args = append $args (dict "flag" $flag "value" $text "from" (printf "config.%s" $path)) }}
{{- end }}
{{- end -}}
{{- with $v.featureGates }}{{ $args = append $args (dict "flag" "--feature-gates" "value" (toString .) "from" "featureGates") }}{{ end -}}
{{- if and (not (kindIs "invalid" $g.logLevel)) (ne (toString $g.logLevel) "") }}{{ $args = append $args (dict "flag" "--v" "value" (toString $g.logLevel) "from" "global.logLevel") }}{{ end -}}
{{- /* extraArgs as Go reads them: --flag=value, --flag value, or a bare boolean --flag. */ -}}
{{- $pending := "" -}}
{{- range $v.extraArgs }}
{{- $arg := toString . }}
{{- if $pending }}{{ $args = append $args (dict "flag" $pending "value" $arg "from" "extraArgs") }}{{ $pending = "" }}
{{- else if and (not (hasPrefix "-" $arg)) (gt (len $args) 0) (index (last $args) "bare") }}{{ $_ := set (last $args) "value" $arg }}{{ $_ := unset (last $args) "bare" }}
{{- else }}
{{- $flag := regexReplaceAll "=.*$" $arg "" }}
{{- $s := index $table.flags $flag }}
{{- if contains "=" $arg }}{{ $args = append $args (dict "flag" $flag "value" (trimPrefix (printf "%s=" $flag) $arg) "from" "extraArgs") }}
{{- else if and $s (not $s.bool) }}{{ $pending = $flag }}
{{- else }}{{ $args = append $args (dict "flag" $flag "value" "true" "bare" true "from" "extraArgs") }}{{ end }}
{{- end }}
{{- end -}}
{{- if $pending }}{{ fail (printf "extraArgs: %s needs a value" $pending) }}{{ end -}}
{{- $passed := list -}}
{{- $issuer := dict -}}
{{- range $args }}
{{- $flag := .flag }}
{{- $value := .value }}
{{- $s := index $table.flags $flag }}
{{- $from := .from }}
{{- if not $s }}
{{- if not (has $flag $table.workerFlags) }}{{ fail (printf "%s: %s is neither a flag of cert-manager's controller that certgate knows nor one of certgate worker's; remove it" .from $flag) }}{{ end }}
{{- $passed = append $passed (ternary $flag (printf "%s=%s" $flag $value) (hasKey . "bare")) }}
{{- else }}
{{- if $s.bool }}{{ $value = lower $value }}{{ if not (has $value (list "true" "false")) }}{{ fail (printf "%s: %s=%s: give true or false" .from $flag $value) }}{{ end }}{{ end }}
{{- $key := "" }}{{ with $s.config }}{{ $key = printf " (controller configuration %s)" (join " or " .) }}{{ end }}
{{- $refused := printf "%s: %s=%s%s: not supported: %s" .from $flag $value $key (default "" $s.why) }}
{{- if and $s.why (hasKey $s "acceptAtLeast") }}
{{- if or (not (regexMatch "^[0-9]+(\\.[0-9]+)?$" $value)) (lt (float64 $value) (float64 $s.acceptAtLeast)) }}{{ fail $refused }}{{ end }}
{{- else if $s.why }}
{{- if not $s.accept }}{{ fail $refused }}{{ end }}
{{- range (ternary (splitList "," $value) (list $value) (hasKey $s "acceptItems")) }}{{ if not (has (trim .) $s.accept) }}{{ fail $refused }}{{ end }}{{ end }}
{{- end }}
{{- if eq $flag "--feature-gates" }}
{{- range splitList "," $value }}{{ if . }}
{{- $pair := splitList "=" (trim .) }}
{{- $gate := index $table.featureGates (first $pair) }}
{{- $setting := "" }}{{ if gt (len $pair) 1 }}{{ $setting = lower (trim (index $pair 1)) }}{{ end }}
{{- if not $gate }}{{ fail (printf "%s: --feature-gates=%s%s: not supported: %s is not a feature gate of cert-manager's controller" $from (trim .) $key (first $pair)) }}{{ end }}
{{- if not (has $setting $gate.accept) }}{{ fail (printf "%s: --feature-gates=%s%s: not supported: %s; remove it" $from (trim .) $key $gate.why) }}{{ end }}
{{- if and (eq (first $pair) "ExperimentalGatewayAPISupport") (eq $setting "false") }}{{ $_ := set $v.gatewayAPI "enabled" false }}{{ end }}
{{- if eq (first $pair) "ACMEHTTP01IngressPathTypeExact" }}{{ $passed = append $passed (printf "--acme-http01-ingress-path-type=%s" (ternary "Exact" "ImplementationSpecific" (eq $setting "true"))) }}{{ end }}
{{- end }}{{ end }}
{{- else if eq $flag "--cluster-resource-namespace" }}{{ $_ := set $v "clusterResourceNamespace" $value }}
{{- else if eq $flag "--namespace" }}{{ $_ := set $v "watchNamespace" $value }}
{{- else if eq $flag "--leader-election-namespace" }}{{ $_ := set $c "leaderElectionNamespace" $value }}
{{- else if eq $flag "--enable-gateway-api" }}{{ $_ := set $v.gatewayAPI "enabled" (eq $value "true") }}
{{- else if eq $flag "--metrics-listen-address" }}{{ $_ := set $c.ports "metrics" (atoi (regexReplaceAll "^.*:" $value "")) }}
{{- else if eq $flag "--internal-healthz-listen-address" }}{{ $_ := set $c.ports "health" (atoi (regexReplaceAll "^.*:" $value "")) }}
{{- else if eq $flag "--default-issuer-name" }}{{ $_ := set $issuer "name" $value }}
{{- else if eq $flag "--default-issuer-kind" }}{{ $_ := set $issuer "kind" $value }}
{{- else if eq $flag "--default-issuer-group" }}
{{- else if eq $flag "--v" }}
{{- if not (regexMatch "^[0-9]+$" $value) }}{{ fail (printf "%s: --v=%s: give a verbosity 0 or more" .from $value) }}{{ end }}
{{- $n := atoi $value }}
{{- $_ := set $v "logLevel" (ternary "error" (ternary "warn" (ternary "info" (ternary "debug" "trace" (eq $n 4)) (le $n 3)) (eq $n 1)) (eq $n 0)) }}
{{- else if and (eq $flag "--controllers") (has "-certificaterequests-approver" (splitList "," $value)) }}{{ $_ := set $v "disableAutoApproval" true }}
{{- else if not (has $flag (list "--controllers" "--logging-format")) }}
{{- $passed = append $passed (printf "%s=%s" $flag $value) }}
{{- end }}
{{- end }}
{{- end -}}
{{- with $issuer.name }}{{ $_ := set $.Values "defaultIssuer" (printf "%s/%s" (default "Issuer" $issuer.kind) .) }}{{ end -}}
{{- $_ := set $v "certManagerWorkerArgs" $passed -}}
{{- /* approveSignerNames: certgate's approver approves requests for cert-manager.io Issuers and ClusterIssuers, cert-manager's default list. */ -}}
{{- if and (not (kindIs "invalid" $v.approveSignerNames)) (not $v.disableAutoApproval) }}
{{- if ne (join "," (sortAlpha $v.approveSignerNames)) "clusterissuers.cert-manager.io/*,issuers.cert-manager.io/*" }}
{{- fail (printf "approveSignerNames=%s: not supported: certgate's approver approves requests for cert-manager.io Issuers and ClusterIssuers only (cert-manager's default list); leave it out, or set disableAutoApproval: true and let approver-policy decide" (toJson $v.approveSignerNames)) }}
{{- end }}
{{- end -}}
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
cert-manager values certgate has no use for: accepted by the schema, listed in NOTES.txt when set.
Dotted paths; each is reported when present in the user's values (none has a default in values.yaml).
*/ -}}
{{- define "certgate.ignoredCertManagerValues" -}}
{{- $values := .Values | toYaml | fromYaml -}}
{{- $found := list -}}
{{- range $path := list "cainjector" "startupapicheck" "acmesolver" "global.rbac" "global.podSecurityPolicy" "global.revisionHistoryLimit" "global.hostUsers" "global.runtimeClassName" "imageRegistry" "imageNamespace" "image.name" "image.registry" "strategy" "namespace" "extraContainers" "extraEnv" "securityContext" "containerSecurityContext" "volumes" "volumeMounts" "hostAliases" "livenessProbe" "enableServiceLinks" "runtimeClassName" "deploymentAnnotations" "serviceAnnotations" "serviceLabels" "serviceIPFamilyPolicy" "serviceIPFamilies" "podDnsPolicy" "podDnsConfig" "http_proxy" "https_proxy" "no_proxy" "extraObjects" "creator" "enabled" "webhook.config" "webhook.strategy" "webhook.securityContext" "webhook.containerSecurityContext" "webhook.validatingWebhookConfiguration" "webhook.mutatingWebhookConfiguration" "webhook.extraEnv" "webhook.featureGates" "webhook.livenessProbe" "webhook.readinessProbe" "webhook.runtimeClassName" "webhook.serviceLabels" "webhook.serviceAnnotations" "webhook.deploymentAnnotations" "webhook.serviceIPFamilyPolicy" "webhook.serviceIPFamilies" "webhook.image" "webhook.securePort" "webhook.hostNetwork" "webhook.serviceType" "webhook.loadBalancerIP" "webhook.url" "webhook.networkPolicy" "webhook.volumes" "webhook.volumeMounts" "webhook.enableServiceLinks" "webhook.enableClientVerification" "webhook.clientCAFile" "webhook.apiserverClientCertSubjects" "networkPolicy.ingress" "networkPolicy.egress" }}
{{- $node := $values -}}
{{- range $key := splitList "." $path }}
{{- if and (kindIs "map" $node) (hasKey $node $key) }}{{ $node = index $node $key }}{{ else }}{{ $node = "certgate-absent" }}{{ end }}
{{- end }}
{{- if ne (toString $node) "certgate-absent" }}{{ $found = append $found $path }}{{ end -}}
{{- end -}}
{{- join ", " $found -}}
{{- end -}}
