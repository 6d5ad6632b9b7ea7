{{/* Names, labels and the values several templates share. */}}

{{- define "easymaker.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "easymaker.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "easymaker.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The namespace jobs, model servers and notebooks run in. */}}
{{- define "easymaker.jobsNamespace" -}}
{{- default .Release.Namespace .Values.jobs.namespace -}}
{{- end -}}

{{- define "easymaker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "easymaker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "easymaker.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The data volume's claim (the chart's or an existing one); empty without persistence
and for JupyterHub, whose single-user pods bring their own. */}}
{{- define "easymaker.dataClaim" -}}
{{- if .Values.jupyterhub.singleUser -}}
{{- .Values.storage.persistence.existingClaim -}}
{{- else if .Values.storage.persistence.enabled -}}
{{- default (printf "%s-data" (include "easymaker.fullname" .)) .Values.storage.persistence.existingClaim -}}
{{- end -}}
{{- end -}}

{{- define "easymaker.tokenSecret" -}}
{{- default (printf "%s-token" (include "easymaker.fullname" .)) .Values.jupyter.existingSecret -}}
{{- end -}}

{{- define "easymaker.databaseSecret" -}}
{{- default (printf "%s-database" (include "easymaker.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{- define "easymaker.hasDatabaseSecret" -}}
{{- if or .Values.database.url .Values.database.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* The volume_mounts of the Kubernetes backend: the data claim at its mount path, and the extra ones. */}}
{{- define "easymaker.volumeMounts" -}}
{{- $mounts := dict -}}
{{- $claim := include "easymaker.dataClaim" . -}}
{{- if and .Values.storage.shareWithJobs $claim -}}
{{- $_ := set $mounts .Values.storage.mountPath (dict "persistentVolumeClaim" (dict "claimName" $claim)) -}}
{{- end -}}
{{- range $prefix, $source := .Values.storage.extraVolumeMounts -}}
{{- $_ := set $mounts $prefix $source -}}
{{- end -}}
{{- toJson $mounts -}}
{{- end -}}

{{/* The environment every pod running the server's code gets: the store's URL from its Secret. */}}
{{- define "easymaker.databaseEnv" -}}
{{- if include "easymaker.hasDatabaseSecret" . }}
- name: EASYMAKER_DB_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "easymaker.databaseSecret" . }}
      key: {{ if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}url{{ end }}
{{- end }}
{{- end -}}
