package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
//
// Two processes sharing the file re-read it on nearly every request, so
// the file is laid out one object per line and both directions are cached
// per line: an unchanged line is never decoded or encoded again. That
// keeps a request's cost close to a copy of the file, not a JSON round trip
// of every object. Objects are never changed in place (see state), so
// a pointer identifies its encoding.
type fileStore struct {
	mu    sync.Mutex // flock is per process; this serialises our goroutines
	path  string
	lock  *os.File
	cache *state
	seen  fs.FileInfo // the data file the cache came from
	fresh func() *state
	// lines maps a record line to what it decodes to; enc maps an object
	// or token entry to its line.
	lines map[string]record
	enc   map[any]string
	// rbuf and wbuf are reused: the file is read and written whole on
	// every request another process interleaves with.
	rbuf []byte
	wbuf bytes.Buffer
	// check re-encodes every cached line on save and fails on a
	// difference: a test hook that catches an object changed in place.
	check bool
}

// fileHead is the first line of the file; fileHeader is the whole file.
type fileHead struct {
	Format               int             `json:"format"`
	Secret               string          `json:"secret"`
	Seq                  int64           `json:"seq"`
	DefaultResourceGroup string          `json:"default_resource_group"`
	Services             map[string]bool `json:"services,omitempty"`
}

type fileHeader struct {
	fileHead
	Records []record `json:"records"`
}

// A record is one line: a filter or session of a region, or a token.
type record struct {
	Region  string      `json:"region,omitempty"`
	Filter  *filter     `json:"filter,omitempty"`
	Session *session    `json:"session,omitempty"`
	Key     string      `json:"key,omitempty"`
	Token   *tokenEntry `json:"token,omitempty"`
}

const recordsOpen = `"records":[`

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
	fsx := &fileStore{path: path, lock: lf, fresh: fresh, lines: map[string]record{}, enc: map[any]string{}}
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
	b, err := f.read()
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	st, err := f.decode(b)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", f.path, err)
	}
	f.cache, f.seen = st, fi
	return st, nil
}

// decode reads the line layout save writes, reusing the records of lines
// seen before; any other valid layout is decoded as plain JSON.
func (f *fileStore) decode(b []byte) (*state, error) {
	var h fileHeader
	var recs []record
	first, rest, ok := bytes.Cut(b, []byte("\n"))
	fast := ok && bytes.HasSuffix(first, []byte(recordsOpen))
	if fast {
		hdr := append(append([]byte(nil), first...), "]}"...)
		if err := json.Unmarshal(hdr, &h); err != nil {
			fast = false
		}
	}
	if fast {
		for len(rest) > 0 {
			var line []byte
			line, rest, _ = bytes.Cut(rest, []byte("\n"))
			line = bytes.TrimSuffix(line, []byte(","))
			if len(line) == 0 || string(line) == "]}" {
				continue
			}
			r, ok := f.lines[string(line)]
			if !ok {
				if err := json.Unmarshal(line, &r); err != nil {
					fast = false
					break
				}
				f.remember(string(line), r)
			}
			recs = append(recs, r)
		}
	}
	if !fast {
		h, recs = fileHeader{}, nil
		if len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, &h); err != nil {
				return nil, err
			}
		}
		recs = h.Records
	}
	if h.Format > stateFormat {
		return nil, fmt.Errorf("the state has format %d; this tmsync knows %d", h.Format, stateFormat)
	}
	var st *state
	if h.Format == 0 {
		st = f.fresh() // an empty file: a new account
	} else {
		st = newState(h.Secret, h.DefaultResourceGroup)
		st.Seq = h.Seq
	}
	st.Tokens = make(map[string]*tokenEntry, len(recs))
	region := func(id string) *regionState {
		if st.Regions[id] == nil {
			// Sized for the file, so building the maps does not rehash.
			st.Regions[id] = &regionState{Filters: make(map[string]*filter, len(recs)), Sessions: make(map[string]*session, len(recs))}
		}
		return st.Regions[id]
	}
	for region, open := range h.Services {
		st.region(region).ServiceOpen = Bool(open)
	}
	for _, r := range recs {
		switch {
		case r.Filter != nil:
			region(r.Region).Filters[r.Filter.ID] = r.Filter
		case r.Session != nil:
			region(r.Region).Sessions[r.Session.ID] = r.Session
		case r.Token != nil:
			st.Tokens[r.Key] = r.Token
		}
	}
	return st, nil
}

// remember caches a line and its record both ways.
func (f *fileStore) remember(line string, r record) {
	f.lines[line] = r
	f.enc[r.key()] = line
}

// key is the object a record holds, which identifies its encoding.
func (r record) key() any {
	switch {
	case r.Filter != nil:
		return r.Filter
	case r.Session != nil:
		return r.Session
	}
	return r.Token
}

// prune drops cached lines the file no longer has, once they outnumber
// the live ones, so the caches stay in proportion to the state.
func (f *fileStore) prune(live []string) {
	if len(f.lines) <= 2*len(live)+64 {
		return
	}
	lines, enc := make(map[string]record, len(live)), make(map[any]string, len(live))
	for _, l := range live {
		r := f.lines[l]
		lines[l], enc[r.key()] = r, l
	}
	f.lines, f.enc = lines, enc
}

// encode returns the line of a record, from the cache when it has one.
func (f *fileStore) encode(r record) (string, error) {
	line, ok := f.enc[r.key()]
	if !ok || f.check {
		b, err := json.Marshal(r)
		if err != nil {
			return "", err
		}
		if ok && line != string(b) {
			return "", fmt.Errorf("object changed in place: cached %s, now %s", line, b)
		}
		line = string(b)
		f.remember(line, r)
	}
	return line, nil
}

func (f *fileStore) save(st *state) error {
	h := fileHead{Format: stateFormat, Secret: st.Secret, Seq: st.Seq, DefaultResourceGroup: st.DefaultResourceGroup, Services: map[string]bool{}}
	out := make([]string, 0, len(f.lines))
	regions := make([]string, 0, len(st.Regions))
	for id := range st.Regions {
		regions = append(regions, id)
	}
	sort.Strings(regions)
	for _, id := range regions {
		r := st.Regions[id]
		if r.ServiceOpen != nil {
			h.Services[id] = *r.ServiceOpen
		}
		for _, fl := range r.sortedFilters() {
			line, err := f.encode(record{Region: id, Filter: fl})
			if err != nil {
				return fmt.Errorf("state: %w", err)
			}
			out = append(out, line)
		}
		for _, s := range r.sortedSessions() {
			line, err := f.encode(record{Region: id, Session: s})
			if err != nil {
				return fmt.Errorf("state: %w", err)
			}
			out = append(out, line)
		}
	}
	keys := make([]string, 0, len(st.Tokens))
	for k := range st.Tokens {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line, err := f.encode(record{Key: k, Token: st.Tokens[k]})
		if err != nil {
			return fmt.Errorf("state: %w", err)
		}
		out = append(out, line)
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	buf := &f.wbuf
	buf.Reset()
	// The first line is the header, open at the records array, so a reader
	// can take the file apart line by line.
	buf.Write(hb[:len(hb)-1])
	buf.WriteString("," + recordsOpen + "\n")
	for i, line := range out {
		buf.WriteString(line)
		if i < len(out)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	if err := f.write(buf.Bytes()); err != nil {
		return err
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	f.cache, f.seen = st, fi
	f.prune(out)
	return nil
}

// read reads the data file into the reused buffer. Nothing keeps a slice
// of it: decoded values and cache keys are copies.
func (f *fileStore) read() ([]byte, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f.rbuf = f.rbuf[:0]
	for {
		if len(f.rbuf) == cap(f.rbuf) {
			f.rbuf = append(f.rbuf, 0)[:len(f.rbuf)]
		}
		n, err := fh.Read(f.rbuf[len(f.rbuf):cap(f.rbuf)])
		f.rbuf = f.rbuf[:len(f.rbuf)+n]
		if err == io.EOF {
			return f.rbuf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (f *fileStore) write(b []byte) error {
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
	return nil
}

func (f *fileStore) close() error { return f.lock.Close() }
