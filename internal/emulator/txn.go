package emulator

import (
	"container/heap"
	"time"
)

// A txn is a write in progress on a state: every change it makes is
// logged with what it replaced, so a refused or dry-run request is rolled
// back to the state it started from. A write costs what the objects it
// touches cost, not a copy of the state.
type txn struct {
	st  *state
	log []change
}

type changeKind int

const (
	filterPut changeKind = iota
	sessionPut
	regionAdded
	seqSet
	serviceSet
	tokenSet
)

// A change is one logged change and what it replaced (nil: nothing).
type change struct {
	kind    changeKind
	region  string
	id      string // object ID or token key
	filter  *filter
	session *session
	seq     int64
	open    *bool
	token   *tokenEntry
}

// begin starts a transaction on st.
func (st *state) begin() *txn {
	st.tx = &txn{st: st}
	return st.tx
}

// commit keeps the transaction's changes. A write changes its private
// copy of an object after putting it (copy on write), so the objects it
// put are indexed and queued again as they are now.
func (tx *txn) commit() {
	st := tx.st
	if st.tx != tx {
		return
	}
	st.tx = nil
	for _, c := range tx.log {
		r := st.Regions[c.region]
		switch {
		case r == nil:
		case c.kind == filterPut:
			if f := r.Filters[c.id]; f != nil {
				if r.rules != nil {
					r.indexRules(f, true)
				}
				st.queueFilter(c.region, f)
			}
		case c.kind == sessionPut:
			if s := r.Sessions[c.id]; s != nil {
				st.queueSession(c.region, s)
			}
		}
	}
}

// rollback undoes the transaction's changes, last first. It does nothing
// after commit, so it may be deferred.
func (tx *txn) rollback() {
	st := tx.st
	if st.tx != tx {
		return
	}
	st.tx = nil
	for i := len(tx.log) - 1; i >= 0; i-- {
		c := tx.log[i]
		switch c.kind {
		case filterPut:
			if c.filter == nil {
				st.removeFilter(c.region, c.id)
			} else {
				st.putFilter(c.region, c.filter)
			}
		case sessionPut:
			if c.session == nil {
				st.removeSession(c.region, c.id)
			} else {
				st.putSession(c.region, c.session)
			}
		case regionAdded:
			delete(st.Regions, c.region)
		case seqSet:
			st.Seq = c.seq
		case serviceSet:
			st.Regions[c.region].ServiceOpen = c.open
		case tokenSet:
			if c.token == nil {
				delete(st.Tokens, c.id)
			} else {
				st.Tokens[c.id] = c.token
			}
		}
	}
}

// log records a change of the transaction in progress, if any.
func (st *state) log(c change) {
	if st.tx != nil {
		st.tx.log = append(st.tx.log, c)
	}
}

// putFilter adds or replaces filter f of region.
func (st *state) putFilter(region string, f *filter) {
	r := st.region(region)
	old := r.Filters[f.ID]
	st.log(change{kind: filterPut, region: region, id: f.ID, filter: old})
	r.Filters[f.ID] = f
	if r.rules != nil {
		if old != nil {
			r.indexRules(old, false)
		}
		r.indexRules(f, true)
	}
	if old == nil {
		r.filterOrder.added(f.ID, f.Seq, func(id string) int64 { return r.Filters[id].Seq })
	}
	st.queueFilter(region, f)
}

// removeFilter removes filter id of region.
func (st *state) removeFilter(region, id string) {
	r := st.Regions[region]
	old := r.Filters[id]
	if old == nil {
		return
	}
	st.log(change{kind: filterPut, region: region, id: id, filter: old})
	delete(r.Filters, id)
	if r.rules != nil {
		r.indexRules(old, false)
	}
	r.filterOrder.removed(id)
}

// putSession adds or replaces session s of region.
func (st *state) putSession(region string, s *session) {
	r := st.region(region)
	old := r.Sessions[s.ID]
	st.log(change{kind: sessionPut, region: region, id: s.ID, session: old})
	r.Sessions[s.ID] = s
	if old == nil {
		r.sessionOrder.added(s.ID, s.Seq, func(id string) int64 { return r.Sessions[id].Seq })
	}
	st.queueSession(region, s)
}

// removeSession removes session id of region.
func (st *state) removeSession(region, id string) {
	r := st.Regions[region]
	old := r.Sessions[id]
	if old == nil {
		return
	}
	st.log(change{kind: sessionPut, region: region, id: id, session: old})
	delete(r.Sessions, id)
	r.sessionOrder.removed(id)
}

// nextSeq returns the next creation sequence number.
func (st *state) nextSeq() int64 {
	st.log(change{kind: seqSet, seq: st.Seq})
	st.Seq++
	return st.Seq
}

// setServiceOpen opens or closes the service of region.
func (st *state) setServiceOpen(region string, open bool) {
	r := st.region(region)
	st.log(change{kind: serviceSet, region: region, open: r.ServiceOpen})
	r.ServiceOpen = Bool(open)
}

// setToken remembers the answer to a token.
func (st *state) setToken(key string, e *tokenEntry) {
	st.log(change{kind: tokenSet, id: key, token: st.Tokens[key]})
	st.Tokens[key] = e
	if st.indexed {
		heap.Push(&st.tokenTimes, deadline{at: e.Time, id: key})
	}
}

// A deadline is when something may change by itself: an object's pending
// transition, or a token's time.
type deadline struct {
	at      time.Time
	region  string
	id      string
	session bool
}

// deadlineHeap is a min-heap of deadlines (container/heap).
type deadlineHeap []deadline

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}

// index builds the deadline queues of a state that was just read.
func (st *state) index() {
	if st.indexed {
		return
	}
	st.deadlines, st.tokenTimes = st.deadlines[:0], st.tokenTimes[:0]
	for id, r := range st.Regions {
		for _, f := range r.Filters {
			if at, ok := f.next(); ok {
				st.deadlines = append(st.deadlines, deadline{at: at, region: id, id: f.ID})
			}
		}
		for _, s := range r.Sessions {
			if s.Status != statusCreated {
				st.deadlines = append(st.deadlines, deadline{at: s.Until, region: id, id: s.ID, session: true})
			}
		}
	}
	for k, t := range st.Tokens {
		st.tokenTimes = append(st.tokenTimes, deadline{at: t.Time, id: k})
	}
	heap.Init(&st.deadlines)
	heap.Init(&st.tokenTimes)
	st.indexed = true
}

// queueFilter queues the next pending transition of filter f, if any.
func (st *state) queueFilter(region string, f *filter) {
	if at, ok := f.next(); ok && st.indexed {
		heap.Push(&st.deadlines, deadline{at: at, region: region, id: f.ID})
	}
}

// queueSession queues the pending transition of session s, if any.
func (st *state) queueSession(region string, s *session) {
	if s.Status != statusCreated && st.indexed {
		heap.Push(&st.deadlines, deadline{at: s.Until, region: region, id: s.ID, session: true})
	}
}

// next returns the soonest deadline of the filter's pending transitions
// and its rules'.
func (f *filter) next() (time.Time, bool) {
	var at time.Time
	ok := false
	consider := func(status string, until time.Time) {
		if status != statusCreated && (!ok || until.Before(at)) {
			at, ok = until, true
		}
	}
	consider(f.Status, f.Until)
	for _, rs := range [][]*rule{f.Ingress, f.Egress} {
		for _, ru := range rs {
			consider(ru.Status, ru.Until)
		}
	}
	return at, ok
}
