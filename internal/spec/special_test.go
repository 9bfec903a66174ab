//go:build unix

package spec

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLoadRefusesNonRegularFiles checks that -f on a named pipe, given by
// name, through a symlink or found in a directory, is refused with an error
// naming it, instead of waiting for ever for a writer.
func TestLoadRefusesNonRegularFiles(t *testing.T) {
	const refused = ": not a regular file (a named pipe)\n" +
		"  hint: -f reads regular files and directories; write the spec to a file first"
	cases := map[string]struct {
		reason string
		setup  func(t *testing.T, dir string)
		paths  []string
		want   string
	}{
		"Named": {
			reason: "a FIFO given to -f",
			setup:  func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "p.yaml")) },
			paths:  []string{"p.yaml"},
			want:   "$DIR/p.yaml" + refused,
		},
		"NamedWithoutExtension": {
			reason: "a FIFO given to -f, whatever its name",
			setup:  func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "pipe")) },
			paths:  []string{"pipe"},
			want:   "$DIR/pipe" + refused,
		},
		"Symlink": {
			reason: "a symlink to a FIFO given to -f",
			setup: func(t *testing.T, dir string) {
				mkfifo(t, filepath.Join(dir, "p"))
				symlink(t, filepath.Join(dir, "p"), filepath.Join(dir, "s.yaml"))
			},
			paths: []string{"s.yaml"},
			want:  "$DIR/s.yaml" + refused,
		},
		"InDirectory": {
			reason: "a FIFO with a YAML name in a directory, next to a good file",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"specs/a.yaml": minimal})
				mkfifo(t, filepath.Join(dir, "specs", "p.yaml"))
			},
			paths: []string{"specs"},
			want:  "$DIR/specs/p.yaml" + refused,
		},
		"SymlinkInDirectory": {
			reason: "a symlink to a FIFO in a directory",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"specs/a.yaml": minimal})
				mkfifo(t, filepath.Join(dir, "p"))
				symlink(t, filepath.Join(dir, "p"), filepath.Join(dir, "specs", "s.yml"))
			},
			paths: []string{"specs"},
			want:  "$DIR/specs/s.yml" + refused,
		},
		"OtherNameInDirectory": {
			reason: "a FIFO without a YAML name in a directory is not a spec candidate",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, map[string]string{"specs/a.yaml": minimal})
				mkfifo(t, filepath.Join(dir, "specs", "pipe"))
			},
			paths: []string{"specs"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			var paths []string
			for _, p := range tc.paths {
				paths = append(paths, filepath.Join(dir, p))
			}
			done := make(chan error, 1)
			go func() {
				_, err := Load(paths)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				// Open a writer so the reader, and the test, can end.
				if w, werr := os.OpenFile(filepath.Join(dir, "p"), os.O_WRONLY|syscall.O_NONBLOCK, 0); werr == nil {
					w.Close()
				}
				t.Fatalf("%s: Load(%v) still waiting after 5s", tc.reason, tc.paths)
			}
			if diff := cmp.Diff(tc.want, diagText(t, err, dir)); diff != "" {
				t.Errorf("%s\nLoad(%v): -want +got:\n%s", tc.reason, tc.paths, diff)
			}
		})
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlink: %v", err)
	}
}
