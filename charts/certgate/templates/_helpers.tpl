{{/* Chart name, overridable. */}}
{{- define "certgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every object name: the release name when it already says certgate. */}}
{{- define "certgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "certgate.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "certgate.webhook.fullname" -}}{{ include "certgate.fullname" . }}-webhook{{- end -}}
{{- define "certgate.controller.fullname" -}}{{ include "certgate.fullname" . }}-controller{{- end -}}
{{- define "certgate.solver.serviceName" -}}{{ include "certgate.fullname" . }}-solver{{- end -}}
{{- define "certgate.webhook.tlsSecret" -}}{{ include "certgate.webhook.fullname" . }}-tls{{- end -}}

{{- define "certgate.clusterResourceNamespace" -}}
{{- default .Release.Namespace .Values.clusterResourceNamespace -}}
{{- end -}}

{{- define "certgate.image" -}}
{{- /* cert-manager's values file leaves repository empty (its image is built from imageRegistry and image.name): certgate's own then. */ -}}
{{- $repository := default "ghcr.io/certgate/certgate" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object: certgate's, then global.commonLabels (cert-manager's value). */}}
{{- define "certgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "certgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: certgate
{{- with (default dict .Values.global).commonLabels }}
{{- range $key, $value := . }}
{{- if or (hasPrefix "app.kubernetes.io/" $key) (hasPrefix "helm.sh/" $key) (contains "certgate.io/" $key) }}
{{- fail (printf "global.commonLabels: %s is a label certgate sets itself (selectors and tooling rely on it); choose another key" $key) }}
{{- end }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "webhook"). */}}
{{- define "certgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "certgate.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "certgate.componentLabels" -}}
{{ include "certgate.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Pod security context shared by every pod: non-root (uid 65532, as in the image), RuntimeDefault seccomp. */}}
{{- define "certgate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container security context shared by every container. */}}
{{- define "certgate.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Default anti-affinity: spread one component's replicas over nodes when possible. */}}
{{- define "certgate.affinity" -}}
{{- if .affinity -}}
{{ toYaml .affinity }}
{{- else -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "certgate.selectorLabels" (dict "root" .root "component" .component) | nindent 12 }}
{{- end -}}
{{- end -}}

{{/* Prometheus duration ("90s", "15m", "1h", "7d", "2w") in seconds, for arithmetic in PromQL. */}}
{{- define "certgate.durationSeconds" -}}
{{- $m := regexFind "^[0-9]+" . | int64 -}}
{{- $unit := regexFind "[smhdw]$" . -}}
{{- $mult := get (dict "s" 1 "m" 60 "h" 3600 "d" 86400 "w" 604800) $unit -}}
{{- mul $m $mult -}}
{{- end -}}

{{- /* Namespaces certgate's admission webhook never sees, one name per line: kube-system, the release
namespace and webhook.excludeNamespaces. The worker's transparent TLS leaves the same ones alone. */ -}}
{{- define "certgate.webhook.excludedNamespaces" -}}
{{- concat (list "kube-system" .Release.Namespace) .Values.webhook.excludeNamespaces | uniq | join "\n" -}}
{{- end -}}
