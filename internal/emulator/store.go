package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// A store holds the state. do runs fn on the current state under a lock that
// excludes every other request (of this process and, for a file, of any
// process sharing it), and saves the state if fn reports a change.
type store interface {
	do(fn func(st *state) (changed bool, err error)) error
	close() error
}

// memStore keeps the state in memory.
type memStore struct {
	mu sync.Mutex
	st *state
}

func (m *memStore) do(fn func(st *state) (bool, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := fn(m.st)
	return err
}

func (m *memStore) close() error { return nil }

// fileStore keeps the state in a JSON file. Each do takes an flock on a
// separate lock file (the data file is replaced by rename, so locking it
// would lock a file that is about to vanish), re-reads the data file unless
// it is the one this process last saw, and writes a temporary file renamed
// over the data file, so readers never see half a state.
type fileStore struct {
	mu    sync.Mutex // flock is per process; this serialises our goroutines
	path  string
	lock  *os.File
	cache *state
	seen  fs.FileInfo // the data file the cache came from
	fresh func() *state
}

func openFileStore(path string, fresh func() *state) (*fileStore, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	lf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	fsx := &fileStore{path: path, lock: lf, fresh: fresh}
	// Create the file now so a bad path fails at start, not at the first request.
	if err := fsx.do(func(*state) (bool, error) { return false, nil }); err != nil {
		lf.Close()
		return nil, err
	}
	return fsx, nil
}

func (f *fileStore) do(fn func(st *state) (bool, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := lockFile(f.lock); err != nil {
		return fmt.Errorf("lock state: %w", err)
	}
	defer unlockFile(f.lock)
	st, err := f.load()
	if err != nil {
		return err
	}
	changed, ferr := fn(st)
	if changed || f.seen == nil {
		if err := f.save(st); err != nil {
			f.cache, f.seen = nil, nil
			return err
		}
	}
	return ferr
}

func (f *fileStore) load() (*state, error) {
	fi, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		f.cache, f.seen = f.fresh(), nil
		return f.cache, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if f.cache != nil && f.seen != nil && os.SameFile(fi, f.seen) &&
		fi.ModTime().Equal(f.seen.ModTime()) && fi.Size() == f.seen.Size() {
		return f.cache, nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	st := f.fresh()
	if len(b) > 0 {
		if err := json.Unmarshal(b, st); err != nil {
			return nil, fmt.Errorf("state %s: %w", f.path, err)
		}
	}
	if st.Format > stateFormat {
		return nil, fmt.Errorf("state %s has format %d; this tmsync knows %d", f.path, st.Format, stateFormat)
	}
	if st.Regions == nil {
		st.Regions = map[string]*regionState{}
	}
	if st.Tokens == nil {
		st.Tokens = map[string]*tokenEntry{}
	}
	for _, r := range st.Regions {
		if r.Filters == nil {
			r.Filters = map[string]*filter{}
		}
		if r.Sessions == nil {
			r.Sessions = map[string]*session{}
		}
	}
	f.cache, f.seen = st, fi
	return st, nil
}

func (f *fileStore) save(st *state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), filepath.Base(f.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	// No fsync: the rename makes the replacement atomic for other readers,
	// which is what sharing needs; surviving a power cut is not a goal of
	// a test emulator, and a sync per request would slow every test.
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state: %w", err)
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	f.cache, f.seen = st, fi
	return nil
}

func (f *fileStore) close() error { return f.lock.Close() }
