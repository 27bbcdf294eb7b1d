{{- define "floe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "floe.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "floe.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "floe.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "floe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "floe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "floe.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "floe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "floe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "floe.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "floe.kafkaServiceName" -}}
{{- printf "%s-kafka" (include "floe.fullname" . | trunc 57 | trimSuffix "-") -}}
{{- end -}}

{{- define "floe.headlessServiceName" -}}
{{- printf "%s-headless" (include "floe.fullname" . | trunc 54 | trimSuffix "-") -}}
{{- end -}}

{{- define "floe.credentialsSecretName" -}}
{{- default (printf "%s-credentials" (include "floe.fullname" . | trunc 51 | trimSuffix "-")) .Values.credentials.existingSecret -}}
{{- end -}}

{{/* Some port serves TLS (Kafka, gRPC or HTTP): the certificate Secret is mounted. */}}
{{- define "floe.anyTls" -}}
{{- $s := .Values.security -}}
{{- if or $s.tls.enabled $s.doors.grpcTls $s.doors.httpTls -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{- define "floe.hasCredentials" -}}
{{- if or .Values.credentials.existingSecret .Values.credentials.accessKeyId -}}true{{- end -}}
{{- end -}}

{{/* Load-balancer mode: host:port every node advertises. */}}
{{- define "floe.loadBalancerAddress" -}}
{{- $lb := .Values.addressing.loadBalancer -}}
{{- $host := $lb.advertisedHost | default (printf "%s.%s.svc.%s" (include "floe.kafkaServiceName" .) .Release.Namespace .Values.addressing.clusterDomain) -}}
{{- printf "%s:%d" $host (int $lb.port) -}}
{{- end -}}
