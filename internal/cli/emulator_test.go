package cli

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tmsync/tmsync/internal/emulator"
)

// TestEmulatorCommand runs `tmsync emulator` as a user would: the first
// line is the endpoint, tmsync plans and applies against it with the keys
// given, the secret given is never printed, and it stops when asked.
func TestEmulatorCommand(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := emulatorOptions{listen: "127.0.0.1:0", accessKeyID: "user-key", accessKeySecret: "user-secret-never-printed",
		asyncDelay: 5 * time.Millisecond, quotas: emulator.Quotas{SourcesPerSession: 10}}
	done := make(chan error, 1)
	var errOut strings.Builder
	go func() { done <- runEmulator(ctx, o, pw, &errOut); pw.Close() }()

	r := bufio.NewReader(pr)
	endpoint, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	endpoint = strings.TrimSpace(endpoint)
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("first line %q, want the endpoint", endpoint)
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(r); rest <- string(b) }()

	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", o.accessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", o.accessKeySecret)
	dir := t.TempDir()
	writeSpec(t, dir, "s.yaml", bigSpec(2, 1))
	if code, _, e := run(t, "apply", "-f", dir, "--endpoint", endpoint, "--auto-approve", "--lock-dir", t.TempDir(),
		"--poll-interval", "2ms"); code != 0 {
		t.Fatalf("apply against tmsync emulator: exit %d\n%s", code, e)
	}
	if code, out, e := run(t, "plan", "-f", dir, "--endpoint", endpoint, "--detailed-exitcode"); code != 0 {
		t.Fatalf("plan after apply: exit %d\n%s%s", code, out, e)
	}
	if code, _, e := run(t, "plan", "-f", dir, "--endpoint", endpoint); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, e)
	}
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
	if code, _, e := run(t, "plan", "-f", dir, "--endpoint", endpoint); code != ExitError || !strings.Contains(e, "SignatureDoesNotMatch") {
		t.Errorf("plan with a wrong secret: exit %d, want 1 and SignatureDoesNotMatch\n%s", code, e)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("emulator returned %v", err)
	}
	if out := <-rest; strings.Contains(out, o.accessKeySecret) || strings.Contains(errOut.String(), o.accessKeySecret) {
		t.Errorf("the secret given was printed:\n%s", out)
	}
}

// TestEmulatorWarnsWhenExposed checks that `tmsync emulator --listen` on an
// address other machines can reach says so on stderr, and only then.
func TestEmulatorWarnsWhenExposed(t *testing.T) {
	for name, tc := range map[string]struct {
		listen string
		warn   bool
	}{
		"loopback":      {listen: "127.0.0.1:0"},
		"localhost":     {listen: "localhost:0"},
		"all addresses": {listen: "0.0.0.0:0", warn: true},
		"no host":       {listen: ":0", warn: true},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			var errOut strings.Builder
			done := make(chan error, 1)
			go func() {
				done <- runEmulator(ctx, emulatorOptions{listen: tc.listen, quotas: emulator.Quotas{SourcesPerSession: 10}}, pw, &errOut)
				pw.Close()
			}()
			// The endpoint is printed after the warning: once it is read,
			// the warning is written.
			if _, err := bufio.NewReader(pr).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, pr)
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("emulator returned %v", err)
			}
			got := strings.Contains(errOut.String(), "warning: the emulator listens on")
			if got != tc.warn {
				t.Errorf("--listen %s: warning printed = %v, want %v\nstderr: %s", tc.listen, got, tc.warn, errOut.String())
			}
		})
	}
}
