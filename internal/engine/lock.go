package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tmsync/tmsync/internal/spec"
)

// A LockedError says another run on this machine holds a stack's lock.
type LockedError struct {
	Stack, Region string
	Path          string // the lock file
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("stack %s in %s is locked by another tmsync run on this machine (%s)", e.Stack, e.Region, e.Path)
}

// lockStack takes the per-stack, per-region lock of this machine (C13) in
// dir (default: the user cache directory), waiting up to wait.
func (e *Engine) lockStack(ctx context.Context, dir, stack, region string, wait time.Duration) (func(), error) {
	// The names make the file names of the lock and the journal: only
	// names a spec could declare keep them inside dir, whoever made the
	// stack (a flag, a saved plan).
	if err := spec.CheckStackName(stack); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := spec.CheckRegion(region, spec.LoadOptions{AnyRegion: true}); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	dir = lockDirOrDefault(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	path := filepath.Join(dir, stack+"@"+region+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	deadline := e.clock.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if e.clock.Now().After(deadline) {
			f.Close()
			return nil, &LockedError{Stack: stack, Region: region, Path: path}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-after(e.clock, 100*time.Millisecond):
		}
	}
}

// lockDirOrDefault returns dir, or the locks directory in the user cache
// directory when dir is empty. Locks and journals live there.
func lockDirOrDefault(dir string) string {
	if dir != "" {
		return dir
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "tmsync", "locks")
}
