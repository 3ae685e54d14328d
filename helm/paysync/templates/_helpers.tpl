{{/* Names and labels shared by every template. */}}
{{- define "paysync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "paysync.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "paysync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "paysync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: paysync
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "api") */}}
{{- define "paysync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "paysync.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "paysync.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "paysync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "paysync.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "paysync.secretName" -}}
{{- default (include "paysync.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/* Non-secret settings of every service (the ConfigMap's data, also used by the hook Jobs). */}}
{{- define "paysync.configData" -}}
{{- $kafka := .Values.kafka -}}
KAFKA_BROKERS: {{ required "kafka.brokers is required" $kafka.brokers | quote }}
KAFKA_TOPIC_PREFIX: {{ $kafka.topicPrefix | quote }}
KAFKA_CREATE_TOPICS: {{ $kafka.createTopics | toString | quote }}
KAFKA_SSL: {{ or $kafka.ssl (ne $kafka.caSecret.name "") | toString | quote }}
{{- if $kafka.caSecret.name }}
KAFKA_SSL_CA_FILE: {{ printf "/etc/paysync/kafka-ca/%s" $kafka.caSecret.key | quote }}
{{- end }}
{{- if $kafka.sasl.mechanism }}
KAFKA_SASL_MECHANISM: {{ $kafka.sasl.mechanism | quote }}
KAFKA_SASL_USERNAME: {{ required "kafka.sasl.username is required with kafka.sasl.mechanism" $kafka.sasl.username | quote }}
{{- end }}
SHUTDOWN_TIMEOUT_MS: {{ .Values.shutdownTimeoutMs | toString | quote }}
METRICS_PORT: {{ .Values.metricsPort | toString | quote }}
HOST: "0.0.0.0"
{{- with .Values.services.api.trustProxy }}
API_TRUST_PROXY: {{ join "," . | quote }}
{{- end }}
{{- with .Values.services.ingress.trustProxy }}
INGRESS_TRUST_PROXY: {{ join "," . | quote }}
{{- end }}
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Secret keys a pod reads, as env entries (secretKeyRef: nothing secret in the pod spec). */}}
{{- define "paysync.secretEnv" -}}
{{- $secret := include "paysync.secretName" .root -}}
- name: DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: DATABASE_URL } }
{{- if .all }}
- name: ENCRYPTION_KEYS
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: ENCRYPTION_KEYS } }
{{- end }}
{{- if .admin }}
- name: ADMIN_API_TOKEN
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: ADMIN_API_TOKEN } }
{{- end }}
{{- if .root.Values.kafka.sasl.mechanism }}
- name: KAFKA_SASL_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: KAFKA_SASL_PASSWORD } }
{{- end }}
{{- end -}}

{{/* The Kafka CA volume and mount, when a CA Secret is set. */}}
{{- define "paysync.caVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.caSecret.name }}
- name: kafka-ca
  mountPath: /etc/paysync/kafka-ca
  readOnly: true
{{- end }}
{{- end -}}
{{- define "paysync.caVolumes" -}}
- name: tmp
  emptyDir: { sizeLimit: 64Mi }
{{- if .Values.kafka.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.caSecret.name }}
    items:
      - key: {{ .Values.kafka.caSecret.key }}
        path: {{ .Values.kafka.caSecret.key }}
{{- end }}
{{- end -}}

{{/* Partitions of a topic: (dict "root" $ "topic" "billing.sync.command.v1") */}}
{{- define "paysync.partitions" -}}
{{- $p := index .root.Values.topics.partitions .topic -}}
{{- required (printf "topics.partitions has no entry for %s" .topic) $p -}}
{{- end -}}
