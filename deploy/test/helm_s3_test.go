package deploytest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Photos in an S3-compatible bucket: the settings reach the server and the
// migration, several replicas need no ReadWriteMany volume then, and an
// endpoint without a bucket is refused. By default nothing S3 is set.
func TestChartPhotosInBucket(t *testing.T) {
	if c := mustRender(t, nil).deployment.Spec.Template.Spec.Containers[0]; envVar(c, "OPENCITY_S3_ENDPOINT") != nil {
		t.Error("the defaults set OPENCITY_S3_ENDPOINT: photos belong on the uploads volume")
	}
	r := mustRender(t, map[string]any{"replicas": 3,
		"s3": map[string]any{"endpoint": "minio.storage:9000", "bucket": "city-photos", "useSSL": false}})
	want := map[string]string{"OPENCITY_S3_ENDPOINT": "minio.storage:9000", "OPENCITY_S3_BUCKET": "city-photos", "OPENCITY_S3_USE_SSL": "false"}
	for name, c := range map[string]corev1.Container{"server": r.deployment.Spec.Template.Spec.Containers[0],
		"migration": r.job.Spec.Template.Spec.Containers[0]} {
		for k, v := range want {
			if e := envVar(c, k); e == nil || e.Value != v {
				t.Errorf("%s: %s = %+v, want %q", name, k, e, v)
			}
		}
	}
	restricted(t, "the server's pod", r.deployment.Spec.Template)
	if _, err := render(map[string]any{"s3": map[string]any{"endpoint": "minio.storage:9000", "bucket": ""}}); err == nil || !strings.Contains(err.Error(), "s3.bucket") {
		t.Errorf("an endpoint without a bucket: %v", err)
	}
}
