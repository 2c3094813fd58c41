{{/*
Names. The operator's objects are named after the release; the cluster's objects
(created by the operator) are named after the Raft3DCluster: <cluster> for the client
Service, <cluster>-headless for the peers' Service, <cluster>-<n> for the pods.
*/}}

{{- define "raft3d.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "raft3d.fullname" -}}
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

{{- define "raft3d.operatorName" -}}
{{- printf "%s-operator" (include "raft3d.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "raft3d.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (include "raft3d.operatorName" .) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The Raft3DCluster name. Pod names (<cluster>-<n>) and Service names must be DNS-1035
labels, and <cluster>-headless plus the StatefulSet's revision label must fit in 63
characters, hence the 40-character limit.
*/}}
{{- define "raft3d.clusterName" -}}
{{- $name := default .Release.Name .Values.cluster.name -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$" $name) -}}
{{- fail (printf "cluster name %q must be a DNS-1035 label of at most 40 characters (set cluster.name)" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{- define "raft3d.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "raft3d.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object the chart renders. */}}
{{- define "raft3d.labels" -}}
helm.sh/chart: {{ include "raft3d.chart" . }}
app.kubernetes.io/part-of: raft3d
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The operator's pods. Its own name keeps it out of every selector of server pods. */}}
{{- define "raft3d.operatorSelectorLabels" -}}
app.kubernetes.io/name: raft3d-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The server pods, exactly as the operator labels them (kubernetes.md §1.1). */}}
{{- define "raft3d.serverSelectorLabels" -}}
app.kubernetes.io/name: raft3d
app.kubernetes.io/instance: {{ include "raft3d.clusterName" . }}
app.kubernetes.io/component: server
{{- end -}}

{{/* The `helm test` pod; the NetworkPolicy lets it reach the HTTP port. */}}
{{- define "raft3d.testSelectorLabels" -}}
app.kubernetes.io/name: raft3d
app.kubernetes.io/instance: {{ include "raft3d.clusterName" . }}
app.kubernetes.io/component: helm-test
{{- end -}}

{{/* Monitoring objects: Prometheus Operator API present, or forced. */}}
{{- define "raft3d.monitoringEnabled" -}}
{{- if and .Values.monitoring.enabled (or .Values.monitoring.force (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1")) -}}
true
{{- end -}}
{{- end -}}

{{/* Port of the client Service <cluster> that the operator creates (kubernetes.md §9.2). */}}
{{- define "raft3d.clientServicePort" -}}
80
{{- end -}}
