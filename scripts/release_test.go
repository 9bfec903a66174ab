package scripts

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// testVersion is the version the tests release.
const testVersion = "v9.8.7-test"

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
	releaseLog  []byte
)

// release runs make release once, for this machine's platform, into a
// directory that lives as long as the test binary.
func release(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	releaseOnce.Do(func() {
		releaseDir, releaseErr = os.MkdirTemp("", "tmsync-release-")
		if releaseErr != nil {
			return
		}
		cmd := exec.Command("make", "-C", "..", "release", "VERSION="+testVersion, "DIST="+releaseDir,
			"RELEASE_PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH)
		releaseLog, releaseErr = cmd.CombinedOutput()
	})
	if releaseErr != nil {
		t.Fatalf("make release: %v\n%s", releaseErr, releaseLog)
	}
	return releaseDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if releaseDir != "" {
		os.RemoveAll(releaseDir)
	}
	os.Exit(code)
}

func sum256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestRelease checks what make release writes: per platform a tar.gz with
// the static binary alone and its SBOM (go version -m), and SHA256SUMS of
// both, in the format sha256sum -c reads.
func TestRelease(t *testing.T) {
	dir := release(t)
	name := fmt.Sprintf("tmsync-%s-%s-%s", testVersion, runtime.GOOS, runtime.GOARCH)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if diff := cmp.Diff([]string{"SHA256SUMS", name + ".sbom.txt", name + ".tar.gz"}, files); diff != "" {
		t.Errorf("files of make release: -want +got:\n%s", diff)
	}

	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range []string{name + ".sbom.txt", name + ".tar.gz"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, sum256(b)+"  "+f)
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(string(sums)), "\n")); diff != "" {
		t.Errorf("SHA256SUMS: -want +got:\n%s", diff)
	}
	if !strings.Contains(string(releaseLog), "TMSYNC_SHA256SUMS_SHA256="+sum256(sums)) {
		t.Errorf("make release does not print the pin of SHA256SUMS (%s):\n%s", sum256(sums), releaseLog)
	}

	members := untar(t, filepath.Join(dir, name+".tar.gz"))
	if len(members) != 1 || members["tmsync"] == nil {
		t.Fatalf("the archive holds %v, want only tmsync", keys(members))
	}
	bin := filepath.Join(t.TempDir(), "tmsync")
	if err := os.WriteFile(bin, members["tmsync"], 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "tmsync "+testVersion {
		t.Errorf("tmsync --version of the archive = %q, %v; want tmsync %s", out, err, testVersion)
	}

	sbom, err := os.ReadFile(filepath.Join(dir, name+".sbom.txt"))
	if err != nil {
		t.Fatal(err)
	}
	vm, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	// The SBOM is go version -m of the binary, named without the build's path.
	if got, want := string(sbom), "tmsync"+strings.TrimPrefix(string(vm), bin); got != want {
		t.Errorf("the SBOM is not go version -m of the archived binary: -want +got:\n%s", cmp.Diff(want, got))
	}
	for _, line := range []string{
		"\tpath\tgithub.com/tmsync/tmsync/cmd/tmsync\n",
		"\tbuild\tCGO_ENABLED=0\n",
		"\tbuild\t-trimpath=true\n",
		"\tdep\tgithub.com/aliyun/credentials-go\t",
		"\tbuild\tGOOS=" + runtime.GOOS + "\n",
	} {
		if !strings.Contains(string(sbom), line) {
			t.Errorf("the SBOM has no line %q:\n%s", line, sbom)
		}
	}
}

func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg && h.Mode&0o111 == 0 {
			t.Errorf("%s in %s is not executable (mode %o)", h.Name, path, h.Mode)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = b
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// fakeArchive is a release archive whose tmsync is a script printing
// version line.
func fakeArchive(t *testing.T, versionLine string) []byte {
	t.Helper()
	script := []byte("#!/bin/sh\necho '" + versionLine + "'\n")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "tmsync", Mode: 0o755, Size: int64(len(script)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(script); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestInstall runs scripts/install.sh (with sh, as the CI templates do)
// against a local file server serving the output of make release under
// /download/VERSION/, as GitHub serves release assets, and against
// releases altered on the way.
func TestInstall(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if _, err := exec.LookPath("wget"); err != nil {
			t.Skip("neither curl nor wget is installed")
		}
	}
	dir := release(t)
	name := fmt.Sprintf("tmsync-%s-%s-%s.tar.gz", testVersion, runtime.GOOS, runtime.GOARCH)
	real := map[string][]byte{}
	for _, f := range []string{"SHA256SUMS", name} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		real[f] = b
	}
	pin := sum256(real["SHA256SUMS"])
	tampered := append([]byte(nil), real[name]...)
	tampered[len(tampered)/2] ^= 0xff
	liar := fakeArchive(t, "tmsync v0.0.1")
	liarSums := []byte(sum256(liar) + "  " + name + "\n")
	fakeUname := t.TempDir()
	if err := os.WriteFile(filepath.Join(fakeUname, "uname"), []byte("#!/bin/sh\ncase $1 in -s) echo Linux ;; -m) echo riscv64 ;; esac\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		reason  string
		files   map[string][]byte // served under /download/v9.8.7-test/
		args    []string
		env     []string
		path    string // prepended to PATH
		ok      bool
		message string // on stderr
	}{
		"installs": {
			reason:  "The archive of this machine is checked against SHA256SUMS and installed; an unpinned SHA256SUMS is named.",
			files:   real,
			ok:      true,
			message: "SHA256SUMS of " + testVersion + " is not pinned (sha256 " + pin + ")",
		},
		"pinned": {
			reason: "A pin equal to the sha256 of SHA256SUMS installs.",
			files:  real,
			args:   []string{"-s", pin},
			ok:     true,
		},
		"pinned-by-env": {
			reason: "TMSYNC_SHA256SUMS_SHA256 pins as -s does (the CI templates set it).",
			files:  real,
			env:    []string{"TMSYNC_SHA256SUMS_SHA256=" + pin},
			ok:     true,
		},
		"wrong-pin": {
			reason:  "Any other SHA256SUMS is refused.",
			files:   real,
			args:    []string{"-s", strings.Repeat("0", 64)},
			message: "SHA256SUMS of " + testVersion + " has sha256 " + pin + ", not the pinned " + strings.Repeat("0", 64),
		},
		"tampered": {
			reason:  "An archive that does not match SHA256SUMS is refused.",
			files:   map[string][]byte{"SHA256SUMS": real["SHA256SUMS"], name: tampered},
			message: name + " has sha256 " + sum256(tampered) + ", but SHA256SUMS says",
		},
		"other-version": {
			reason:  "A binary that reports another version than the one asked for is refused.",
			files:   map[string][]byte{"SHA256SUMS": liarSums, name: liar},
			message: `says "tmsync v0.0.1", not "tmsync ` + testVersion + `"`,
		},
		"no-release": {
			reason:  "A version that was not released cannot be downloaded.",
			files:   map[string][]byte{},
			message: "could not download",
		},
		"other-platform": {
			reason:  "A machine the release has no archive for gets an error naming its architecture.",
			files:   real,
			path:    fakeUname,
			message: "no tmsync release for riscv64",
		},
		"no-version": {
			reason:  "A version must be given.",
			files:   real,
			args:    []string{""},
			message: "no version",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f, ok := strings.CutPrefix(r.URL.Path, "/download/"+testVersion+"/")
				b, found := tc.files[f]
				if !ok || !found {
					http.NotFound(w, r)
					return
				}
				w.Write(b)
			}))
			defer srv.Close()
			into := filepath.Join(t.TempDir(), "bin")
			args := append([]string{"install.sh", "-d", into}, tc.args...)
			if len(tc.args) == 0 || tc.args[0] == "-s" {
				args = append(args, testVersion)
			}
			cmd := exec.Command("sh", args...)
			cmd.Env = append(os.Environ(), "TMSYNC_RELEASE_URL="+srv.URL+"/download", "TMSYNC_SHA256SUMS_SHA256=", "TMSYNC_VERSION=")
			cmd.Env = append(cmd.Env, tc.env...)
			if tc.path != "" {
				cmd.Env = append(cmd.Env, "PATH="+tc.path+string(os.PathListSeparator)+os.Getenv("PATH"))
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if (err == nil) != tc.ok {
				t.Fatalf("%s\ninstall.sh: %v, want ok=%v\nstdout:\n%s\nstderr:\n%s", tc.reason, err, tc.ok, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.message) {
				t.Errorf("%s\nstderr does not say %q:\n%s", tc.reason, tc.message, stderr.String())
			}
			bin := filepath.Join(into, "tmsync")
			if !tc.ok {
				if _, err := os.Stat(bin); err == nil {
					t.Errorf("%s\n%s was installed", tc.reason, bin)
				}
				return
			}
			if !strings.Contains(stdout.String(), "tmsync "+testVersion+" installed in "+bin) {
				t.Errorf("stdout does not say where tmsync went:\n%s", stdout.String())
			}
			out, err := exec.Command(bin, "--version").Output()
			if err != nil || strings.TrimSpace(string(out)) != "tmsync "+testVersion {
				t.Errorf("installed tmsync --version = %q, %v", out, err)
			}
		})
	}
}

// TestDockerfile checks what can be checked without a Docker engine: the
// Dockerfile at the root parses and lints clean with BuildKit's own parser;
// its final image is distroless static (or scratch), runs as a non-root
// user and holds only the binary of the build stage; that binary is built
// as make release builds it (cgo off, the same go build flags, ldflags with
// the version), with the Go of go.mod.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the Dockerfile does not parse: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	var lint []string
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{
		Warn: func(rule, _, _, msg string, loc []parser.Range) {
			lint = append(lint, fmt.Sprintf("%s: %s (%v)", rule, msg, loc))
		},
	}))
	if err != nil {
		t.Fatalf("the Dockerfile's instructions do not parse: %v", err)
	}
	for _, l := range lint {
		t.Errorf("lint: %s", l)
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a build stage and the image", len(stages))
	}
	build, image := stages[0], stages[1]

	// The image: distroless static or scratch, a non-root USER, the binary.
	if !strings.HasPrefix(image.BaseName, "gcr.io/distroless/static") && image.BaseName != "scratch" {
		t.Errorf("the image is based on %s, want distroless static or scratch", image.BaseName)
	}
	var user, copied, entry string
	for _, c := range image.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.CopyCommand:
			if c.From == build.Name {
				copied = c.SourcePaths[0] + " " + c.DestPath
			}
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Errorf("ENTRYPOINT in shell form: the image has no shell")
			}
			entry = strings.Join(c.CmdLine, " ")
		case *instructions.RunCommand:
			t.Errorf("RUN %v in the image: it has no shell", c.CmdLine)
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" || uid == "root" {
		t.Errorf("USER %q: the image must run as a non-root user", user)
	}
	if copied != "/out/tmsync /usr/local/bin/tmsync" || entry != "/usr/local/bin/tmsync" {
		t.Errorf("the image copies %q and runs %q; want the build stage's /out/tmsync as /usr/local/bin/tmsync", copied, entry)
	}

	// The Go of the build stage is the go line of go.mod.
	goVersion := ""
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Key == "GO_VERSION" && kv.Value != nil {
				goVersion = *kv.Value
			}
		}
	}
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil || goVersion != string(m[1]) || build.BaseName != "golang:${GO_VERSION}" {
		t.Errorf("the build stage is %s with GO_VERSION=%s; want golang:${GO_VERSION} with the go of go.mod (%s)", build.BaseName, goVersion, m[1])
	}

	// The go build of the build stage, and the one of make release.
	var run string
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
			run = strings.Join(r.CmdLine, " ")
		}
	}
	dockerEnv, dockerFlags := goBuild(t, "Dockerfile", strings.ReplaceAll(run, "${VERSION}", testVersion), "/out/tmsync")
	out, err := exec.Command("make", "-n", "-C", "..", "release", "VERSION="+testVersion, "DIST=dist-dry-run",
		"RELEASE_PLATFORMS=linux/amd64").Output()
	if err != nil {
		t.Fatalf("make -n release: %v", err)
	}
	makeEnv, makeFlags := goBuild(t, "make release", strings.ReplaceAll(string(out), "\\\n", " "), "$dir/tmsync")
	if diff := cmp.Diff(makeFlags, dockerFlags); diff != "" {
		t.Errorf("go build flags of the Dockerfile differ from make release's: -make +Dockerfile:\n%s", diff)
	}
	for _, env := range [][]string{dockerEnv, makeEnv} {
		if env[0] != "CGO_ENABLED=0" {
			t.Errorf("go build runs with %v, want CGO_ENABLED=0", env)
		}
	}
	if !strings.Contains(strings.Join(makeFlags, " "), "cli.Version="+testVersion) {
		t.Errorf("make release does not stamp the version: %v", makeFlags)
	}
}

// goBuild finds `ENV... go build FLAGS -o OUT ./cmd/tmsync` in a command
// line and returns the variables set before go and the flags, split as the
// shell splits them.
func goBuild(t *testing.T, where, cmdline, out string) (env, flags []string) {
	t.Helper()
	words := shellWords(cmdline)
	for i := 0; i+1 < len(words); i++ {
		if !strings.HasSuffix(words[i], "go") || words[i+1] != "build" {
			continue
		}
		for j := i - 1; j >= 0 && strings.Contains(words[j], "="); j-- {
			env = append([]string{words[j]}, env...)
		}
		for _, w := range words[i+2:] {
			if w == "-o" {
				break
			}
			flags = append(flags, w)
		}
		rest := strings.Join(words[i+2+len(flags):], " ")
		if !strings.HasPrefix(rest, "-o "+out+" ./cmd/tmsync") {
			t.Errorf("%s: go build does not end in -o %s ./cmd/tmsync: %q", where, out, rest)
		}
		if len(env) == 0 {
			env = []string{""}
		}
		return env, flags
	}
	t.Fatalf("%s: no go build in %q", where, cmdline)
	return nil, nil
}

// shellWords splits a command line as sh does, for the quoting these files
// use: words separated by blanks, "..." and '...' quoting, ; and newlines as
// blanks.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Split(bufio.ScanRunes)
	for sc.Scan() {
		r := []rune(sc.Text())[0]
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == ';':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
