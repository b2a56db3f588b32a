package deploytest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	psa "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

const chartDir = "../helm/opencity"

// scaledOut are the values of a deployment with three replicas.
var scaledOut = map[string]any{"replicas": 3, "uploads": map[string]any{"accessMode": "ReadWriteMany"}}

// `helm lint --strict`: no error and no warning, as shipped and scaled out.
func TestChartLint(t *testing.T) {
	for name, vals := range map[string]map[string]any{"defaults": nil, "three replicas": scaledOut} {
		l := lint.AllWithKubeVersion(chartDir, vals, "opencity", nil)
		for _, m := range l.Messages {
			if m.Severity > support.InfoSev {
				t.Errorf("%s: helm lint: %s", name, m)
			}
		}
	}
}

// rendered are the objects of `helm template`, hooks included, by kind.
type rendered struct {
	deployment *appsv1.Deployment
	job        *batchv1.Job
	pvc        *corev1.PersistentVolumeClaim
	service    *corev1.Service
	ingress    *networkingv1.Ingress
	kinds      []string
}

// render runs what `helm template` runs (an install, dry and client-only)
// and decodes every object strictly: an unknown or repeated field, or a
// value of the wrong type, is an error.
func render(vals map[string]any) (*rendered, error) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = "opencity", "opencity"
	rel, err := install.Run(chrt, vals)
	if err != nil {
		return nil, err
	}
	docs := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		docs = append(docs, h.Manifest)
	}
	dec := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	out := &rendered{}
	for _, doc := range docs {
		for name, m := range releaseutil.SplitManifests(doc) {
			obj, gvk, err := dec.Decode([]byte(m), nil, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w\n%s", name, err, m)
			}
			out.kinds = append(out.kinds, gvk.Kind)
			if err := out.keep(obj); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(out.kinds)
	return out, nil
}

func (r *rendered) keep(obj runtime.Object) error {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		r.deployment = o
	case *batchv1.Job:
		r.job = o
	case *corev1.PersistentVolumeClaim:
		r.pvc = o
	case *corev1.Service:
		r.service = o
	case *networkingv1.Ingress:
		r.ingress = o
	default:
		return fmt.Errorf("unexpected object %T", obj)
	}
	return nil
}

func mustRender(t *testing.T, vals map[string]any) *rendered {
	t.Helper()
	r, err := render(vals)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return r
}

// restricted judges a pod with the Pod Security admission's own checks.
func restricted(t *testing.T, what string, pod corev1.PodTemplateSpec) {
	t.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res := policy.AggregateCheckResults(ev.EvaluatePod(psa.LevelVersion{Level: psa.LevelRestricted, Version: psa.LatestVersion()},
		&pod.ObjectMeta, &pod.Spec))
	if !res.Allowed {
		t.Errorf("%s is refused by the restricted Pod Security profile: %s: %s", what, res.ForbiddenReason(), res.ForbiddenDetail())
	}
}

func envVar(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func mountedAt(c corev1.Container, pod corev1.PodSpec, path string) *corev1.Volume {
	for _, m := range c.VolumeMounts {
		if m.MountPath != path {
			continue
		}
		for i := range pod.Volumes {
			if pod.Volumes[i].Name == m.Name {
				return &pod.Volumes[i]
			}
		}
	}
	return nil
}

// The chart as shipped: one replica, objects of the Kubernetes API, pods
// within the restricted profile, the settings from the secret.
func TestChartDefaults(t *testing.T) {
	r := mustRender(t, nil)
	if got := strings.Join(r.kinds, ","); got != "Deployment,Ingress,Job,PersistentVolumeClaim,Service" {
		t.Fatalf("rendered %s", got)
	}
	pod := r.deployment.Spec.Template
	restricted(t, "the server's pod", pod)
	restricted(t, "the migration's pod", r.job.Spec.Template)
	if *r.deployment.Spec.Replicas != 1 {
		t.Errorf("replicas %d", *r.deployment.Spec.Replicas)
	}
	sc := pod.Spec.SecurityContext
	if sc.FSGroup == nil || *sc.FSGroup != 65532 || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
		t.Errorf("pod security context %+v: the non-root user must own /data (fsGroup)", sc)
	}
	c := pod.Spec.Containers[0]
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the root filesystem is writable")
	}
	if v := mountedAt(c, pod.Spec, "/tmp"); v == nil || v.EmptyDir == nil {
		t.Error("no writable /tmp (emptyDir) beside the read-only root")
	}
	if v := mountedAt(c, pod.Spec, "/data"); v == nil || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != r.pvc.Name {
		t.Error("/data is not the uploads volume")
	}
	if c.StartupProbe == nil || c.StartupProbe.HTTPGet == nil || c.StartupProbe.FailureThreshold*c.StartupProbe.PeriodSeconds < 60 {
		t.Errorf("startup probe %+v: the server migrates at start and needs time", c.StartupProbe)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %+v", c.ReadinessProbe)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != "opencity" {
		t.Errorf("envFrom %+v: DATABASE_URL and the keys come from the secret", c.EnvFrom)
	}
	if key := envVar(c, "OPENCITY_SESSION_KEY"); key != nil {
		t.Errorf("session key %+v: page sessions live in the database and need none", key)
	}
	if got := r.pvc.Spec.AccessModes; len(got) != 1 || got[0] != corev1.ReadWriteOnce {
		t.Errorf("uploads volume access modes %v, want ReadWriteOnce (what default storage classes offer)", got)
	}
	jc := r.job.Spec.Template.Spec.Containers[0]
	if jc.Resources.Requests.Cpu().IsZero() || jc.Resources.Requests.Memory().IsZero() || jc.Resources.Limits.Memory().IsZero() {
		t.Errorf("migration Job resources %+v", jc.Resources)
	}
	if strings.Join(jc.Args, " ") != "migrate --parallel 8" || len(jc.EnvFrom) != 1 {
		t.Errorf("migration Job: args %v, envFrom %v", jc.Args, jc.EnvFrom)
	}
	if r.job.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" {
		t.Errorf("the migration is not a pre-install/upgrade hook: %v", r.job.Annotations)
	}
	// The Service reaches the server's pods, never the migration's.
	sel := labels.SelectorFromSet(r.service.Spec.Selector)
	if !sel.Matches(labels.Set(pod.Labels)) || sel.Matches(labels.Set(r.job.Spec.Template.Labels)) {
		t.Errorf("service selector %v; server pod %v; migration pod %v", r.service.Spec.Selector, pod.Labels, r.job.Spec.Template.Labels)
	}
	if !labels.SelectorFromSet(r.deployment.Spec.Selector.MatchLabels).Matches(labels.Set(pod.Labels)) {
		t.Error("the Deployment does not select its own pods")
	}
	if r.ingress.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name != r.service.Name {
		t.Error("the ingress does not lead to the service")
	}
}

// More than one replica: the uploads must be reachable from every pod (page
// sessions live in the database, which every pod reaches).
func TestChartScaledOut(t *testing.T) {
	r := mustRender(t, scaledOut)
	if *r.deployment.Spec.Replicas != 3 {
		t.Errorf("replicas %d", *r.deployment.Spec.Replicas)
	}
	if got := r.pvc.Spec.AccessModes; len(got) != 1 || got[0] != corev1.ReadWriteMany {
		t.Errorf("uploads access modes %v", got)
	}
	restricted(t, "the server's pod", r.deployment.Spec.Template)

	own := mustRender(t, map[string]any{"replicas": 2, "uploads": map[string]any{"accessMode": "ReadWriteMany"},
		"image": map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32)}, "ingress": map[string]any{"enabled": false}})
	c := own.deployment.Spec.Template.Spec.Containers[0]
	if !strings.HasSuffix(c.Image, "@sha256:"+strings.Repeat("ab", 32)) || own.job.Spec.Template.Spec.Containers[0].Image != c.Image {
		t.Errorf("image %s: pinned by its digest", c.Image)
	}
	if own.ingress != nil {
		t.Error("ingress rendered while disabled")
	}
}

// Values that cannot work are refused by `helm template` with a message
// that says what to set.
func TestChartRefusesBrokenValues(t *testing.T) {
	for _, tc := range []struct {
		vals map[string]any
		want string
	}{
		{map[string]any{"replicas": 2}, "uploads.accessMode=ReadWriteMany"},
		{map[string]any{"existingSecret": ""}, "existingSecret"},
	} {
		if _, err := render(tc.vals); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a refusal naming %s", tc.vals, err, tc.want)
		}
	}
}
