package engine

import (
	"context"
	"errors"
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
