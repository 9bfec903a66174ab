package plan

import (
	"github.com/tmsync/tmsync/internal/cloud"
)

// Resume matches a fresh plan, computed from a saved plan's desired state
// against live state now, with the saved plan (C9). When the fresh steps
// are exactly the saved plan's last steps (a prefix has run), it returns the
// fresh plan carrying the saved steps' tokens and true. Otherwise live state
// changed in a way the saved plan did not foresee, and it returns false.
func Resume(saved, fresh *Plan, live *cloud.Snapshot) (*Plan, bool) {
	n, m := len(saved.Steps), len(fresh.Steps)
	if m > n {
		return nil, false
	}
	k := n - m
	for i := 0; i < m; i++ {
		if signature(&saved.Steps[k+i], live) != signature(&fresh.Steps[i], live) {
			return nil, false
		}
	}
	out := *fresh
	out.Steps = append([]Step(nil), fresh.Steps...)
	for i := range out.Steps {
		out.Steps[i].ClientToken = saved.Steps[k+i].ClientToken
	}
	return &out, true
}

// signature is what a step does, with object references written as
// addresses so that an object named by the step that creates it and the
// same object named by its ID compare equal.
func signature(s *Step, live *cloud.Snapshot) string {
	return digest(s.ID.Addr, s.Unit, s.ID.Op, mapRefs(s.Op, func(r Ref) Ref { return normRef(r, live) }))
}

// normRef writes r as the address of the object it names when it can: a
// step's object, or a live object with an owner key. The address is held
// in a StepID with no op.
func normRef(r Ref, live *cloud.Snapshot) Ref {
	if !r.Step.IsZero() {
		return Ref{Step: StepID{Addr: r.Step.Addr}}
	}
	if f := live.Filter(r.ID); f != nil && f.Tags[cloud.TagKey] != "" {
		return Ref{Step: StepID{Addr: FilterAddr(f.Tags[cloud.TagKey])}}
	}
	if s := live.Session(r.ID); s != nil && s.Tags[cloud.TagKey] != "" {
		return Ref{Step: StepID{Addr: SessionAddr(s.Tags[cloud.TagKey])}}
	}
	return r
}

// ReuseTokens gives every create step of p that does what a create of prev
// did the token of that step, and returns how many it changed. Only creates
// take part: they are the calls whose repetition would make a duplicate,
// and a replay of an update would skip a change made since. prev are the steps
// of an earlier run that may not have finished (a journal): a create that
// was sent but never confirmed, perhaps not yet visible in List, is sent
// again with its first token, so the API replays it instead of making a
// second object (C5).
func ReuseTokens(p *Plan, prev []Step, live *cloud.Snapshot) int {
	tokens := map[string]string{}
	for i := range prev {
		if prev[i].ClientToken != "" && prev[i].Kind().Creates() {
			tokens[signature(&prev[i], live)] = prev[i].ClientToken
		}
	}
	n := 0
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.ClientToken == "" || !s.Kind().Creates() {
			continue
		}
		if tok, ok := tokens[signature(s, live)]; ok && tok != s.ClientToken {
			s.ClientToken = tok
			n++
		}
	}
	return n
}
