package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
)

// isolateCredentials leaves the test process with no credentials but those
// it sets itself.
func isolateCredentials(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	for _, k := range []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CONFIG_FILE", "ALIBABA_CLOUD_CREDENTIALS_FILE",
		"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
		"ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ECS_METADATA",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
}

func TestEndpointOpen(t *testing.T) {
	type want struct {
		Endpoint string
		Err      bool
		Hint     string // a substring of the hint, if an error
	}
	cases := map[string]struct {
		reason string
		opts   endpointOptions
		creds  bool
		want   want
	}{
		"Alibaba": {
			reason: "no endpoint is the region's Alibaba Cloud endpoint",
			opts:   endpointOptions{}, creds: true,
			want: want{Endpoint: "https://vpc.cn-hongkong.aliyuncs.com"},
		},
		"Local": {
			reason: "local runs the emulator in-process and is named after its state",
			opts:   endpointOptions{Endpoint: "local", StateDir: ".tmsync"},
			want:   want{Endpoint: "local (.tmsync/emulator-state.json)"},
		},
		"HTTPURL": {
			reason: "an http URL", opts: endpointOptions{Endpoint: "http://127.0.0.1:1"}, creds: true,
			want: want{Endpoint: "http://127.0.0.1:1"},
		},
		"HostPort": {
			reason: "a bare loopback host:port is plain http", opts: endpointOptions{Endpoint: "127.0.0.1:1"}, creds: true,
			want: want{Endpoint: "http://127.0.0.1:1"},
		},
		"HTTPS": {
			reason: "an https URL", opts: endpointOptions{Endpoint: "https://x"}, creds: true,
			want: want{Endpoint: "https://x"},
		},
		"BadScheme": {
			reason: "a scheme the SDK cannot speak", opts: endpointOptions{Endpoint: "ftp://x"}, creds: true,
			want: want{Err: true, Hint: "use `local`"},
		},
		"LocalAnyCase": {
			reason: "Local names the emulator as clearly as local",
			opts:   endpointOptions{Endpoint: "Local", StateDir: "st"},
			want:   want{Endpoint: "local (st/emulator-state.json)"},
		},
		"NoCredentials": {
			reason: "the real API without credentials says what to do",
			opts:   endpointOptions{},
			want:   want{Err: true, Hint: "--endpoint local"},
		},
		"NegativeTimeout": {
			reason: "a negative timeout is refused",
			opts:   endpointOptions{RequestTimeout: -1}, creds: true,
			want: want{Err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			isolateCredentials(t)
			t.Chdir(t.TempDir())
			if tc.creds {
				t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK")
				t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
			}
			c, closeFn, err := tc.opts.open(context.Background(), "cn-hongkong", "")
			var got want
			if err != nil {
				got.Err = true
				var he hintError
				if errors.As(err, &he) && tc.want.Hint != "" && strings.Contains(he.hint, tc.want.Hint) {
					got.Hint = tc.want.Hint
				}
			} else {
				got.Endpoint = c.Endpoint()
				if c.Region() != "cn-hongkong" {
					t.Errorf("Region: got %q", c.Region())
				}
				if err := closeFn(); err != nil {
					t.Errorf("close: %v", err)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nopen (error %v): -want +got:\n%s", tc.reason, err, diff)
			}
		})
	}
}

func TestLocalState(t *testing.T) {
	isolateCredentials(t)
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	o := endpointOptions{Endpoint: "local", StateDir: ".tmsync"}

	// Two regions at once share one emulator.
	var (
		wg      sync.WaitGroup
		clients = make([]cloud.Client, 2)
		closers = make([]func() error, 2)
		errs    = make([]error, 2)
	)
	for i, region := range []string{"cn-hongkong", "cn-shanghai"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i], closers[i], errs[i] = o.open(ctx, region, "")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("open local: %v", err)
		}
	}
	if n := pooled(); n != 1 {
		t.Errorf("%d emulators run for one state directory, want 1", n)
	}
	id, err := clients[0].CreateFilter(ctx, cloud.CreateFilterInput{Name: "kept", WriteOptions: cloud.WriteOptions{Token: "tm1-x"}})
	if err != nil {
		t.Fatalf("CreateFilter: %v", err)
	}
	if fs, err := clients[1].ListFilters(ctx, cloud.ListFiltersInput{}); err != nil || len(fs) != 0 {
		t.Errorf("the other region sees %v (error %v), want nothing", fs, err)
	}
	for _, c := range closers {
		if err := c(); err != nil {
			t.Fatal(err)
		}
		c() // closing twice is harmless
	}
	if n := pooled(); n != 0 {
		t.Errorf("%d emulators still run after every client closed", n)
	}

	gi, err := os.ReadFile(filepath.Join(dir, ".tmsync", ".gitignore"))
	if err != nil || !strings.Contains("\n"+string(gi), "\n*\n") {
		t.Errorf(".tmsync/.gitignore = %q (error %v), want a line \"*\"", gi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmsync", localStateFile)); err != nil {
		t.Errorf("state file: %v", err)
	}

	// A new process (here: a new emulator) finds the filter in the state.
	c, closeFn, err := o.open(ctx, "cn-hongkong", "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	fs, err := c.ListFilters(ctx, cloud.ListFiltersInput{})
	if err != nil || len(fs) != 1 || fs[0].ID != id {
		t.Errorf("after restart: got %v (error %v), want filter %s", fs, err, id)
	}
}

func TestLocalKeepsUserGitignore(t *testing.T) {
	isolateCredentials(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	mine := "emulator-state.json\n"
	if err := os.WriteFile(filepath.Join(state, ".gitignore"), []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	c, closeFn, err := endpointOptions{Endpoint: "local", StateDir: state}.open(context.Background(), "cn-hongkong", "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if want := "local (" + filepath.ToSlash(filepath.Join(state, localStateFile)) + ")"; c.Endpoint() != want {
		t.Errorf("Endpoint: got %q, want %q", c.Endpoint(), want)
	}
	got, _ := os.ReadFile(filepath.Join(state, ".gitignore"))
	if diff := cmp.Diff(mine, string(got)); diff != "" {
		t.Errorf("the user's .gitignore changed: -want +got:\n%s", diff)
	}
}

func pooled() int {
	localEmulators.mu.Lock()
	defer localEmulators.mu.Unlock()
	return len(localEmulators.servers)
}

// TestEndpointUserInfo: every command that takes --endpoint (or
// TMSYNC_ENDPOINT) refuses user information in it, and never prints the
// password, whatever else is wrong with the value.
func TestEndpointUserInfo(t *testing.T) {
	const secret = "s3cr3t-pa55w0rd"
	dir := t.TempDir()
	writeSpec(t, dir, "s.yaml", "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\n")
	args := map[string][]string{
		"plan": {"-f", dir}, "apply": {"-f", dir, "--auto-approve"}, "destroy": {"-f", dir, "--auto-approve"},
		"drift": {"-f", dir}, "validate": {"-f", dir}, "export": {"--region", "cn-hangzhou"}, "doctor": {"--region", "cn-hangzhou"},
		"explain": {"-f", dir, "--filter", "web", "--packet", "tcp 10.1.2.3:5555 > 10.0.0.5:443"},
	}
	endpoints := []string{"http://admin:" + secret + "@127.0.0.1:1", "admin:" + secret + "@127.0.0.1:1", "https://admin:" + secret + "@host:bad"}
	for _, cmd := range commands() {
		takes := false
		for _, f := range cmd.Flags {
			takes = takes || f.Names()[0] == "endpoint"
		}
		if !takes {
			continue
		}
		extra, ok := args[cmd.Name]
		if !ok {
			t.Errorf("%s takes --endpoint and has no case", cmd.Name)
			continue
		}
		for _, ep := range endpoints {
			for _, viaEnv := range []bool{false, true} {
				t.Run(cmd.Name, func(t *testing.T) {
					a := append([]string{cmd.Name}, extra...)
					t.Setenv("TMSYNC_ENDPOINT", "")
					if viaEnv {
						t.Setenv("TMSYNC_ENDPOINT", ep)
					} else {
						a = append(a, "--endpoint", ep)
					}
					lock := t.TempDir()
					if cmd.Name != "validate" && cmd.Name != "export" && cmd.Name != "doctor" && cmd.Name != "explain" {
						a = append(a, "--lock-dir", lock)
					}
					code, stdout, stderr := run(t, a...)
					if code != ExitError {
						t.Errorf("exit %d, want %d", code, ExitError)
					}
					if !strings.Contains(stderr, "user information (user:password@) is not allowed") {
						t.Errorf("stderr does not refuse the user information:\n%s", stderr)
					}
					if strings.Contains(stdout+stderr, secret) {
						t.Errorf("the password is printed:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
					}
				})
			}
		}
	}
}
