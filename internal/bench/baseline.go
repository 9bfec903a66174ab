package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	counters map[string]int
	lastOf   map[string]string
	salt     string
}

func newBuilder(p *plan.Plan, salt string) *builder {
	return &builder{p: &plan.Plan{FormatVersion: p.FormatVersion, ID: p.ID, Stack: p.Stack, Region: p.Region},
		counters: map[string]int{}, lastOf: map[string]string{}, salt: salt}
}

func (b *builder) add(s plan.Step, deps ...string) string {
	base := s.Address + "/" + s.Op
	b.counters[base]++
	s.ID = fmt.Sprintf("%s/%d", base, b.counters[base])
	if s.Unit == "" {
		s.Unit = s.Address
	}
	set := map[string]bool{}
	s.DependsOn = nil
	for _, d := range append([]string{b.lastOf[s.Unit]}, deps...) {
		if d != "" && !set[d] {
			set[d] = true
			s.DependsOn = append(s.DependsOn, d)
		}
	}
	sort.Strings(s.DependsOn)
	switch s.Op {
	case plan.OpTag, plan.OpUntag, plan.OpMoveGroup:
		s.ClientToken = ""
	default:
		// A token of its own per step and run, as a provider that sends
		// tokens would: the baseline must not replay tmsync's answers.
		h := sha256.Sum256([]byte(b.salt + "\x00" + s.ID))
		s.ClientToken = "bl-" + hex.EncodeToString(h[:16])
	}
	b.lastOf[s.Unit] = s.ID
	b.p.Steps = append(b.p.Steps, s)
	return s.ID
}

// createFilter adds a filter create with no rules and then one create per
// rule, and returns the create's step ID.
func (b *builder) createFilter(create plan.Step) string {
	params := create.Params
	params.Ingress, params.Egress = nil, nil
	id := b.add(plan.Step{Address: create.Address, Kind: plan.TypeFilter, Op: plan.OpCreateFilter, Params: params})
	ref := plan.Ref{Step: id}
	for _, r := range create.Params.Ingress {
		b.add(plan.Step{Address: create.Address, Kind: plan.TypeRule, Op: plan.OpCreateRules, Target: ref,
			Params: plan.Params{Ingress: []plan.RuleSpec{r}}})
	}
	for _, r := range create.Params.Egress {
		b.add(plan.Step{Address: create.Address, Kind: plan.TypeRule, Op: plan.OpCreateRules, Target: ref,
			Params: plan.Params{Egress: []plan.RuleSpec{r}}})
	}
	return id
}

// baselinePlan derives the per-resource tool's calls from tmsync's plan p
// of desired against live. creates holds, per filter address, tmsync's
// create step of that filter from an empty region: what a replacement
// creates.
func baselinePlan(p *plan.Plan, desired *spec.Stack, live *cloud.Snapshot, creates map[string]plan.Step, salt string) *plan.Plan {
	b := newBuilder(p, salt)
	renamed := map[string]string{} // tmsync step ID -> baseline step ID
	replaced := map[string]*cloud.Filter{}
	sources := map[string]*cloud.Session{} // session address -> live session whose sources change
	var replacedOrder []string
	for i := range p.Steps {
		s := p.Steps[i]
		switch {
		case s.Kind == plan.TypeRule && s.Target.Known() || s.Op == plan.OpUpdateRule:
			fid := s.Target.ID
			if s.Parent != nil {
				fid = s.Parent.ID
			}
			addr := filterAddress(s.Address)
			if replaced[addr] == nil {
				replaced[addr] = live.Filter(fid)
				replacedOrder = append(replacedOrder, addr)
			}
		case s.Op == plan.OpAddSources || s.Op == plan.OpRemoveSources:
			sources[s.Address] = live.Session(s.Target.ID)
		}
	}
	for i := range p.Steps {
		s := p.Steps[i]
		if s.Kind == plan.TypeRule || s.Op == plan.OpAddSources || s.Op == plan.OpRemoveSources {
			continue
		}
		if s.Kind == plan.TypeFilter && replaced[s.Address] != nil {
			continue // the replacement is created as desired
		}
		if s.Kind == plan.TypeFilter && s.Op == plan.OpCreateFilter {
			renamed[s.ID] = b.createFilter(s)
			continue
		}
		var deps []string
		for _, d := range s.DependsOn {
			if n, ok := renamed[d]; ok {
				deps = append(deps, n)
			}
		}
		if ss := s.Params.Session; ss != nil && ss.Filter != nil && ss.Filter.Step != "" {
			cp := *ss
			f := plan.Ref{Step: renamed[ss.Filter.Step]}
			cp.Filter = &f
			s.Params.Session = &cp
		}
		renamed[s.ID] = b.add(plan.Step{Address: s.Address, Kind: s.Kind, Op: s.Op, Unit: s.Unit,
			Target: s.Target, Parent: s.Parent, Params: s.Params}, deps...)
	}
	for _, addr := range sortedAddrs(sources) {
		l := sources[addr]
		d := specSession(desired, addr)
		ref := plan.Ref{ID: l.ID}
		for _, batch := range chunks(l.SourceIDs, plan.MaxSourcesPerCall) {
			b.add(plan.Step{Address: addr, Kind: plan.TypeSession, Op: plan.OpRemoveSources, Target: ref, Params: plan.Params{Sources: batch}})
		}
		for _, batch := range chunks(d.Sources, plan.MaxSourcesPerCall) {
			b.add(plan.Step{Address: addr, Kind: plan.TypeSession, Op: plan.OpAddSources, Target: ref, Params: plan.Params{Sources: batch}})
		}
	}
	for _, addr := range replacedOrder {
		old := replaced[addr]
		newID := b.createFilter(creates[addr])
		var moves []string
		for _, s := range live.Sessions {
			if s.FilterID != old.ID {
				continue
			}
			saddr := "session." + s.Tags[cloud.TagKey]
			newRef := plan.Ref{Step: newID}
			if id := b.mergeFilterMove(saddr, newRef); id != "" {
				moves = append(moves, id)
				continue
			}
			moves = append(moves, b.add(plan.Step{Address: saddr, Kind: plan.TypeSession, Op: plan.OpUpdateSession,
				Target: plan.Ref{ID: s.ID}, Params: plan.Params{Session: &plan.SessionSpec{Filter: &newRef}}}, newID))
		}
		// The old filter's rule resources go one call each, then the filter.
		oldAddr := addr + "(old)"
		for _, r := range append(append([]cloud.Rule(nil), old.Ingress...), old.Egress...) {
			b.add(plan.Step{Address: oldAddr, Kind: plan.TypeRule, Op: plan.OpDeleteRules, Target: plan.Ref{ID: old.ID},
				Params: plan.Params{RuleIDs: []string{r.ID}}}, moves...)
		}
		b.add(plan.Step{Address: oldAddr, Kind: plan.TypeFilter, Op: plan.OpDeleteFilter, Target: plan.Ref{ID: old.ID}}, moves...)
	}
	return b.p
}

// mergeFilterMove folds a move to a new filter into the session's own
// update, as a per-resource tool sends one update per resource, and returns
// that step's ID; "" when the session has no update.
func (b *builder) mergeFilterMove(addr string, filter plan.Ref) string {
	for i := range b.p.Steps {
		s := &b.p.Steps[i]
		if s.Address != addr || s.Op != plan.OpUpdateSession || s.Params.Session == nil {
			continue
		}
		ss := *s.Params.Session
		ss.Filter = &filter
		s.Params.Session = &ss
		s.DependsOn = append(s.DependsOn, filter.Step)
		sort.Strings(s.DependsOn)
		return s.ID
	}
	return ""
}

// filterAddress returns filter.<key> of a filter or rule address.
func filterAddress(addr string) string {
	dots := 0
	for i := 0; i < len(addr); i++ {
		if addr[i] == '.' {
			dots++
			if dots == 2 {
				return addr[:i]
			}
		}
	}
	return addr
}

func specSession(st *spec.Stack, addr string) *spec.Session {
	for _, s := range st.Sessions {
		if "session."+s.Key == addr {
			return s
		}
	}
	panic("bench: no session " + addr + " in the spec")
}

func sortedAddrs[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
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
	memo := map[string]int{}
	byID := map[string]*plan.Step{}
	for i := range p.Steps {
		byID[p.Steps[i].ID] = &p.Steps[i]
	}
	var walk func(id string) int
	walk = func(id string) int {
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
