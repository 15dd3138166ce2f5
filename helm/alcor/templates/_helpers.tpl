{{/*
Names. Every workload is <namePrefix>-<name> (alcor-vpc); its ServiceAccount,
Service, Deployment, VirtualService and DestinationRule share that name.
*/}}
{{- define "alcor.name" -}}
{{ .root.Values.namePrefix }}-{{ .name }}
{{- end -}}

{{/* The in-cluster host of a workload's Service. */}}
{{- define "alcor.host" -}}
{{ include "alcor.name" . }}.{{ .root.Release.Namespace }}.svc.{{ .root.Values.clusterDomain }}
{{- end -}}

{{/* The mesh identity (SPIFFE principal, without spiffe://) of a workload's ServiceAccount. */}}
{{- define "alcor.principal" -}}
{{ .root.Values.mesh.trustDomain }}/ns/{{ .root.Release.Namespace }}/sa/{{ include "alcor.name" . }}
{{- end -}}

{{- define "alcor.labels" -}}
app: {{ .app }}
{{- with .version }}
version: {{ . }}
{{- end }}
app.kubernetes.io/name: {{ .app }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: alcor
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ .root.Chart.Name }}-{{ .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* etcd's client address, what ALCOR_ETCD holds (one endpoint: runtime.store dials one). */}}
{{- define "alcor.etcdAddress" -}}
{{- $port := ternary .Values.etcd.external.port .Values.etcd.clientPort (eq .Values.etcd.mode "external") -}}
{{ include "alcor.host" (dict "root" . "name" "etcd") }}:{{ int $port }}
{{- end -}}

{{/*
The settings every Alcor process reads (runtime/config.py Settings, as
ALCOR_<FIELD>): etcd, every service's address, and, for a listening
workload, its own listen address.
*/}}
{{- define "alcor.env" -}}
{{- $root := .root -}}
- name: ALCOR_ETCD
  value: {{ include "alcor.etcdAddress" $root | quote }}
- name: ALCOR_ETCD_MAX_TXN_OPS
  value: {{ ternary $root.Values.etcd.external.maxTxnOps $root.Values.etcd.maxTxnOps (eq $root.Values.etcd.mode "external") | int | quote }}
{{- range $key, $svc := $root.Values.services }}
- name: ALCOR_{{ upper $svc.addrSetting }}
  value: {{ printf "%s:%d" (include "alcor.host" (dict "root" $root "name" $svc.name)) (int $svc.port) | quote }}
{{- end }}
{{- with .listen }}
- name: ALCOR_LISTEN
  value: {{ printf "0.0.0.0:%d" (int .) | quote }}
{{- end }}
{{- range $k, $v := $root.Values.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/* Spread pods matching `selector` across zones, then hosts. */}}
{{- define "alcor.topologySpread" -}}
{{- $t := .root.Values.topologySpread -}}
{{- range $key := list $t.zoneKey $t.hostKey }}
- maxSkew: {{ $t.maxSkew }}
  topologyKey: {{ $key }}
  whenUnsatisfiable: {{ $.whenUnsatisfiable | default $t.whenUnsatisfiable }}
  labelSelector:
    matchLabels: {{- toYaml $.selector | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "alcor.image" -}}
{{ .root.Values.image.repository }}:{{ .tag | default .root.Values.image.tag }}
{{- end -}}

{{/*
The traffic policy of one service: policy.defaults with
policy.services.<key> merged over it (mesh/policy.py does the same).
*/}}
{{- define "alcor.effectivePolicy" -}}
{{- $p := .root.Values.policy -}}
{{- $over := index ($p.services | default dict) .key | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy $p.defaults) (deepCopy $over)) -}}
{{- end -}}

{{/* A service's traffic split: [{subset, weight}] without zero weights. */}}
{{- define "alcor.splits" -}}
{{- $w := 0 -}}
{{- if and .svc.canary .svc.canary.enabled -}}{{- $w = int .svc.canary.weight -}}{{- end -}}
{{- $splits := list -}}
{{- if lt $w 100 -}}{{- $splits = append $splits (dict "subset" "stable" "weight" (sub 100 $w)) -}}{{- end -}}
{{- if gt $w 0 -}}{{- $splits = append $splits (dict "subset" "canary" "weight" $w) -}}{{- end -}}
{{- toYaml $splits -}}
{{- end -}}
