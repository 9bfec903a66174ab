package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const minimal = "stack: demo\nregion: cn-hangzhou\n"

// writeTree creates files (path relative to dir -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// diagText renders the Diagnostics of a Load with dir shown as $DIR; ""
// when Load succeeded.
func diagText(t *testing.T, err error, dir string) string {
	t.Helper()
	var ds Diagnostics
	if errors.As(err, &ds) {
		return strings.ReplaceAll(ds.Error(), dir, "$DIR")
	} else if err != nil {
		t.Fatalf("Load: %v is not Diagnostics", err)
	}
	return ""
}

// TestLoadInputs covers how paths become files and the limits on hostile
// input. Limits are shrunk so each case stays small; the tests check the
// error, not the time.
func TestLoadInputs(t *testing.T) {
	type want struct {
		// diags are the diagnostics, rendered with the temporary directory
		// shown as $DIR; empty means Load must succeed.
		diags string
		// files are the files of the loaded stacks, relative to $DIR.
		files []string
	}
	cases := map[string]struct {
		reason string
		files  map[string]string
		paths  []string // relative to the temporary directory
		limits func(*limits)
		want   want
	}{
		"NoPaths": {
			reason: "Load needs at least one path.",
			want:   want{diags: "tmsync: no spec files given\n  hint: pass spec files or directories with -f"},
		},
		"MissingPath": {
			reason: "A path that does not exist is reported by name.",
			paths:  []string{"nope.yaml"},
			want:   want{diags: "$DIR/nope.yaml: cannot read: no such file or directory\n  hint: check the path given to -f"},
		},
		"DirectoryWithoutYAML": {
			reason: "-f that matches no YAML file is an error (C1).",
			files:  map[string]string{"specs/readme.txt": "hello"},
			paths:  []string{"specs"},
			want: want{diags: "$DIR/specs: no YAML files in this directory\n" +
				"  hint: point -f at .yaml or .yml files, or at a directory holding them"},
		},
		"DirectoryWithOnlyOtherYAML": {
			reason: "YAML files without a stack are skipped in directories; none left is an error.",
			files:  map[string]string{"ci/workflow.yml": "name: ci\non: [push]\n"},
			paths:  []string{"ci"},
			want: want{diags: "$DIR/ci: no tmsync spec files in this directory\n" +
				"  hint: a spec file has a stack: key; YAML files without one are skipped"},
		},
		"OtherYAMLSkipped": {
			reason: "A CI workflow next to the specs does not break the directory.",
			files: map[string]string{
				"specs/a.yaml":         minimal,
				"specs/ci/deploy.yml":  "name: ci\njobs: {}\n---\nsecond: doc\n",
				"specs/sub/b.yml":      minimal + "filters: {web: {}}\n",
				"specs/.tmsync/x.yaml": "stack: [broken",
			},
			paths: []string{"specs"},
			want:  want{files: []string{"specs/a.yaml", "specs/sub/b.yml"}},
		},
		"BrokenYAMLInDirectory": {
			reason: "A directory whose only file is broken reports the file, not an empty directory.",
			files:  map[string]string{"specs/a.yaml": "stack: [demo\n"},
			paths:  []string{"specs"},
			want: want{diags: "$DIR/specs/a.yaml:1:1: invalid YAML: did not find expected ',' or ']'\n" +
				"  hint: fix the YAML syntax at or after this line; check the indentation"},
		},
		"ExplicitOtherYAML": {
			reason: "A file named with -f is always a spec file, even without a stack.",
			files:  map[string]string{"workflow.yml": "name: ci\n"},
			paths:  []string{"workflow.yml"},
			want: want{diags: "$DIR/workflow.yml:1:1: missing field \"region\"\n  hint: add region: at the top of the file\n" +
				"$DIR/workflow.yml:1:1: missing field \"stack\"\n  hint: add stack: at the top of the file\n" +
				"$DIR/workflow.yml:1:1: unknown field \"name\"\n  hint: remove it or fix its spelling; allowed here: filters, limits, moved, previousStacks, profile, region, resourceGroupId, service, sessions, stack, tags, version"},
		},
		"SameFileTwice": {
			reason: "A file reached twice (by name and through its directory) is read once.",
			files:  map[string]string{"s/a.yaml": minimal + "filters: {web: {}}\n"},
			paths:  []string{"s", "s/a.yaml", "s/../s/a.yaml"},
			want:   want{files: []string{"s/a.yaml"}},
		},
		"FileTooLarge": {
			reason: "A file over the size limit is refused before it is parsed.",
			files:  map[string]string{"big.yaml": minimal + "# " + strings.Repeat("x", 100) + "\n"},
			paths:  []string{"big.yaml"},
			limits: func(l *limits) { l.fileBytes = 100 },
			want: want{diags: "$DIR/big.yaml: file is larger than 100 bytes\n" +
				"  hint: split the stack into several smaller files"},
		},
		"StackTooLarge": {
			reason: "The files of one stack together stay under the stack limit.",
			files:  map[string]string{"a.yaml": minimal, "b.yaml": minimal},
			paths:  []string{"."},
			limits: func(l *limits) { l.stackBytes = int64(len(minimal)) },
			want: want{diags: "$DIR/a.yaml: stack demo: its files add up to more than 32 bytes\n" +
				"  hint: split the stack into several stacks"},
		},
		"TooManyFiles": {
			reason: "A run reads a bounded number of files.",
			files:  map[string]string{"a.yaml": minimal, "b.yaml": minimal, "c.yaml": minimal},
			paths:  []string{"."},
			limits: func(l *limits) { l.files = 2 },
			want: want{diags: "$DIR/c.yaml: more than 2 spec files given\n" +
				"  hint: split the spec into smaller runs or point -f at fewer directories"},
		},
		"TooManyNodes": {
			reason: "A file with more values than the node limit is refused before parsing.",
			files:  map[string]string{"a.yaml": minimal + "previousStacks: [a, b, c, d, e, f]\n"},
			paths:  []string{"a.yaml"},
			limits: func(l *limits) { l.nodes = 5 },
			want: want{diags: "$DIR/a.yaml: file has too many YAML values (more than 5)\n" +
				"  hint: split the stack into several smaller files"},
		},
		"AliasesOverNodeLimit": {
			reason: "Aliases count towards the node limit each time they expand.",
			files: map[string]string{"a.yaml": minimal +
				"previousStacks: &p [a, b, c, d]\n" +
				"filters: {web: {description: &q [*p, *p, *p, *p]}, dns: {description: [*q, *q, *q]}}\n"},
			paths:  []string{"a.yaml"},
			limits: func(l *limits) { l.nodes = 40 },
			want: want{diags: "$DIR/a.yaml:4:46: document expands to more than 40 YAML values (aliases included)\n" +
				"  hint: use fewer aliases (*name) or split the file"},
		},
		"CommentsOnly": {
			reason: "A file named with -f that holds no document is an error.",
			files:  map[string]string{"a.yaml": "# nothing yet\n"},
			paths:  []string{"a.yaml"},
			want: want{diags: "$DIR/a.yaml: file has no YAML document\n" +
				"  hint: add at least stack and region, or leave the file out"},
		},
		"InvalidUTF8": {
			reason: "Bytes that are not UTF-8 are a YAML error, not a crash.",
			files:  map[string]string{"a.yaml": "stack: \xff\xfe\n"},
			paths:  []string{"a.yaml"},
			want: want{diags: "$DIR/a.yaml: invalid YAML: invalid leading UTF-8 octet\n" +
				"  hint: fix the YAML syntax at or after this line; check the indentation"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			saved := lim
			t.Cleanup(func() { lim = saved })
			if tc.limits != nil {
				tc.limits(&lim)
			}
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			var paths []string
			for _, p := range tc.paths {
				paths = append(paths, filepath.Join(dir, p))
			}
			stacks, err := Load(paths)
			var got want
			got.diags = diagText(t, err, dir)
			for _, st := range stacks {
				for _, f := range st.Files {
					rel, _ := filepath.Rel(dir, f)
					got.files = append(got.files, filepath.ToSlash(rel))
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nLoad(%v): -want +got:\n%s", tc.reason, tc.paths, diff)
			}
		})
	}
}
