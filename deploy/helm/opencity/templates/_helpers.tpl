{{- define "opencity.labels" -}}
app.kubernetes.io/name: opencity
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "opencity.env" -}}
- name: OPENCITY_DATA
  value: /data
{{- range $k, $v := .Values.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
envFrom:
  - secretRef:
      name: {{ .Values.existingSecret }}
{{- end }}
