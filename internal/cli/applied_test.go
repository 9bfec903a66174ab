package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

// recordApplied rewrites the record under testdata/applied. That record is
// what this version of tmsync wrote, and every later version must read it
// as its own (contract C3): record it again only to add what a new field
// of the spec writes, never to make TestAppliedGolden or the
// story-applied-state script pass.
var recordApplied = flag.Bool("record-applied", false,
	"rewrite testdata/applied/{tags,state}-v{1,2}.* from a run of this version")

// appliedDir holds the record of what tmsync writes to the objects of one
// rich stack:
//
//	before.json           an emulator state to start from: a filter tmsync does
//	                      not manage (a session names it by ID), one to adopt,
//	                      and a session of the stack's previous name
//	v1/, v2/              the stack, and the same stack changed
//	tags-v1.txt, -v2.txt  the tags of every object after apply -f v1, then v2
//	state-v1.json, -v2    the emulator state files those applies left
//
// Since tmsync records protect: true in tmsync:applied (a ".p" marker), the
// two protected objects, filter golden/web and session golden/web-to-ids,
// carry it in tags-v1.txt and tags-v2.txt, and nothing else changed there.
// The state files were left by the version before the marker and are kept
// as they are: the story-applied-state script expects from them exactly the
// two tag-only updates that record it.
const appliedDir = "testdata/applied"

// TestAppliedGolden freezes the tmsync:applied values (and the other tags)
// tmsync writes: applying testdata/applied/v1 and then v2 to a fresh
// emulator must tag every object exactly as recorded, and so must applying
// v2 to the state the recorded v1 apply left. A change of what the hash
// covers, of the names or encoding of its inputs, or of how a value links
// to the one it replaces fails here; the story-applied-state script checks
// that the recorded objects still plan as no change.
func TestAppliedGolden(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("NO_COLOR", "1")

	t.Run("fresh", func(t *testing.T) {
		stateDir := filepath.Join(t.TempDir(), ".tmsync")
		state := seedState(t, stateDir, filepath.Join(appliedDir, "before.json"))
		for _, v := range []string{"v1", "v2"} {
			applyLocal(t, stateDir, v, "--adopt")
			got := liveTags(t, state, v)
			golden := filepath.Join(appliedDir, "tags-"+v+".txt")
			if *recordApplied {
				writeFile(t, golden, []byte(got))
				writeFile(t, filepath.Join(appliedDir, "state-"+v+".json"), readFile(t, state))
				continue
			}
			if diff := cmp.Diff(string(readFile(t, golden)), got); diff != "" {
				t.Errorf("tags after apply -f %s differ from %s (-want +got):\n%s", v, golden, diff)
			}
		}
	})

	t.Run("over-recorded-v1", func(t *testing.T) {
		if *recordApplied {
			t.Skip("recording")
		}
		stateDir := filepath.Join(t.TempDir(), ".tmsync")
		state := seedState(t, stateDir, filepath.Join(appliedDir, "state-v1.json"))
		applyLocal(t, stateDir, "v2")
		golden := filepath.Join(appliedDir, "tags-v2.txt")
		if diff := cmp.Diff(string(readFile(t, golden)), liveTags(t, state, "v2")); diff != "" {
			t.Errorf("tags after apply -f v2 over state-v1.json differ from %s (-want +got):\n%s", golden, diff)
		}
	})
}

// seedState copies the emulator state file from into stateDir and returns
// the path --endpoint local reads.
func seedState(t *testing.T, stateDir, from string) string {
	t.Helper()
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(stateDir, localStateFile)
	writeFile(t, state, readFile(t, from))
	return state
}

// applyLocal applies testdata/applied/<version> with --endpoint local.
func applyLocal(t *testing.T, stateDir, version string, extra ...string) {
	t.Helper()
	args := []string{"apply", "--endpoint", "local", "--state-dir", stateDir,
		"-f", filepath.Join(appliedDir, version), "--auto-approve"}
	args = append(append(args, strings.Fields(fastFlags)...), extra...)
	code, _, errOut := run(t, args...)
	if code != ExitOK || !strings.Contains(errOut, "has converged") {
		t.Fatalf("apply -f %s: exit %d\n%s", version, code, errOut)
	}
}

// liveTags reads every filter and session of the emulator state file back
// through the List API and prints their tags: one object a paragraph,
// named by its tmsync:stack and tmsync:key (or by ID when it has none), in
// order, each tag on a line of its own.
func liveTags(t *testing.T, state, version string) string {
	t.Helper()
	srv, err := emulator.NewServer(emulator.Options{StateFile: state,
		AccessKeys: map[string]string{e2eKeyID: e2eKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cred, err := aliyun.StaticCredential(e2eKeyID, e2eKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := aliyun.New(context.Background(), aliyun.Config{Region: scriptRegion, Endpoint: srv.URL(),
		Credential: cred, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snap, err := cloud.ReadSnapshot(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var objs []string
	add := func(kind, id string, tags cloud.Tags) {
		name := id
		if tags[cloud.TagKey] != "" {
			name = tags[cloud.TagStack] + "/" + tags[cloud.TagKey]
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", kind, name)
		for _, k := range tags.Keys() {
			fmt.Fprintf(&b, "\t%s = %q\n", k, tags[k])
		}
		objs = append(objs, b.String())
	}
	for _, f := range snap.Filters {
		add("filter", f.ID, f.Tags)
	}
	for _, s := range snap.Sessions {
		add("session", s.ID, s.Tags)
	}
	sort.Strings(objs)
	return fmt.Sprintf("# The tags of every object after tmsync apply -f %s (see TestAppliedGolden).\n\n", version) +
		strings.Join(objs, "\n")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
