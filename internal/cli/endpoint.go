package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

// localEndpoint is the --endpoint value that runs the emulator in-process.
// It must be asked for by name (C2): no other value, not even an empty one,
// falls back to it.
const localEndpoint = "local"

// localStateFile is the emulator's state inside --state-dir.
const localStateFile = "emulator-state.json"

// localAsyncDelay is how long the in-process emulator keeps objects in
// Creating, Modifying and Deleting: short enough for a fast local loop, long
// enough that the waits of apply run as they do against the real API.
const localAsyncDelay = 50 * time.Millisecond

// endpointFlags returns the flags that choose what a command talks to
// (contract C2). Every command that reads or writes the cloud takes them.
func endpointFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{
			Name:    "endpoint",
			EnvVars: []string{"TMSYNC_ENDPOINT"},
			Usage: "what to talk to: empty for the region's Alibaba Cloud endpoint, `local` for the " +
				"emulator in-process (state in --state-dir, no credentials), or an endpoint such as " +
				"http://127.0.0.1:8080, 127.0.0.1:8080 or https://vpc.example.com (never with user:password@: " +
				"credentials come from the credentials chain)",
		},
		&ucli.StringFlag{
			Name:    "profile",
			EnvVars: []string{"TMSYNC_PROFILE"},
			Usage:   "credentials profile (aliyun CLI or ~/.alibabacloud/credentials); overrides the spec's `profile`",
		},
		&ucli.StringFlag{
			Name:  "state-dir",
			Value: ".tmsync",
			Usage: "directory of local state: the --endpoint local emulator keeps its objects here",
		},
		positive(&ucli.DurationFlag{
			Name:  "request-timeout",
			Value: aliyun.DefaultRequestTimeout,
			Usage: "give up on one API request after this long",
		}),
	}
}

// endpointOptions are the parsed endpoint flags.
type endpointOptions struct {
	Endpoint       string // "", "local", or a URL or host:port
	Profile        string // --profile; wins over the spec's profile
	StateDir       string
	RequestTimeout time.Duration
}

// endpointOptionsFrom reads the endpoint flags of a command.
func endpointOptionsFrom(c *ucli.Context) endpointOptions {
	return endpointOptions{
		Endpoint:       strings.TrimSpace(c.String("endpoint")),
		Profile:        c.String("profile"),
		StateDir:       c.String("state-dir"),
		RequestTimeout: c.Duration("request-timeout"),
	}
}

// local reports whether the options ask for the in-process emulator. Case
// does not matter: "Local" names it as clearly as "local" does.
func (o endpointOptions) local() bool { return strings.EqualFold(o.Endpoint, localEndpoint) }

// validate checks the options without opening anything, so that a command
// can refuse bad flags before reading specs.
func (o endpointOptions) validate() error {
	if err := checkEndpoint(o.Endpoint); err != nil {
		return err
	}
	if o.RequestTimeout < 0 {
		return fmt.Errorf("--request-timeout must not be negative, got %s", o.RequestTimeout)
	}
	if o.local() && o.StateDir == "" {
		return errors.New("--state-dir must not be empty with --endpoint local")
	}
	return nil
}

// checkEndpoint refuses an --endpoint value that is neither `local` nor an
// endpoint aliyun.ParseEndpoint takes. Its error never quotes user
// information, which ParseEndpoint refuses.
func checkEndpoint(e string) error {
	if strings.EqualFold(e, localEndpoint) {
		return nil
	}
	if _, _, err := aliyun.ParseEndpoint(e); err != nil {
		return withHint(fmt.Errorf("--endpoint: %w", err),
			"use `local`, a URL such as http://127.0.0.1:8080, or host:port")
	}
	return nil
}

// open returns a client for region and a function that releases it.
// specProfile is the spec's profile; --profile wins over it.
func (o endpointOptions) open(ctx context.Context, region, specProfile string) (cloud.Client, func() error, error) {
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	if o.local() {
		return o.openLocal(ctx, region)
	}
	profile := o.Profile
	if profile == "" {
		profile = specProfile
	}
	c, err := aliyun.New(ctx, aliyun.Config{
		Region:         region,
		Endpoint:       o.Endpoint,
		Profile:        profile,
		RequestTimeout: o.RequestTimeout,
		UserAgent:      "tmsync/" + version(),
	})
	if err != nil {
		var ce *aliyun.CredentialsError
		if errors.As(err, &ce) {
			return nil, nil, withHint(err, "%s", ce.Hint())
		}
		return nil, nil, err
	}
	return c, c.Close, nil
}

// A localClient is a client of the in-process emulator, named after its
// state file so that plan and apply headers (and saved plans) say where the
// objects live.
type localClient struct {
	*aliyun.Client
	name string
}

func (c localClient) Endpoint() string { return c.name }

// openLocal starts (or reuses) the in-process emulator of the state
// directory and returns a client of it, signed with this process's key.
func (o endpointOptions) openLocal(ctx context.Context, region string) (cloud.Client, func() error, error) {
	state, err := prepareStateDir(o.StateDir)
	if err != nil {
		return nil, nil, err
	}
	id, secret := localKeys()
	srv, release, err := localEmulators.acquire(state, id, secret)
	if err != nil {
		return nil, nil, fmt.Errorf("start the local emulator (%s): %w", state, err)
	}
	cred, err := aliyun.StaticCredential(id, secret)
	if err != nil {
		release()
		return nil, nil, err
	}
	c, err := aliyun.New(ctx, aliyun.Config{
		Region:         region,
		Endpoint:       srv.URL(),
		Credential:     cred,
		RequestTimeout: o.RequestTimeout,
		UserAgent:      "tmsync/" + version(),
	})
	if err != nil {
		release()
		return nil, nil, err
	}
	name := "local (" + filepath.ToSlash(filepath.Join(o.StateDir, localStateFile)) + ")"
	var once sync.Once
	closeFn := func() error {
		var err error
		once.Do(func() {
			err = c.Close()
			release()
		})
		return err
	}
	return localClient{Client: c, name: name}, closeFn, nil
}

// prepareStateDir creates the state directory with a .gitignore that keeps
// all of it out of Git (C2), and returns the absolute path of the state file.
func prepareStateDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create the state directory: %w", err)
	}
	gi := filepath.Join(dir, ".gitignore")
	f, err := os.OpenFile(gi, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case err == nil:
		_, werr := f.WriteString("# Local state of tmsync (--endpoint local); never commit it.\n*\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", fmt.Errorf("write %s: %w", gi, werr)
		}
	case errors.Is(err, fs.ErrExist):
		// The user's own .gitignore stays as it is.
	default:
		return "", fmt.Errorf("write %s: %w", gi, err)
	}
	return filepath.Abs(filepath.Join(dir, localStateFile))
}

// localKeys is the access key pair of the in-process emulator: made up once
// per process, so that no user credentials are needed or ever sent to it.
var localKeys = sync.OnceValues(func() (id, secret string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(err)
	}
	return "LTAItmsynclocal" + hex.EncodeToString(b[:6]), hex.EncodeToString(b[6:])
})

// localEmulators holds the in-process emulators, one per state file, shared
// by every client of the process: stacks and regions run concurrently, and
// two servers on one state file would only contend for its lock.
var localEmulators = &emulatorPool{servers: map[string]*pooledEmulator{}}

type emulatorPool struct {
	mu      sync.Mutex
	servers map[string]*pooledEmulator
}

type pooledEmulator struct {
	srv  *emulator.Server
	refs int
}

// acquire returns the emulator of state, starting it if none runs, and a
// function that releases it; the last release stops it.
func (p *emulatorPool) acquire(state, id, secret string) (*emulator.Server, func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.servers[state]
	if e == nil {
		srv, err := emulator.NewServer(emulator.Options{
			Listen:     "127.0.0.1:0",
			AccessKeys: map[string]string{id: secret},
			StateFile:  state,
			AsyncDelay: localAsyncDelay,
		})
		if err != nil {
			return nil, nil, err
		}
		e = &pooledEmulator{srv: srv}
		p.servers[state] = e
	}
	e.refs++
	var once sync.Once
	return e.srv, func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if e.refs--; e.refs == 0 {
				delete(p.servers, state)
				e.srv.Close()
			}
		})
	}, nil
}
