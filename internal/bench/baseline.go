package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"sync"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

// The per-resource baseline does the same work as tmsync, the way a tool
// with one resource per API object does it (Terraform's alicloud provider
// is the model): it refreshes each object of its state with a List by ID,
// writes each rule with a call of its own, replaces a filter when any of its
// rules changed, and removes every source of a session before adding the
// wanted ones back. Everything else, the client, the poller, the rate limit
// and the parallelism, is tmsync's own, because the baseline's calls run
// through apply.Run.

// refresh reads every object of a per-resource tool's state: the service
// status, then one List by ID per filter, per rule (a rule resource is
// read through its filter) and per session, parallelism at a time.
func refresh(ctx context.Context, c cloud.Client, lim *apply.Limiter, parallelism int, snap *cloud.Snapshot) error {
	type read struct {
		filter  bool
		id      string
		session bool
	}
	var reads []read
	for _, f := range snap.Filters {
		reads = append(reads, read{filter: true, id: f.ID})
		for range len(f.Ingress) + len(f.Egress) {
			reads = append(reads, read{filter: true, id: f.ID})
		}
	}
	for _, s := range snap.Sessions {
		reads = append(reads, read{session: true, id: s.ID})
	}
	if err := lim.Wait(ctx); err != nil {
		return err
	}
	if _, err := c.GetServiceStatus(ctx); err != nil {
		return err
	}
	work := make(chan read)
	errs := make(chan error, parallelism)
	var wg sync.WaitGroup
	for range parallelism {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rd := range work {
				if err := lim.Wait(ctx); err != nil {
					errs <- err
					return
				}
				var err error
				if rd.filter {
					_, err = c.ListFilters(ctx, cloud.ListFiltersInput{IDs: []string{rd.id}})
				} else {
					_, err = c.ListSessions(ctx, cloud.ListSessionsInput{IDs: []string{rd.id}})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var firstErr error
feed:
	for _, rd := range reads {
		select {
		case work <- rd:
		case firstErr = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		select {
		case firstErr = <-errs:
		default:
		}
	}
	return firstErr
}

// builder assembles a baseline plan: steps named as tmsync names them,
// chained per unit so that a filter and its rules are never written in
// parallel, just as in tmsync's plans.
type builder struct {
	p        *plan.Plan
	counters map[plan.StepID]int
	lastOf   map[plan.Addr]plan.StepID
	salt     string
}

func newBuilder(p *plan.Plan, salt string) *builder {
	return &builder{p: &plan.Plan{FormatVersion: p.FormatVersion, ID: p.ID, Stack: p.Stack, Region: p.Region},
		counters: map[plan.StepID]int{}, lastOf: map[plan.Addr]plan.StepID{}, salt: salt}
}

func (b *builder) add(addr plan.Addr, op plan.Op, deps ...plan.StepID) plan.StepID {
	base := plan.StepID{Addr: addr, Op: op.Kind()}
	b.counters[base]++
	s := plan.Step{ID: plan.StepID{Addr: addr, Op: op.Kind(), N: b.counters[base]}, Unit: addr.Unit(), Op: op}
	set := map[plan.StepID]bool{}
	for _, d := range append([]plan.StepID{b.lastOf[s.Unit]}, deps...) {
		if !d.IsZero() && !set[d] {
			set[d] = true
			s.DependsOn = append(s.DependsOn, d)
		}
	}
	if op.Kind().Tokened() {
		// A token of its own per step and run, as a provider that sends
		// tokens would: the baseline must not replay tmsync's answers.
		h := sha256.Sum256([]byte(b.salt + "\x00" + s.ID.String()))
		s.ClientToken = "bl-" + hex.EncodeToString(h[:16])
	}
	b.lastOf[s.Unit] = s.ID
	b.p.Steps = append(b.p.Steps, s)
	return s.ID
}

// createFilter adds a filter create with no rules and then one create per
// rule, and returns the create's step ID.
func (b *builder) createFilter(addr plan.Addr, create *plan.CreateFilter) plan.StepID {
	bare := *create
	bare.Ingress, bare.Egress = nil, nil
	id := b.add(addr, &bare)
	ref := plan.Ref{Step: id}
	for _, r := range create.Ingress {
		b.add(addr, &plan.CreateRules{Filter: ref, Ingress: []cloud.Rule{r}})
	}
	for _, r := range create.Egress {
		b.add(addr, &plan.CreateRules{Filter: ref, Egress: []cloud.Rule{r}})
	}
	return id
}

// replacedID reports whether r names a live filter the baseline replaces.
func replacedID(replaced map[plan.Addr]*cloud.Filter, r plan.Ref) bool {
	for _, f := range replaced {
		if r.Known() && f.ID == r.ID {
			return true
		}
	}
	return false
}

// baselinePlan derives the per-resource tool's calls from tmsync's plan p
// of desired against live. creates holds, per filter address, tmsync's
// create of that filter from an empty region: what a replacement creates.
func baselinePlan(p *plan.Plan, desired *spec.Stack, live *cloud.Snapshot, creates map[plan.Addr]*plan.CreateFilter, salt string) *plan.Plan {
	b := newBuilder(p, salt)
	renamed := map[plan.StepID]plan.StepID{} // tmsync step ID -> baseline step ID
	replaced := map[plan.Addr]*cloud.Filter{}
	sources := map[plan.Addr]*cloud.Session{} // session address -> live session whose sources change
	var replacedOrder []plan.Addr
	for i := range p.Steps {
		s := p.Steps[i]
		switch op := s.Op.(type) {
		case *plan.CreateRules, *plan.DeleteRules, *plan.UpdateRule:
			if !op.Object().Known() {
				continue // rules of a filter created in this plan
			}
			addr := s.Addr().Unit()
			if replaced[addr] == nil {
				replaced[addr] = live.Filter(op.Object().ID)
				replacedOrder = append(replacedOrder, addr)
			}
		case *plan.AddSources, *plan.RemoveSources:
			sources[s.Addr()] = live.Session(op.Object().ID)
		}
	}
	for i := range p.Steps {
		s := p.Steps[i]
		switch s.Op.(type) {
		case *plan.CreateRules, *plan.DeleteRules, *plan.UpdateRule, *plan.AddSources, *plan.RemoveSources:
			continue
		}
		if s.Addr().Kind == plan.KindFilter && replaced[s.Addr()] != nil {
			continue // the replacement is created as desired
		}
		if cf, ok := s.Op.(*plan.CreateFilter); ok {
			renamed[s.ID] = b.createFilter(s.Addr(), cf)
			continue
		}
		var deps []plan.StepID
		for _, d := range s.DependsOn {
			if n, ok := renamed[d]; ok {
				deps = append(deps, n)
			}
		}
		op := s.Op
		switch o := op.(type) {
		case *plan.CreateSession:
			if !o.Filter.Step.IsZero() {
				cp := *o
				cp.Filter = plan.Ref{Step: renamed[o.Filter.Step]}
				op = &cp
			}
		case *plan.UpdateSession:
			if o.Filter != nil && !o.Filter.Step.IsZero() {
				cp := *o
				cp.Filter = &plan.Ref{Step: renamed[o.Filter.Step]}
				op = &cp
			}
		case *plan.Tag:
			// A filter the baseline replaces is made anew with its tags
			// and the old one deleted: a tag call shared with others
			// leaves it out.
			var keep []plan.Ref
			for _, r := range append([]plan.Ref{o.Target}, o.Others...) {
				if !replacedID(replaced, r) {
					keep = append(keep, r)
				}
			}
			if len(keep) == 0 {
				continue
			}
			cp := *o
			cp.Target, cp.Others = keep[0], keep[1:]
			op = &cp
		}
		renamed[s.ID] = b.add(s.Addr(), op, deps...)
	}
	for _, addr := range sortedAddrs(sources) {
		l := sources[addr]
		d := specSession(desired, addr)
		ref := plan.Ref{ID: l.ID}
		for _, batch := range chunks(l.SourceIDs, plan.MaxSourcesPerCall) {
			b.add(addr, &plan.RemoveSources{Session: ref, Sources: batch})
		}
		for _, batch := range chunks(d.Sources, plan.MaxSourcesPerCall) {
			b.add(addr, &plan.AddSources{Session: ref, Sources: batch})
		}
	}
	for _, addr := range replacedOrder {
		old := replaced[addr]
		newID := b.createFilter(addr, creates[addr])
		var moves []plan.StepID
		for _, s := range live.Sessions {
			if s.FilterID != old.ID {
				continue
			}
			saddr := plan.SessionAddr(s.Tags[cloud.TagKey])
			newRef := plan.Ref{Step: newID}
			if id := b.mergeFilterMove(saddr, newRef); !id.IsZero() {
				moves = append(moves, id)
				continue
			}
			moves = append(moves, b.add(saddr, &plan.UpdateSession{Session: plan.Ref{ID: s.ID}, Filter: &newRef}, newID))
		}
		// The old filter's rule resources go one call each, then the
		// filter, as a unit of their own.
		oldAddr := plan.FilterAddr(addr.Key + "~old")
		for _, r := range append(append([]cloud.Rule(nil), old.Ingress...), old.Egress...) {
			b.add(oldAddr, &plan.DeleteRules{Filter: plan.Ref{ID: old.ID}, RuleIDs: []string{r.ID}}, moves...)
		}
		b.add(oldAddr, &plan.DeleteFilter{Filter: plan.Ref{ID: old.ID}}, moves...)
	}
	return b.p
}

// mergeFilterMove folds a move to a new filter into the session's own
// update, as a per-resource tool sends one update per resource, and returns
// that step's ID; the zero ID when the session has no update.
func (b *builder) mergeFilterMove(addr plan.Addr, filter plan.Ref) plan.StepID {
	for i := range b.p.Steps {
		s := &b.p.Steps[i]
		up, ok := s.Op.(*plan.UpdateSession)
		if s.Addr() != addr || !ok {
			continue
		}
		cp := *up
		cp.Filter = &filter
		s.Op = &cp
		s.DependsOn = append(s.DependsOn, filter.Step)
		return s.ID
	}
	return plan.StepID{}
}

func specSession(st *spec.Stack, addr plan.Addr) *spec.Session {
	for _, s := range st.Sessions {
		if plan.SessionAddr(s.Key) == addr {
			return s
		}
	}
	panic("bench: no session " + addr.String() + " in the spec")
}

func sortedAddrs[V any](m map[plan.Addr]V) []plan.Addr {
	out := make([]plan.Addr, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

// depth is the number of steps on the longest dependency chain of p: the
// critical path of the lower bound.
func depth(p *plan.Plan) int {
	memo := map[plan.StepID]int{}
	byID := map[plan.StepID]*plan.Step{}
	for i := range p.Steps {
		byID[p.Steps[i].ID] = &p.Steps[i]
	}
	var walk func(id plan.StepID) int
	walk = func(id plan.StepID) int {
		if d, ok := memo[id]; ok {
			return d
		}
		s := byID[id]
		if s == nil {
			return 0
		}
		best := 0
		for _, d := range s.DependsOn {
			best = max(best, walk(d))
		}
		memo[id] = best + 1
		return best + 1
	}
	longest := 0
	for id := range byID {
		longest = max(longest, walk(id))
	}
	return longest
}
