{{- define "opencity.labels" -}}
app.kubernetes.io/name: opencity
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The server's pods: what the Deployment and the Service select (not the migration's pods). */}}
{{- define "opencity.serverLabels" -}}
{{ include "opencity.labels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "opencity.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end }}

{{/* The settings of every container: the photo bucket, then plain values. */}}
{{- define "opencity.env" -}}
- name: OPENCITY_DATA
  value: /data
{{- with .Values.s3 }}{{ if .endpoint }}
- name: OPENCITY_S3_ENDPOINT
  value: {{ .endpoint | quote }}
- name: OPENCITY_S3_BUCKET
  value: {{ .bucket | required "s3.bucket is required with s3.endpoint" | quote }}
- name: OPENCITY_S3_REGION
  value: {{ .region | quote }}
- name: OPENCITY_S3_USE_SSL
  value: {{ .useSSL | quote }}
{{- end }}{{ end }}
{{- range $k, $v := .Values.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}

{{/* The secret with DATABASE_URL and the Stripe keys, as variables. */}}
{{- define "opencity.envFrom" -}}
- secretRef:
    name: {{ .Values.existingSecret | required "existingSecret (DATABASE_URL …) is required" }}
{{- end }}

{{/* The restricted Pod Security profile, for the pod and its containers. */}}
{{- define "opencity.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsUser }}
fsGroup: {{ .Values.runAsUser }}
seccompProfile: {type: RuntimeDefault}
{{- end }}
{{- define "opencity.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: {drop: [ALL]}
{{- end }}

{{- define "opencity.checks" -}}
{{- if and (gt (int .Values.replicas) 1) (ne .Values.uploads.accessMode "ReadWriteMany") (not .Values.s3.endpoint) }}
{{- fail "replicas > 1 needs photos every pod can reach: set s3.endpoint (an S3-compatible bucket), or uploads.accessMode=ReadWriteMany (with a storage class that offers it)" }}
{{- end }}
{{- end }}
