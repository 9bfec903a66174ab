package workload

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

// NewKeys makes up an access key pair for an emulator and the processes
// that talk to it. Nobody prints it: it only has to differ per run.
func NewKeys() (id, secret string) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "LTAIworkload" + hex.EncodeToString(b[:4]), hex.EncodeToString(b[4:])
}

// Client returns an SDK client of srv for region, signed with the keys.
func Client(ctx context.Context, srv *emulator.Server, region, id, secret string) (*aliyun.Client, error) {
	cred, err := aliyun.StaticCredential(id, secret)
	if err != nil {
		return nil, err
	}
	return aliyun.New(ctx, aliyun.Config{Region: region, Endpoint: srv.URL(), Credential: cred,
		RequestTimeout: 30 * time.Second, UserAgent: "tmsync-workload"})
}

// A Runner starts tmsync processes against one emulator.
type Runner struct {
	// Command returns the command that runs tmsync with args: the built
	// binary, or a test binary that re-executes itself as tmsync.
	Command func(args ...string) *exec.Cmd
	// Endpoint is the emulator's URL, always on 127.0.0.1.
	Endpoint string
	// KeyID and Secret are handed to the process in the environment, the
	// way CI hands real ones; they are never printed.
	KeyID, Secret string
	// Dir holds the processes' HOME, cache and lock directory, so that no
	// run reads the user's own credentials files or leaves locks behind.
	Dir string
	// Env is added to every process's environment (a test binary standing
	// in for tmsync learns so that it should).
	Env []string
}

// Binary returns a Command for the tmsync binary at path.
func Binary(path string) func(args ...string) *exec.Cmd {
	return func(args ...string) *exec.Cmd { return exec.Command(path, args...) }
}

// An Outcome is how one tmsync process ended.
type Outcome struct {
	Code   int           // exit code; -1 when killed by a signal
	Wall   time.Duration // from start to exit
	MaxRSS int64         // peak resident set size in bytes; 0 if unknown
	Stdout string
	Stderr string
	Killed bool
}

// LockDir is the --lock-dir every process of r uses: its locks and the
// journal of unfinished applies live there.
func (r *Runner) LockDir() string { return filepath.Join(r.Dir, "locks") }

// Args adds the endpoint and lock flags every command needs to a command
// line such as {"plan", "-f", dir}.
func (r *Runner) Args(args ...string) []string {
	return append(append([]string(nil), args...), "--endpoint", r.Endpoint, "--lock-dir", r.LockDir(), "--no-color")
}

func (r *Runner) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ALIBABA_CLOUD_") || strings.HasPrefix(k, "ALICLOUD_") || strings.HasPrefix(k, "TMSYNC_") ||
			k == "HOME" || k == "XDG_CACHE_HOME" || k == "XDG_CONFIG_HOME" {
			continue
		}
		env = append(env, kv)
	}
	home := filepath.Join(r.Dir, "home")
	env = append(env,
		"HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+r.KeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+r.Secret, "NO_COLOR=1")
	return append(env, r.Env...)
}

// A Process is a started tmsync process.
type Process struct {
	cmd    *exec.Cmd
	start  time.Time
	out    bytes.Buffer
	errb   bytes.Buffer
	done   chan struct{}
	result Outcome
}

// Start starts tmsync with the given command line (see Args).
func (r *Runner) Start(args ...string) (*Process, error) {
	if err := os.MkdirAll(filepath.Join(r.Dir, "home"), 0o755); err != nil {
		return nil, err
	}
	p := &Process{cmd: r.Command(args...), done: make(chan struct{})}
	p.cmd.Env = r.env()
	p.cmd.Stdin = nil
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errb
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		err := p.cmd.Wait()
		p.result.Wall = time.Since(p.start)
		p.result.Code = p.cmd.ProcessState.ExitCode()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			p.result.Code = -1
		}
		p.result.MaxRSS = maxRSS(p.cmd.ProcessState)
		p.result.Stdout, p.result.Stderr = p.out.String(), p.errb.String()
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Kill ends the process at once, the way a lost CI runner ends, and waits
// for it.
func (p *Process) Kill() Outcome {
	_ = p.cmd.Process.Kill()
	<-p.done
	p.result.Killed = true
	return p.result
}

// Wait waits for the process to exit; when ctx ends first, it kills it.
func (p *Process) Wait(ctx context.Context) Outcome {
	select {
	case <-p.done:
		return p.result
	case <-ctx.Done():
		return p.Kill()
	}
}

// Run starts tmsync and waits for it.
func (r *Runner) Run(ctx context.Context, args ...string) (Outcome, error) {
	p, err := r.Start(args...)
	if err != nil {
		return Outcome{}, err
	}
	return p.Wait(ctx), nil
}
