package emulator

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// apiVersion is the only API version served.
const apiVersion = "2016-04-28"

// defaultRegion answers calls that name no region (the Terraform service
// data source sends none): vpc.aliyuncs.com serves cn-hangzhou.
const defaultRegion = "cn-hangzhou"

// A Server is a running emulator.
type Server struct {
	opts    Options
	lim     limits
	ln      net.Listener
	hs      *http.Server
	store   store
	closing chan struct{}
	once    sync.Once

	mu       sync.Mutex // guards everything below
	rng      *rand.Rand
	stats    Stats
	faults   []*faultState
	inv      *heldInventory
	holds    map[int]*hold
	nextHold int
	inflight map[string]bool // region/object IDs and token keys being written

	nonces     *nonceSet
	adminHosts map[string]bool // the Host values the admin endpoints answer
}

type hold struct {
	actions map[string]bool
	done    chan struct{}
}

// NewServer starts an emulator listening on opts.Listen.
func NewServer(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.AccessKeys) == 0 {
		opts.SkipAuth = true
	}
	seed := opts.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = int64(binary.LittleEndian.Uint64(b[:]))
	}
	s := &Server{
		opts:     opts,
		lim:      opts.Quotas.limits(),
		closing:  make(chan struct{}),
		rng:      rand.New(rand.NewSource(seed)),
		stats:    newStats(),
		inv:      opts.Inventory.held(),
		holds:    map[int]*hold{},
		inflight: map[string]bool{},
		nonces:   newNonceSet(),
	}
	if opts.Inventory != nil {
		if err := opts.Inventory.validate(); err != nil {
			return nil, fmt.Errorf("emulator inventory: %w", err)
		}
	}
	if s.opts.ReadTimeout <= 0 {
		s.opts.ReadTimeout = DefaultReadTimeout
	}
	s.setFaults(opts.Faults)
	if opts.StateFile != "" {
		fs, err := openFileStore(opts.StateFile, s.freshState)
		if err != nil {
			return nil, err
		}
		s.store = fs
	} else {
		s.store = &memStore{st: s.freshState()}
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		s.store.close()
		return nil, fmt.Errorf("emulator listen: %w", err)
	}
	s.ln = ln
	s.adminHosts = adminHosts(opts.Listen, ln.Addr().String())
	// No ReadTimeout on the server: it would also end held and hanging
	// requests, which wait on the connection's context. Bodies get their
	// own deadline in readBody.
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: s.opts.ReadTimeout, MaxHeaderBytes: maxHeaderBytes}
	go s.hs.Serve(ln)
	return s, nil
}

// freshState is the state of a new account: a random secret for page
// tokens and a default resource group.
func (s *Server) freshState() *state {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return newState(hex.EncodeToString(b[:]), "rg-acfm"+s.randomID(12))
}

// URL is the base URL, e.g. "http://127.0.0.1:43121".
func (s *Server) URL() string { return "http://" + s.Endpoint() }

// Endpoint is the host:port for an SDK's Endpoint setting.
func (s *Server) Endpoint() string { return s.ln.Addr().String() }

// Loopback reports whether the server listens on a loopback address only.
// Otherwise other machines can reach it, the admin endpoints included.
func (s *Server) Loopback() bool {
	a, ok := s.ln.Addr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// Close stops the server; held and hanging requests end without an answer.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closing)
		err = s.hs.Close()
		if cerr := s.store.close(); err == nil {
			err = cerr
		}
	})
	return err
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.clone()
}

// ResetStats zeroes the counters and the write log.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(faults []Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaults(faults)
}

func (s *Server) setFaults(faults []Fault) {
	s.faults = nil
	for _, f := range faults {
		s.faults = append(s.faults, &faultState{Fault: f, left: f.Count})
	}
}

// Faults returns the injected faults with their remaining counts.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		g := f.Fault
		if g.Count > 0 {
			g.Count = f.left
		}
		out = append(out, g)
	}
	return out
}

// SetInventory replaces the inventory (nil: any well-formed ID exists).
// ENIs it no longer lists are deleted: see Options.KeepDeletedSources.
func (s *Server) SetInventory(inv *Inventory) error {
	if inv != nil {
		if err := inv.validate(); err != nil {
			return err
		}
	}
	return s.swapInventory(func(*heldInventory) (*heldInventory, error) { return inv.held(), nil })
}

// PatchInventory removes and adds ENIs and SLB instances, as a fleet
// scales; it needs an inventory (not the nil "any ID" one) to change.
func (s *Server) PatchInventory(p InventoryPatch) error {
	if err := p.Add.validate(); err != nil {
		return fmt.Errorf("add: %w", err)
	}
	return s.swapInventory(func(old *heldInventory) (*heldInventory, error) { return old.patched(p) })
}

// Inventory returns a copy of the inventory (nil: any well-formed ID
// exists), with the defaults of its ENIs filled in.
func (s *Server) Inventory() *Inventory { return s.inventory().inv.clone() }

func (s *Server) inventory() *heldInventory {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inv
}

// swapInventory replaces the inventory by next(old) under the store's
// lock, so that no request runs half with the old and half with the new
// one, and then drops deleted ENIs from the sources of sessions unless
// they are to be kept.
func (s *Server) swapInventory(next func(old *heldInventory) (*heldInventory, error)) error {
	return s.store.do(func(st *state) (bool, error) {
		s.mu.Lock()
		old := s.inv
		inv, err := next(old)
		if err == nil {
			s.inv = inv
		}
		s.mu.Unlock()
		if err != nil || s.opts.KeepDeletedSources {
			return false, err
		}
		return st.dropDeletedSources(old, inv), nil
	})
}

// Hold pauses requests for the given actions (all if none) before they
// commit, until release is called. A held write counts as in flight, so a
// second write to the same object gets OperationConflict: a hook for races.
func (s *Server) Hold(actions ...string) (release func()) {
	id := s.hold(actions)
	return func() { s.release(id) }
}

func (s *Server) hold(actions []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &hold{actions: map[string]bool{}, done: make(chan struct{})}
	for _, a := range actions {
		h.actions[strings.ToLower(a)] = true
	}
	s.nextHold++
	s.holds[s.nextHold] = h
	return s.nextHold
}

func (s *Server) release(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.holds[id]
	if ok {
		close(h.done)
		delete(s.holds, id)
	}
	return ok
}

func (s *Server) releaseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, h := range s.holds {
		close(h.done)
		delete(s.holds, id)
	}
}

// waitHolds blocks while a hold matches action.
func (s *Server) waitHolds(ctx context.Context, action string) error {
	for {
		s.mu.Lock()
		var wait chan struct{}
		for _, h := range s.holds {
			if len(h.actions) == 0 || h.actions[strings.ToLower(action)] {
				wait = h.done
				break
			}
		}
		s.mu.Unlock()
		if wait == nil {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return errors.New("server closed")
		}
	}
}

// SetServiceOpen opens or closes the traffic mirror service of a region.
func (s *Server) SetServiceOpen(region string, open bool) {
	_ = s.store.do(func(st *state) (bool, error) {
		st.region(region).ServiceOpen = Bool(open)
		return true, nil
	})
}

// Reset forgets every object and token; counters, faults and holds stay.
func (s *Server) Reset() {
	_ = s.store.do(func(st *state) (bool, error) {
		*st = *s.freshState()
		return true, nil
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns n characters of lowercase alphanumerics from the seeded
// generator.
func (s *Server) randomID(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[s.rng.Intn(len(idAlphabet))]
	}
	return string(b)
}

func (s *Server) randomInt(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Intn(n)
}

// decideFaults consumes the faults that hit this request.
func (s *Server) decideFaults(action string) fired {
	s.mu.Lock()
	defer s.mu.Unlock()
	var f fired
	for _, fs := range s.faults {
		if !fs.matches(action) {
			continue
		}
		if p := fs.Probability; p > 0 && p < 1 && s.rng.Float64() >= p {
			continue
		}
		hit := true
		switch fs.Kind {
		case FaultClock:
			f.clock += fs.Duration
		case FaultLatency:
			f.latency += fs.Duration
		case FaultListLag:
			hit = isCreate(action)
			if hit {
				f.listLag = max(f.listLag, fs.Duration)
			}
		case FaultThrottle, FaultUnavailable, FaultBusy, FaultRefuse:
			hit = f.errKind == ""
			if hit {
				f.errKind = fs.Kind
			}
		case FaultDrop, FaultHang:
			hit = f.answer == ""
			if hit {
				f.answer = fs.Kind
			}
		}
		if hit && fs.Count > 0 {
			fs.left--
		}
	}
	return f
}

func isCreate(action string) bool {
	return action == "CreateTrafficMirrorFilter" || action == "CreateTrafficMirrorSession" || action == "CreateTrafficMirrorFilterRules"
}

// useNonce records a signature nonce and reports whether it was new.
func (s *Server) useNonce(ak, nonce string, now time.Time) bool {
	// A nonce only needs remembering while its timestamp is acceptable.
	return s.nonces.use(ak+"\x00"+nonce, now, now.Add(2*maxSkew))
}

// claim marks keys as in flight; it fails if any already is.
func (s *Server) claim(tokenKey string, ids []string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tokenKey != "" && s.inflight["token\x00"+tokenKey] {
		return errTokenProcessing
	}
	for _, id := range ids {
		if s.inflight[id] {
			return errConflict
		}
	}
	if tokenKey != "" {
		s.inflight["token\x00"+tokenKey] = true
	}
	for _, id := range ids {
		s.inflight[id] = true
	}
	return nil
}

func (s *Server) unclaim(tokenKey string, ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tokenKey != "" {
		delete(s.inflight, "token\x00"+tokenKey)
	}
	for _, id := range ids {
		delete(s.inflight, id)
	}
}

// ServeHTTP serves the API at / and the admin endpoints under /_emulator/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") || r.URL.Path == "/_emulator" {
		s.serveAdmin(w, r)
		return
	}
	s.serveAPI(w, r)
}

// outcome is the answer to one API request.
type outcome struct {
	status   int
	body     []byte // success body without RequestId
	err      *apiError
	replayed bool
	ids      []string       // resources written, for the write log
	creates  map[string]int // objects created, per type
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	now := s.opts.Now()
	host := r.Host
	prod := productVPC
	fail := func(action string, err error) {
		e := asAPIError(err)
		s.record(action, "", reqID, now, outcome{err: e}, false)
		s.logf("%s %s -> %d %s", reqID, action, e.status, e.code)
		writeRaw(w, now, e.status, reqID, errorBody(e, reqID, host, prod))
	}
	if r.URL.Path != "/" {
		fail("", newErr(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method: %s %s.", r.Method, r.URL.Path))
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		fail("", newErr(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method: %s.", r.Method))
		return
	}
	body, err := s.readBody(w, r)
	if err != nil {
		fail("", newErr(400, "InvalidParameter", "The body could not be read: %v", err))
		return
	}
	query, raw, perr := parseRequest(r, body)
	if perr != nil {
		fail("", perr)
		return
	}
	action := r.Header.Get("x-acs-action")
	if action == "" {
		action = raw["Action"]
	}
	if action == "" {
		fail("", newErr(400, "MissingAction", "Action is mandatory for this request."))
		return
	}
	op, ok := operations[action]
	if !ok {
		fail(action, newErr(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method: %s.", action))
		return
	}
	prod = op.product
	version := r.Header.Get("x-acs-version")
	if version == "" {
		version = raw["Version"]
	}
	if version == "" {
		fail(action, newErr(400, "MissingVersion", "Version is mandatory for this request."))
		return
	}
	if version != prod.version() {
		// The action's own endpoint answers: an ECS action with the VPC
		// version (or the reverse) names a version that product lacks.
		fail(action, newErr(400, "InvalidVersion", "Specified parameter Version is not valid: %s is served as version %s.", action, prod.version()))
		return
	}
	fd := s.decideFaults(action)
	now = now.Add(fd.clock)
	if !s.opts.SkipAuth {
		who, aerr := verify(s.opts.AccessKeys, r, body, query, raw, now)
		if aerr == nil && !s.useNonce(who.accessKeyID, who.nonce, now) {
			aerr = newErr(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
		}
		if aerr != nil {
			fail(action, aerr)
			return
		}
	}
	if e := fd.err(); e != nil {
		fail(action, e)
		return
	}
	p := cleanParams(raw)
	region := p.str("RegionId")
	if region == "" && op.regionOptional {
		region = defaultRegion
	}
	token := ""
	if op.token {
		token = p.str("ClientToken")
	}
	dry, _, derr := p.optBool("DryRun")
	if derr != nil {
		fail(action, derr)
		return
	}
	dry = dry && op.dryRun

	// A write claims its objects and token for as long as it is in flight,
	// so an overlapping write gets the service's conflict answers.
	var claimed []string
	tk := ""
	if op.write && !dry {
		if token != "" {
			tk = tokenKey(region, action, token)
		}
		claimed = s.targets(op, p, region)
		if cerr := s.claim(tk, claimed); cerr != nil {
			fail(action, cerr)
			return
		}
	}
	release := func() {
		if op.write && !dry {
			s.unclaim(tk, claimed)
		}
	}
	if d := s.opts.Latency + fd.latency; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			release()
			abort()
		case <-s.closing:
			release()
			abort()
		}
	}
	if err := s.waitHolds(r.Context(), action); err != nil {
		release()
		abort()
	}
	c := &call{
		s: s, action: action, p: p, region: region, now: now, reqID: reqID,
		dryRun: dry, listLag: fd.listLag,
	}
	out := s.commit(op, c, token)
	release()
	s.record(action, token, reqID, now, out, op.write)
	if out.err != nil {
		s.logf("%s %s -> %d %s", reqID, action, out.err.status, out.err.code)
	} else {
		s.logf("%s %s -> %d", reqID, action, out.status)
	}

	switch fd.answer {
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		abort()
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		abort()
	}
	if out.err != nil {
		writeRaw(w, now, out.err.status, reqID, errorBody(out.err, reqID, host, prod))
		return
	}
	writeBody(w, now, out.status, reqID, out.body)
}

// Limits on what a client may send.
const (
	maxBodyBytes   = 4 << 20
	maxHeaderBytes = 1 << 20
)

// readBody reads a request's body within the read timeout and the size
// limit, so a client sending a body slowly, or without end, cannot keep a
// connection; a body over the limit is refused, never cut and served. The
// deadline is lifted after a full read: held and hanging requests wait on
// the connection's context, which a passed deadline would end. After a
// failed read the connection is closed once answered, and the deadline
// stays, so the server does not wait for the rest of the body either.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.opts.ReadTimeout))
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		w.Header().Set("Connection", "close")
		_ = rc.SetReadDeadline(time.Now())
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("the body is larger than %d bytes", tooLarge.Limit)
		}
		return nil, err
	}
	_ = rc.SetReadDeadline(time.Time{})
	return b, nil
}

// abort ends a request without any answer. Returning from a handler that
// wrote nothing would send an empty 200, which clients take as success.
func abort() { panic(http.ErrAbortHandler) }

// commit runs the operation against the state under the store's lock. A
// read's answer is encoded after the lock is released: it holds only
// objects, which are never changed in place, and values of its own.
func (s *Server) commit(op operation, c *call, token string) outcome {
	var out outcome
	var readResp any
	var readErr error
	tk := tokenKey(c.region, c.action, token)
	err := s.store.do(func(st *state) (bool, error) {
		// The inventory is read under the store's lock, which its changes
		// take too (swapInventory).
		c.inv = s.inventory()
		changed := st.settle(c.now, s.lim.tokenTTL)
		if !op.write {
			c.st = st
			readResp, readErr = op.fn(c)
			return changed, nil
		}
		fp := fingerprint(c.p)
		if token != "" && !c.dryRun {
			if e := st.Tokens[tk]; e != nil {
				if e.Fingerprint != fp {
					out.err = newErr(400, "IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request.")
					return changed, nil
				}
				out = outcome{status: e.Status, body: e.Body, replayed: true, ids: e.ResourceIDs}
				if e.Code != "" {
					out.err = &apiError{status: e.Status, code: e.Code, msg: e.Message}
				}
				return changed, nil
			}
		}
		// The write runs on the state itself, in a transaction that a
		// refused or dry-run request (or a panic) rolls back.
		tx := st.begin()
		defer tx.rollback()
		c.st = st
		resp, herr := op.fn(c)
		out = finish(resp, herr)
		out.ids = c.touched
		if c.dryRun {
			tx.rollback()
			if out.err == nil {
				out = outcome{err: errDryRun}
			}
			return changed, nil
		}
		if out.err != nil {
			tx.rollback()
			if token != "" && s.lim.refusedUsesToken {
				st.setToken(tk, &tokenEntry{Fingerprint: fp, Time: c.now, Status: out.err.status,
					Code: out.err.code, Message: out.err.msg, ResourceIDs: c.touched})
				changed = true
			}
			return changed, nil
		}
		if token != "" {
			st.setToken(tk, &tokenEntry{Fingerprint: fp, Time: c.now, Status: out.status, Body: out.body, ResourceIDs: c.touched})
		}
		out.creates = c.creates
		tx.commit()
		return true, nil
	})
	if err != nil {
		s.logf("state: %v", err)
		return outcome{err: newErr(500, "InternalError", "The request processing has failed due to some unknown error: %v", err)}
	}
	if !op.write {
		out = finish(readResp, readErr)
	}
	return out
}

func asAPIError(err error) *apiError {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = newErr(500, "InternalError", "The request processing has failed due to some unknown error: %v", err)
	}
	return ae
}

func finish(resp any, err error) outcome {
	if err != nil {
		return outcome{err: asAPIError(err)}
	}
	if d, ok := resp.(deferred); ok {
		resp = d()
	}
	return outcome{status: 200, body: mustJSON(resp)}
}

// A deferred answer is built when it is encoded: for a read, after the
// store's lock is released. It may read objects of the state, which are
// never changed in place, but no map of it.
type deferred func() any

// mustJSON encodes v as the service does: without Go's HTML escaping, so
// "&" in a Recommend URL stays "&".
func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("emulator: marshal %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// fingerprint identifies a request's business parameters for token replay:
// the signature, nonce, timestamp and other common parameters differ on
// every retry and are left out.
func fingerprint(p params) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if !commonParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, p[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// record updates the counters and the write log.
func (s *Server) record(action, token, reqID string, now time.Time, out outcome, write bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Calls[action]++
	code := ""
	if out.err != nil {
		code = out.err.code
		s.stats.Errors[code]++
	}
	if out.replayed {
		s.stats.TokenReplays++
	}
	for typ, n := range out.creates {
		s.stats.Creates[typ] += n
	}
	if write {
		for _, id := range out.ids {
			s.stats.Writes[id] = append(s.stats.Writes[id], WriteRecord{
				Action: action, ClientToken: token, RequestID: reqID, Time: now,
				Replayed: out.replayed, Error: code,
			})
		}
	}
}

// targets returns the in-flight keys of a write: the objects it changes,
// per region, and for a rule its filter (a filter and its rules are one
// unit).
func (s *Server) targets(op operation, p params, region string) []string {
	var ids []string
	add := func(id string) {
		if id != "" {
			ids = append(ids, region+"/"+id)
		}
	}
	for _, name := range op.targetParams {
		if strings.HasSuffix(name, ".N") {
			vs, _ := p.list(strings.TrimSuffix(name, ".N"))
			for _, v := range vs {
				add(v)
			}
			continue
		}
		add(p.str(name))
	}
	if op.name == "UpdateTrafficMirrorFilterRuleAttribute" {
		ruleID := p.str("TrafficMirrorFilterRuleId")
		_ = s.store.do(func(st *state) (bool, error) {
			if f, _ := st.peekRegion(region).findRule(ruleID); f != nil {
				add(f.ID)
			}
			return false, nil
		})
	}
	if op.name == "OpenTrafficMirrorService" {
		add("service")
	}
	return ids
}
