package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/workload"
)

// A change is one edit made outside tmsync, the way someone in the console
// makes it, to an object known by its key.
type change struct {
	kind string
	key  string
	// minCalls is the fewest writes that undo it: one per kind of change,
	// batched where the API takes lists (design.md, budget of calls).
	minCalls int
}

// The kinds of outside edits.
const (
	driftRuleEdit      = "rule-edit"      // a rule's destination changed: UpdateRule
	driftRuleDelete    = "rule-delete"    // a rule deleted: CreateRules
	driftRuleAdd       = "rule-add"       // a rule added: DeleteRules
	driftFilterRename  = "filter-rename"  // UpdateFilter
	driftFilterTag     = "filter-tag"     // a tag added: UnTagResources
	driftSources       = "sources"        // a source swapped for another: AddSources + RemoveSources
	driftPacketLength  = "packet-length"  // UpdateSession
	driftDisable       = "disable"        // UpdateSession
	driftSessionRename = "session-rename" // UpdateSession
	driftSessionTag    = "session-tag"    // UnTagResources
)

var (
	filterDrifts  = []string{driftRuleEdit, driftRuleDelete, driftRuleAdd, driftFilterRename, driftFilterTag}
	sessionDrifts = []string{driftSources, driftPacketLength, driftDisable, driftSessionRename, driftSessionTag}
)

// pickDrift chooses frac of the filters and of the sessions of st and an
// edit for each: the same for the same rng state and stack.
func pickDrift(rng *rand.Rand, st *workload.Stack, frac float64) []change {
	var out []change
	fkeys := st.FilterKeys()
	for _, i := range rng.Perm(len(fkeys))[:int(float64(len(fkeys))*frac+0.5)] {
		k := fkeys[i]
		f := st.Filters[k]
		kind := filterDrifts[rng.Intn(len(filterDrifts))]
		if kind == driftRuleAdd && len(f.Ingress) == 10 && len(f.Egress) == 10 {
			kind = driftRuleEdit
		}
		if (kind == driftRuleEdit || kind == driftRuleDelete) && f.RuleCount() == 0 {
			kind = driftRuleAdd
		}
		out = append(out, change{kind: kind, key: k, minCalls: 1})
	}
	skeys := st.SessionKeys()
	for _, i := range rng.Perm(len(skeys))[:int(float64(len(skeys))*frac+0.5)] {
		k := skeys[i]
		c := change{kind: sessionDrifts[rng.Intn(len(sessionDrifts))], key: k, minCalls: 1}
		if c.kind == driftSources && len(st.Sessions[k].Sources) > 1 {
			c.minCalls = 2 // the swapped-out source back, the stranger out
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func minWrites(cs []change) int {
	n := 0
	filters, sessions := 0, 0
	for _, c := range cs {
		n += c.minCalls
		switch c.kind {
		case driftFilterTag, driftSessionTag:
			// The tag call that undoes it carries the chain.
		case driftSources, driftPacketLength, driftDisable, driftSessionRename:
			sessions++
		default:
			filters++
		}
	}
	// A drift correction moves the chain of the objects it writes through
	// one shared tmsync:gen value, 20 objects of a type a TagResources
	// call (design.md, budget of calls).
	return n + (filters+19)/20 + (sessions+19)/20
}

// applyDrift makes the edits through c and waits until every object has
// settled, so that the converge that follows starts from a quiet region.
func applyDrift(ctx context.Context, c cloud.Client, stack string, cs []change) error {
	snap, err := cloud.ReadSnapshot(ctx, c)
	if err != nil {
		return err
	}
	filters, sessions := map[string]*cloud.Filter{}, map[string]*cloud.Session{}
	for i := range snap.Filters {
		if f := &snap.Filters[i]; f.Tags[cloud.TagStack] == stack {
			filters[f.Tags[cloud.TagKey]] = f
		}
	}
	for i := range snap.Sessions {
		if s := &snap.Sessions[i]; s.Tags[cloud.TagStack] == stack {
			sessions[s.Tags[cloud.TagKey]] = s
		}
	}
	for n, ch := range cs {
		if err := edit(ctx, c, ch, n, filters, sessions); err != nil {
			return fmt.Errorf("drift %s of %s: %w", ch.kind, ch.key, err)
		}
	}
	return waitSettled(ctx, c)
}

func edit(ctx context.Context, c cloud.Client, ch change, n int, filters map[string]*cloud.Filter, sessions map[string]*cloud.Session) error {
	f, s := filters[ch.key], sessions[ch.key]
	switch ch.kind {
	case driftRuleEdit:
		r := firstRule(f)
		cidr := fmt.Sprintf("192.168.%d.0/24", n%256)
		if r.IPVersion == "IPv6" {
			cidr = fmt.Sprintf("2001:db8:ffff:%x::/64", n%0xffff)
		}
		return retry(ctx, func() error {
			return c.UpdateRule(ctx, cloud.UpdateRuleInput{RuleID: r.ID, RulePatch: cloud.RulePatch{DestCIDR: &cidr}})
		})
	case driftRuleDelete:
		r := firstRule(f)
		return retry(ctx, func() error { return c.DeleteRules(ctx, f.ID, []string{r.ID}, cloud.WriteOptions{}) })
	case driftRuleAdd:
		dir, rs := cloud.Ingress, f.Ingress
		if len(rs) == 10 {
			dir, rs = cloud.Egress, f.Egress
		}
		used := map[int]bool{}
		for _, r := range rs {
			used[r.Priority] = true
		}
		prio := 1
		for used[prio] {
			prio++
		}
		r := cloud.Rule{Direction: dir, Priority: prio, Action: "accept", Protocol: "TCP", IPVersion: "IPv4",
			SourceCIDR: "0.0.0.0/0", DestCIDR: "192.0.2.0/24", SourcePort: "1/65535", DestPort: "9999/9999"}
		in := cloud.CreateRulesInput{FilterID: f.ID}
		if dir == cloud.Ingress {
			in.Ingress = []cloud.Rule{r}
		} else {
			in.Egress = []cloud.Rule{r}
		}
		return retry(ctx, func() error { _, _, err := c.CreateRules(ctx, in); return err })
	case driftFilterRename:
		name := "renamed-by-hand"
		return retry(ctx, func() error { return c.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: f.ID, Name: &name}) })
	case driftFilterTag:
		return retry(ctx, func() error {
			return c.TagResources(ctx, cloud.ResourceFilter, []string{f.ID}, cloud.Tags{"owner": "by-hand"})
		})
	case driftSources:
		stranger := fmt.Sprintf("eni-hand%05d", n)
		if err := retry(ctx, func() error { return c.AddSources(ctx, s.ID, []string{stranger}, cloud.WriteOptions{}) }); err != nil {
			return err
		}
		if len(s.SourceIDs) < 2 {
			return nil
		}
		return retry(ctx, func() error { return c.RemoveSources(ctx, s.ID, s.SourceIDs[:1], cloud.WriteOptions{}) })
	case driftPacketLength:
		pl := 9000
		return retry(ctx, func() error {
			return c.UpdateSession(ctx, cloud.UpdateSessionInput{ID: s.ID, SessionPatch: cloud.SessionPatch{PacketLength: &pl}})
		})
	case driftDisable:
		off := false
		return retry(ctx, func() error {
			return c.UpdateSession(ctx, cloud.UpdateSessionInput{ID: s.ID, SessionPatch: cloud.SessionPatch{Enabled: &off}})
		})
	case driftSessionRename:
		name := "renamed-by-hand"
		return retry(ctx, func() error {
			return c.UpdateSession(ctx, cloud.UpdateSessionInput{ID: s.ID, SessionPatch: cloud.SessionPatch{Name: &name}})
		})
	case driftSessionTag:
		return retry(ctx, func() error {
			return c.TagResources(ctx, cloud.ResourceSession, []string{s.ID}, cloud.Tags{"owner": "by-hand"})
		})
	}
	return fmt.Errorf("unknown drift %q", ch.kind)
}

func firstRule(f *cloud.Filter) cloud.Rule {
	if len(f.Ingress) > 0 {
		return f.Ingress[0]
	}
	return f.Egress[0]
}

// retry repeats a console edit while the object is still settling from
// the last one.
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil || !cloud.KindOf(err).Retryable() {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitSettled polls until every filter, rule and session is Created.
func waitSettled(ctx context.Context, c cloud.Client) error {
	for {
		snap, err := cloud.ReadSnapshot(ctx, c)
		if err != nil {
			return err
		}
		if settled(snap) {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("objects did not settle")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func settled(snap *cloud.Snapshot) bool {
	for _, f := range snap.Filters {
		if f.Status != cloud.StatusCreated {
			return false
		}
		for _, r := range append(append([]cloud.Rule(nil), f.Ingress...), f.Egress...) {
			if r.Status != cloud.StatusCreated {
				return false
			}
		}
	}
	for _, s := range snap.Sessions {
		if s.Status != cloud.StatusCreated {
			return false
		}
	}
	return true
}
