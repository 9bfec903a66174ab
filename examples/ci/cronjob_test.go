package ci

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/tmsync/tmsync/internal/cli"
	"github.com/tmsync/tmsync/internal/emulator"
)

// cronJobManifest reads the template as JSON values.
func cronJobManifest(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("kubernetes", "cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	// Through JSON, so that the values are what a schema validator sees.
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func cronJobSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	path := filepath.Join("testdata", "cronjob-batch-v1.schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := c.AddResource("cronjob-batch-v1.schema.json", f); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("cronjob-batch-v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at walks a manifest: keys of maps, indexes of lists.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func set(v any, value any, path ...any) {
	parent := at(v, path[:len(path)-1]...)
	switch k := path[len(path)-1].(type) {
	case string:
		if value == nil {
			delete(parent.(map[string]any), k)
		} else {
			parent.(map[string]any)[k] = value
		}
	case int:
		parent.([]any)[k] = value
	}
}

var podSpec = []any{"spec", "jobTemplate", "spec", "template", "spec"}

func pod(path ...any) []any { return append(append([]any{}, podSpec...), path...) }

// TestCronJobSchema validates the template against the batch/v1 schema, and
// shows the schema refuses what the API server would.
func TestCronJobSchema(t *testing.T) {
	schema := cronJobSchema(t)
	cases := map[string]struct {
		reason string
		mutate func(m map[string]any)
		valid  bool
	}{
		"template":       {reason: "The template as shipped is a valid batch/v1 CronJob.", mutate: func(map[string]any) {}, valid: true},
		"policy":         {reason: "concurrencyPolicy has three values.", mutate: func(m map[string]any) { set(m, "Never", "spec", "concurrencyPolicy") }},
		"restart-always": {reason: "A Job's pods cannot restart Always.", mutate: func(m map[string]any) { set(m, "Always", pod("restartPolicy")...) }},
		"typo":           {reason: "Unknown fields are refused (kubectl --validate=strict).", mutate: func(m map[string]any) { set(m, "x", "spec", "concurencyPolicy") }},
		"no-name":        {reason: "A container needs a name.", mutate: func(m map[string]any) { set(m, nil, pod("containers", 0, "name")...) }},
		"short-token": {reason: "A projected token lives at least 10 minutes.", mutate: func(m map[string]any) {
			set(m, 60, pod("volumes", 1, "projected", "sources", 0, "serviceAccountToken", "expirationSeconds")...)
		}},
		"env-number": {reason: "Env values are strings.", mutate: func(m map[string]any) { set(m, 1, pod("containers", 0, "env", 3, "value")...) }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := cronJobManifest(t)
			tc.mutate(m)
			err := schema.Validate(m)
			if (err == nil) != tc.valid {
				t.Errorf("%s\nvalid = %v, want %v: %v", tc.reason, err == nil, tc.valid, err)
			}
		})
	}
}

// TestCronJobWiring checks what the schema cannot: the policy, the RRSA
// variables and the volumes they point into, the checkout the spec comes
// from.
func TestCronJobWiring(t *testing.T) {
	m := cronJobManifest(t)
	env := map[string]string{}
	for _, e := range at(m, pod("containers", 0, "env")...).([]any) {
		env[at(e, "name").(string)] = at(e, "value").(string)
	}
	mounts := map[string]string{}
	for _, vm := range at(m, pod("containers", 0, "volumeMounts")...).([]any) {
		mounts[at(vm, "name").(string)] = at(vm, "mountPath").(string)
	}
	token := at(m, pod("volumes", 1, "projected", "sources", 0, "serviceAccountToken")...)
	type wiring struct {
		Policy, TokenFile, TokenAudience, CloneInto, SpecPath, Command string
		RRSA                                                           []string
	}
	args := at(m, pod("containers", 0, "args")...).([]any)
	var argv []string
	for _, a := range args {
		argv = append(argv, a.(string))
	}
	initArgs := at(m, pod("initContainers", 0, "args")...).([]any)
	got := wiring{
		Policy:        at(m, "spec", "concurrencyPolicy").(string),
		TokenFile:     mounts[at(m, pod("volumes", 1, "name")...).(string)] + "/" + at(token, "path").(string),
		TokenAudience: at(token, "audience").(string),
		CloneInto:     initArgs[len(initArgs)-1].(string),
		SpecPath:      argv[2],
		Command:       argv[0] + " " + argv[3],
	}
	for _, k := range []string{"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"} {
		if env[k] != "" {
			got.RRSA = append(got.RRSA, k)
		}
	}
	want := wiring{
		Policy:        "Forbid",
		TokenFile:     env["ALIBABA_CLOUD_OIDC_TOKEN_FILE"],
		TokenAudience: "sts.aliyuncs.com",
		CloneInto:     "/work/repo",
		SpecPath:      "/work/repo/specs/web-ids",
		Command:       "apply --auto-approve",
		RRSA:          []string{"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CronJob wiring: -want +got:\n%s", diff)
	}
	if !strings.HasPrefix(got.CloneInto, mounts["work"]+"/") {
		t.Errorf("the checkout %s is not on the work volume (%s) the tmsync container mounts", got.CloneInto, mounts["work"])
	}
}

// TestCronJobCommand runs the container's command line as tmsync would run
// it in the pod, against an emulator, on a checkout of a spec: it converges,
// and the next run has nothing to do.
func TestCronJobCommand(t *testing.T) {
	m := cronJobManifest(t)
	checkout := t.TempDir()
	specDir := filepath.Join(checkout, "specs", "web-ids")
	if err := os.MkdirAll(specDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(specDir, "mirror.yaml"), []byte(`stack: web-ids
region: cn-hangzhou
filters:
  web:
    ingress: [{priority: 1, action: accept, protocol: ALL}]
sessions:
  web-to-ids: {filter: web, target: {type: SLB, id: lb-ids01}, sources: [eni-web01], priority: 5}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.NewServer(emulator.Options{AccessKeys: map[string]string{ciKeyID: ciKeySecret}, AsyncDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ciKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ciKeySecret)
	t.Setenv("TMSYNC_ENDPOINT", srv.URL())
	work := t.TempDir()
	argv := []string{"tmsync"}
	for _, a := range at(m, pod("containers", 0, "args")...).([]any) {
		s := strings.Replace(a.(string), "/work/repo", checkout, 1)
		argv = append(argv, strings.Replace(s, "/work/locks", filepath.Join(work, "locks"), 1))
	}
	argv = append(argv, "--poll-interval", "5ms", "--retry-interval", "5ms")
	for i, want := range []string{"has converged", "No changes."} {
		var stdout, stderr bytes.Buffer
		if code := cli.Main(argv, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: %v exit %d\n%s\n%s", i+1, argv, code, stdout.String(), stderr.String())
		}
		if !strings.Contains(stdout.String()+stderr.String(), want) {
			t.Errorf("run %d does not say %q:\n%s\n%s", i+1, want, stdout.String(), stderr.String())
		}
	}
}
