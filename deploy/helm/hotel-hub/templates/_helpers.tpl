{{/* Names: every object is <release>-<component>, labelled with the chart's standard labels. */}}
{{- define "hub.fullname" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "hub.labels" -}}
app.kubernetes.io/name: hotel-hub
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: hotel-hub
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "hub.selector" -}}
app.kubernetes.io/name: hotel-hub
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image reference: repository, then @digest when given, else :tag. */}}
{{- define "hub.image" -}}
{{- if .digest -}}
{{ .repository }}@{{ .digest }}
{{- else -}}
{{ .repository }}:{{ .tag | default .appVersion }}
{{- end -}}
{{- end -}}

{{- define "hub.appImage" -}}
{{ include "hub.image" (dict "repository" .Values.image.repository "tag" .Values.image.tag "digest" .Values.image.digest "appVersion" .Chart.AppVersion) }}
{{- end -}}

{{- define "hub.natsTlsSecret" -}}
{{ .Values.nats.tls.secretName | default (printf "%s-nats-tls" (include "hub.fullname" .)) }}
{{- end -}}

{{- define "hub.mongoTlsSecret" -}}
{{ .Values.mongo.tls.secretName | default (printf "%s-mongo-tls" (include "hub.fullname" .)) }}
{{- end -}}

{{/* The NATS cluster's client URLs, each with the hub user's password (from the env var NATS_PASSWORD). */}}
{{- define "hub.natsUrl" -}}
{{- $name := printf "%s-nats" (include "hub.fullname" .) -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.nats.replicas) -}}
{{- $urls = append $urls (printf "tls://hub:$(NATS_PASSWORD)@%s-%d.%s:4222" $name $i $name) -}}
{{- end -}}
{{ join "," $urls }}
{{- end -}}

{{- define "hub.mongoHosts" -}}
{{- $name := printf "%s-mongo" (include "hub.fullname" .) -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.mongo.replicas) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s.%s.svc.cluster.local:27017" $name $i $name $.Release.Namespace) -}}
{{- end -}}
{{ join "," $hosts }}
{{- end -}}

{{- define "hub.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end -}}

{{- define "hub.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end -}}

{{/* The public host: ingress.host, else consoleUrl's. */}}
{{- define "hub.host" -}}
{{ .Values.ingress.host | default (urlParse .Values.consoleUrl).host }}
{{- end -}}

{{/* Replicas spread over nodes (and zones where there are several), preferred so one node still runs. */}}
{{- define "hub.spread" -}}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "hub.selector" . | nindent 14 }}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* HUB_SECRET_KEY and the URLs of NATS and MongoDB, whose passwords come from existingSecret (Kubernetes
  expands $(VAR) from variables defined before). Passwords must be URL-safe (hex). */}}
{{- define "hub.busAndDatabaseEnv" -}}
- name: HUB_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: secret-key}}
- name: NATS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: nats-password}}
- name: MONGO_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: mongo-password}}
- name: HUB_NATS_URL
  value: {{ include "hub.natsUrl" . | quote }}
- name: HUB_MONGO_URL
  value: {{ printf "mongodb://hub:$(MONGO_PASSWORD)@%s/?replicaSet=rs0&authSource=admin&tls=true&tlsCAFile=/etc/hub/tls/mongo/ca.crt" (include "hub.mongoHosts" .) | quote }}
{{- end -}}

{{/* nats-py verifies the server with Python's default context, which reads SSL_CERT_FILE: this init
  container writes the image's CAs plus the cluster's CA there (so public TLS, SMTP or Google, still works). */}}
{{- define "hub.caBundle" -}}
- name: ca-bundle
  image: {{ include "hub.appImage" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command:
    - python
    - -c
    - |
      import pathlib, certifi
      system = pathlib.Path("/etc/ssl/certs/ca-certificates.crt")
      public = (system if system.exists() else pathlib.Path(certifi.where())).read_text()
      cluster = pathlib.Path("/etc/hub/tls/nats/ca.crt").read_text()
      pathlib.Path("/var/run/hub/ca/bundle.crt").write_text(public + "\n" + cluster)
  resources:
    requests: {cpu: 10m, memory: 32Mi}
    limits: {cpu: 100m, memory: 64Mi}
  securityContext:
    {{- include "hub.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - {name: ca-bundle, mountPath: /var/run/hub/ca}
    - {name: nats-ca, mountPath: /etc/hub/tls/nats, readOnly: true}
{{- end -}}

{{- define "hub.caVolumes" -}}
- name: tmp
  emptyDir: {}
- name: ca-bundle
  emptyDir: {}
- name: nats-ca
  secret:
    secretName: {{ include "hub.natsTlsSecret" . }}
    items: [{key: ca.crt, path: ca.crt}]
- name: mongo-ca
  secret:
    secretName: {{ include "hub.mongoTlsSecret" . }}
    items: [{key: ca.crt, path: ca.crt}]
{{- end -}}
