{{/*
The alert rules as a Prometheus rule-file body (`groups:`). prometheusrule.yaml wraps it; the
chart tests feed the same rendering to `promtool test rules`. Metric names are cert-manager's,
so dashboards and habits carry over. Every certificate expression first takes max by
(namespace, name, ...) so several controller replicas exporting the same series do not double up,
and drops 0 (cert-manager's "no certificate yet").
*/}}
{{- define "certgate.alertRules" -}}
{{- $a := .Values.alerts -}}
{{- $floor := include "certgate.durationSeconds" $a.expiryFloor -}}
{{- $minOverdue := include "certgate.durationSeconds" $a.renewalOverdueMinimum -}}
{{- $runbook := $a.runbookBaseURL -}}
{{- $webhookJob := default (include "certgate.webhook.fullname" .) $a.webhookJob -}}
{{- $certBy := "namespace, name, issuer_name, issuer_kind, issuer_group" -}}
{{- $expiry := "max by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds > 0)" -}}
{{- $renewal := "max by (namespace, name) (certmanager_certificate_renewal_timestamp_seconds > 0)" -}}
groups:
  - name: certgate.certificates
    rules:
      # Renewal should have happened and has not: a quarter (renewalOverdueFraction) of the renewal
      # window is gone, but never sooner than renewalOverdueMinimum after the renewal time.
      # The value is how long renewal is overdue.
      - alert: CertgateCertificateRenewalOverdue
        expr: |
          (
            time() - max by ({{ $certBy }}) (certmanager_certificate_renewal_timestamp_seconds > 0)
          )
          > on (namespace, name) group_left ()
          clamp_min(
            ({{ $expiry }} - {{ $renewal }}) * {{ $a.renewalOverdueFraction }},
            {{ $minOverdue }}
          )
        for: 5m
        labels:
          severity: {{ $a.warningSeverity }}
          {{- with $a.additionalLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `Certificate {{ $labels.namespace }}/{{ $labels.name }} was not renewed on time` | quote }}
          description: {{ `Certificate {{ $labels.name }} in namespace {{ $labels.namespace }} (issuer {{ $labels.issuer_kind }}/{{ $labels.issuer_name }}) should have been renewed {{ $value | humanizeDuration }} ago. Check why with: kubectl certgate status certificate {{ $labels.name }} -n {{ $labels.namespace }}` | quote }}
          runbook_url: {{ printf "%s#certgatecertificaterenewaloverdue" $runbook | quote }}
      # Less time left than the floor (expiryFloor), clamped to half the renewal window so that
      # short-lived certificates (6 days) do not alert while healthy. Without a renewal time the
      # plain floor applies. The value is the time left.
      - alert: CertgateCertificateExpiringSoon
        expr: |
          (
            (
              max by ({{ $certBy }}) (certmanager_certificate_expiration_timestamp_seconds > 0) - time()
            )
            < on (namespace, name) group_left ()
            clamp_max(({{ $expiry }} - {{ $renewal }}) * 0.5, {{ $floor }})
          )
          or
          (
            (
              max by ({{ $certBy }}) (certmanager_certificate_expiration_timestamp_seconds > 0) - time()
              < {{ $floor }}
            )
            unless on (namespace, name) {{ $renewal }}
          )
        for: 5m
        labels:
          severity: {{ $a.criticalSeverity }}
          {{- with $a.additionalLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}` | quote }}
          description: {{ `Certificate {{ $labels.name }} in namespace {{ $labels.namespace }} (issuer {{ $labels.issuer_kind }}/{{ $labels.issuer_name }}) expires in {{ $value | humanizeDuration }} and has not been renewed. If automation cannot be fixed in time, follow the manual recovery path in the runbook.` | quote }}
          runbook_url: {{ printf "%s#certgatecertificateexpiringsoon" $runbook | quote }}
      - alert: CertgateCertificateNotReady
        expr: |
          max by ({{ $certBy }}, condition) (certmanager_certificate_ready_status{condition!="True"}) == 1
        for: {{ $a.certificateNotReadyFor }}
        labels:
          severity: {{ $a.warningSeverity }}
          {{- with $a.additionalLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `Certificate {{ $labels.namespace }}/{{ $labels.name }} is not Ready` | quote }}
          description: {{ printf "Certificate {{ $labels.name }} in namespace {{ $labels.namespace }} (issuer {{ $labels.issuer_kind }}/{{ $labels.issuer_name }}) has had Ready={{ $labels.condition }} for more than %s." $a.certificateNotReadyFor | quote }}
          runbook_url: {{ printf "%s#certgatecertificatenotready" $runbook | quote }}
  - name: certgate.issuers
    rules:
      - alert: CertgateIssuerNotReady
        expr: |
          max by (namespace, name, kind, condition) (certgate_issuer_ready_status{condition!="True"}) == 1
        for: {{ $a.issuerNotReadyFor }}
        labels:
          severity: {{ $a.warningSeverity }}
          {{- with $a.additionalLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `{{ $labels.kind }} {{ if $labels.namespace }}{{ $labels.namespace }}/{{ end }}{{ $labels.name }} is not Ready` | quote }}
          description: {{ printf "{{ $labels.kind }} {{ $labels.name }}{{ if $labels.namespace }} in namespace {{ $labels.namespace }}{{ end }} has had Ready={{ $labels.condition }} for more than %s: no Certificate using it can be issued or renewed." $a.issuerNotReadyFor | quote }}
          runbook_url: {{ printf "%s#certgateissuernotready" $runbook | quote }}
      # More than acmeErrorRatio of the requests to one ACME server fail (4xx, 5xx, or no
      # answer), and at least acmeErrorMinRate per second. The value is the failing fraction.
      - alert: CertgateACMEErrorsRising
        expr: |
          (
            sum by (host) (rate(certmanager_http_acme_client_request_count{status!~"2..|3.."}[15m]))
            /
            sum by (host) (rate(certmanager_http_acme_client_request_count[15m]))
          ) > {{ $a.acmeErrorRatio }}
          and
          sum by (host) (rate(certmanager_http_acme_client_request_count{status!~"2..|3.."}[15m])) > {{ $a.acmeErrorMinRate }}
        for: 10m
        labels:
          severity: {{ $a.warningSeverity }}
          {{- with $a.additionalLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `ACME requests to {{ $labels.host }} are failing` | quote }}
          description: {{ printf "{{ $value | humanizePercentage }} of the ACME requests from certgate (namespace %s) to {{ $labels.host }} failed over the last 15 minutes. Issuance and renewal stall while this lasts." .Release.Namespace | quote }}
          runbook_url: {{ printf "%s#certgateacmeerrorsrising" $runbook | quote }}
  - name: certgate.webhook
    rules:
      - alert: CertgateWebhookDown
        expr: |
          absent(up{job="{{ $webhookJob }}"} == 1)
        for: 5m
        labels:
          severity: {{ $a.criticalSeverity }}
          {{- with $a.additionalLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: "The certgate admission webhook is down"
          description: {{ printf "No replica of the webhook %s in namespace %s has been scraped successfully for 5 minutes. With failurePolicy %s, Ingress, Certificate and Issuer changes are %s." (include "certgate.webhook.fullname" .) .Release.Namespace .Values.webhook.failurePolicy (ternary "rejected" "admitted unchecked" (eq .Values.webhook.failurePolicy "Fail")) | quote }}
          runbook_url: {{ printf "%s#certgatewebhookdown" $runbook | quote }}
      - alert: CertgateWebhookSlow
        expr: |
          histogram_quantile(0.99, sum by (le) (rate(certgate_webhook_admission_duration_seconds_bucket[5m]))) > {{ $a.webhookLatencyBudgetSeconds }}
        for: 10m
        labels:
          severity: {{ $a.warningSeverity }}
          {{- with $a.additionalLabels }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: "The certgate admission webhook is slow"
          description: {{ printf "The 99th percentile admission latency of the webhook %s in namespace %s is {{ $value | humanizeDuration }}, over its budget of %vs (the API server gives up after %ds)." (include "certgate.webhook.fullname" .) .Release.Namespace $a.webhookLatencyBudgetSeconds (int .Values.webhook.timeoutSeconds) | quote }}
          runbook_url: {{ printf "%s#certgatewebhookslow" $runbook | quote }}
{{- end -}}
