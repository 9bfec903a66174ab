package engine

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLockStack: a second run waits for the lock up to its timeout, then
// says who holds it; once released, the lock can be taken again.
func TestLockStack(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	e := New(Options{Clock: clock})
	ctx := context.Background()
	unlock, err := e.lockStack(ctx, dir, "web", "cn-hangzhou", time.Second)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	_, err = e.lockStack(ctx, dir, "web", "cn-hangzhou", time.Second)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: error %v, want a *LockedError", err)
	}
	if diff := cmp.Diff(&LockedError{Stack: "web", Region: "cn-hangzhou", Path: dir + "/web@cn-hangzhou.lock"}, le); diff != "" {
		t.Errorf("second lock: -want +got:\n%s", diff)
	}
	if waited := clock.waited(); len(waited) != 11 {
		t.Errorf("second lock waited %v; want 11 waits of 100ms (one second, then one past it)", waited)
	}
	other, err := e.lockStack(ctx, dir, "web", "cn-shanghai", 0)
	if err != nil {
		t.Errorf("lock of the same stack in another region: %v", err)
	} else {
		other()
	}
	unlock()
	again, err := e.lockStack(ctx, dir, "web", "cn-hangzhou", 0)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}

// TestLockNames: a stack or region that is not a name a spec could declare
// (one given by flag or read from a saved plan) is refused before any file
// is made, so the lock and the journal stay inside the lock directory.
func TestLockNames(t *testing.T) {
	cases := map[string]struct {
		reason        string
		stack, region string
	}{
		"StackParent": {reason: "a stack that climbs out of the directory", stack: "../x", region: "cn-hangzhou"},
		"StackAbs":    {reason: "an absolute path", stack: "/tmp/x", region: "cn-hangzhou"},
		"RegionPath":  {reason: "a region with a separator", stack: "web", region: "cn-hangzhou/../../x"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "locks")
			e := New(Options{Clock: newFakeClock()})
			unlock, err := e.lockStack(context.Background(), dir, tc.stack, tc.region, 0)
			if err == nil {
				unlock()
				t.Fatalf("%s: lock taken", tc.reason)
			}
			var made []string
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if p != root {
					made = append(made, p)
				}
				return nil
			})
			if len(made) > 0 {
				t.Errorf("%s: made %v", tc.reason, made)
			}
		})
	}
}
