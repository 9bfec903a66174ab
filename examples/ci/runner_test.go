package ci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tmsync/tmsync/internal/cli"
)

// What the CI runners of these tests share: the release the templates
// install, and the programs found on a runner.

// versionEnv makes the tmsync of a fake release report its version.
const versionEnv = "CI_TEST_TMSYNC_VERSION"

// runTmsync is tmsync as the fake release runs it.
func runTmsync() {
	if v := os.Getenv(versionEnv); v != "" {
		cli.Version = v
	}
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// A fakeRelease is a release of tmsync served as GitHub serves release
// assets, at URL/VERSION/NAME, with what make release writes for this
// machine's platform: an archive holding tmsync, and SHA256SUMS. Its
// tmsync is this test binary (under the name tmsync, so that TestMain runs
// tmsync), reporting the version of the release. The templates install it
// with the repository's scripts/install.sh.
type fakeRelease struct {
	URL     string
	Version string
	// SumsSHA256 is the sha256 of SHA256SUMS: the pin of the release.
	SumsSHA256 string
	srv        *httptest.Server
}

func newFakeRelease(t *testing.T, version string) *fakeRelease {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	impl := filepath.Join(t.TempDir(), "tmsync")
	if err := os.Symlink(exe, impl); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\n%s=%s exec %s \"$@\"\n", versionEnv, version, impl)
	var archive bytes.Buffer
	zw := gzip.NewWriter(&archive)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "tmsync", Mode: 0o755, Size: int64(len(script)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("tmsync-%s-%s-%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)
	sums := []byte(hexSHA256(archive.Bytes()) + "  " + name + "\n")
	files := map[string][]byte{name: archive.Bytes(), "SHA256SUMS": sums}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := strings.CutPrefix(r.URL.Path, "/"+version+"/")
		if b, found := files[f]; ok && found {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return &fakeRelease{URL: srv.URL, Version: version, SumsSHA256: hexSHA256(sums), srv: srv}
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// runnerPath is the PATH of a runner's steps: the machine's PATH without the
// commands of the test binary, and a directory holding the fakes named (the
// runner's preinstalled tools that these tests replace: gh, apt-get, ...).
// tmsync is not on it: the templates install it.
func runnerPath(t *testing.T, fakes ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tools := t.TempDir()
	for _, f := range fakes {
		if err := os.Symlink(exe, filepath.Join(tools, f)); err != nil {
			t.Fatal(err)
		}
	}
	// Left out: every directory with a tmsync, such as the one where
	// testscript puts the test binary's commands, or a tmsync the machine
	// has installed.
	dirs := []string{tools}
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "tmsync")); err != nil {
			dirs = append(dirs, d)
		}
	}
	return strings.Join(dirs, string(os.PathListSeparator))
}

// installScript is the repository's install script, which users copy next
// to a template.
func installScript(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
