package plan

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

const testStack = "web"

func rl(prio int, proto, dst string) spec.Rule {
	r, err := cloud.CanonicalRule(cloud.Rule{Direction: cloud.Ingress, Priority: prio, Action: "accept",
		Protocol: proto, DestCIDR: dst, DestPort: portFor(proto)}, true)
	if err != nil {
		panic(err)
	}
	return spec.Rule{Rule: r}
}

func portFor(proto string) string {
	if cloud.HasPorts(proto) {
		return "443"
	}
	return ""
}

// rules returns n distinct ingress rules with priorities prios[i].
func rules(prios ...int) []spec.Rule {
	var out []spec.Rule
	for i, p := range prios {
		out = append(out, rl(p, "TCP", fmt.Sprintf("10.0.%d.0/24", i)))
	}
	return out
}

func filt(key string, ingress ...spec.Rule) *spec.Filter {
	return &spec.Filter{Key: key, Name: key, Ingress: ingress}
}

func sess(key, filter string, prio int, sources ...string) *spec.Session {
	return &spec.Session{Key: key, Name: key, Filter: filter, TargetType: cloud.TargetENI, TargetID: "eni-target",
		Sources: sources, Priority: prio, Enabled: true, PacketLength: 1500}
}

func stk(fs []*spec.Filter, ss ...*spec.Session) *spec.Stack {
	return &spec.Stack{Name: testStack, Region: "cn-hangzhou", Filters: fs, Sessions: ss,
		Service: &spec.Service{Enabled: true}, Limits: spec.Limits{SourcesPerSession: 10}}
}

func emptySnap() *cloud.Snapshot { return &cloud.Snapshot{Region: "cn-hangzhou", ServiceEnabled: true} }

// applied returns the state after converging desired from empty.
func applied(t *testing.T, desired *spec.Stack) *cloud.Snapshot {
	t.Helper()
	_, s := converge(t, desired, emptySnap(), Options{})
	return s
}

// sid is the ID of step n of op for the object at addr.
func sid(addr Addr, op OpKind, n int) StepID { return StepID{Addr: addr, Op: op, N: n} }

func TestCreateFromEmpty(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("ids", "web", 5, "eni-a", "eni-b"))
	closed := emptySnap()
	closed.ServiceEnabled = false
	p, after := converge(t, desired, closed, Options{})
	want := []StepID{
		sid(ServiceAddr("cn-hangzhou"), OpOpenService, 1),
		sid(FilterAddr("web"), OpCreateFilter, 1),
		sid(SessionAddr("ids"), OpCreateSession, 1),
	}
	if diff := cmp.Diff(want, stepIDs(p)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Summary{Add: 5}, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	f := after.Filters[0]
	if f.Tags[cloud.TagStack] != testStack || f.Tags[cloud.TagKey] != "web" || f.Tags[cloud.TagApplied] == "" {
		t.Errorf("filter tags = %v, want ownership tags in the create", f.Tags)
	}
	for _, s := range p.Steps {
		if s.ClientToken == "" || !strings.HasPrefix(s.ClientToken, "tm1-") || len(s.ClientToken) != 40 {
			t.Errorf("step %s token %q, want tm1- and 40 characters", s.ID, s.ClientToken)
		}
	}
	if got := p.Step(sid(SessionAddr("ids"), OpCreateSession, 1)).DependsOn; !slices.Contains(got, sid(FilterAddr("web"), OpCreateFilter, 1)) {
		t.Errorf("session create depends on %v, want the filter create", got)
	}
}

func TestTokensAreDeterministic(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("ids", "web", 5, "eni-a"))
	a, err := Compute(desired, emptySnap(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Compute(desired, emptySnap(), Options{})
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two plans of one spec and view differ:\n%s", diff)
	}
	other := stk([]*spec.Filter{filt("web", rules(2)...)}, sess("ids", "web", 5, "eni-a"))
	c, _ := Compute(other, emptySnap(), Options{})
	if c.Steps[0].ClientToken == a.Steps[0].ClientToken {
		t.Errorf("a different spec gave the same token %s", a.Steps[0].ClientToken)
	}
}

func TestRuleReorders(t *testing.T) {
	cases := map[string]struct {
		reason   string
		before   []spec.Rule
		after    []spec.Rule
		wantOps  int // update-rule steps
		wantSwap bool
	}{
		"swap two": {
			reason: "swapping two priorities moves through one free slot: 3 moves",
			before: rules(1, 2), after: swapped(rules(1, 2), 0, 1), wantOps: 3,
		},
		"reverse nine": {
			reason: "reversing 9 rules with one free priority: 8 displaced + 4 cycles",
			before: rules(1, 2, 3, 4, 5, 6, 7, 8, 9),
			after:  reversed(rules(1, 2, 3, 4, 5, 6, 7, 8, 9)), wantOps: 12,
		},
		"reverse ten": {
			reason: "reversing 10 rules has no free priority: the filter is swapped",
			before: rules(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
			after:  reversed(rules(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)), wantSwap: true,
		},
		"insert at top of full": {
			reason:  "a new rule at 1 with the rule at 10 leaving: delete, shift down through the freed slot, create",
			before:  rules(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
			after:   append([]spec.Rule{rl(1, "UDP", "192.168.0.0/16")}, shift(rules(1, 2, 3, 4, 5, 6, 7, 8, 9), 1)...),
			wantOps: 9,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			live := applied(t, stk([]*spec.Filter{filt("web", tc.before...)}, sess("ids", "web", 5, "eni-a")))
			p, _ := converge(t, stk([]*spec.Filter{filt("web", tc.after...)}, sess("ids", "web", 5, "eni-a")), live, Options{})
			n, swap := 0, false
			for _, s := range p.Steps {
				if s.Kind() == OpUpdateRule {
					n++
				}
				if s.Addr() == FilterAddr("web") && s.Kind() == OpCreateFilter {
					swap = true
				}
			}
			if swap != tc.wantSwap {
				t.Errorf("%s\nswap = %v, want %v; steps %v", tc.reason, swap, tc.wantSwap, stepIDs(p))
			}
			if !tc.wantSwap && n != tc.wantOps {
				t.Errorf("%s\nupdate-rule steps = %d, want %d; steps %v", tc.reason, n, tc.wantOps, stepIDs(p))
			}
			if len(p.Gaps) > 0 {
				t.Errorf("%s\nunexpected gaps %v", tc.reason, p.Gaps)
			}
		})
	}
}

func swapped(rs []spec.Rule, i, j int) []spec.Rule {
	out := append([]spec.Rule(nil), rs...)
	out[i].Priority, out[j].Priority = out[j].Priority, out[i].Priority
	return out
}

func reversed(rs []spec.Rule) []spec.Rule {
	out := append([]spec.Rule(nil), rs...)
	for i := range out {
		out[i].Priority = rs[len(rs)-1-i].Priority
	}
	return out
}

func shift(rs []spec.Rule, by int) []spec.Rule {
	out := append([]spec.Rule(nil), rs...)
	for i := range out {
		out[i].Priority += by
	}
	return out
}

func foreignSession(id, filterID string, prio int) cloud.Session {
	return cloud.Session{ID: id, Name: "theirs", FilterID: filterID, TargetID: "eni-x", TargetType: cloud.TargetENI,
		SourceIDs: []string{"eni-z"}, Priority: prio, PacketLength: 1500, Enabled: true, Status: cloud.StatusCreated}
}

func TestReverseTenWithForeignSession(t *testing.T) {
	ten := rules(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	live := applied(t, stk([]*spec.Filter{filt("web", ten...)}))
	live.Sessions = append(live.Sessions, foreignSession("tms-foreign", live.Filters[0].ID, 900))
	desired := stk([]*spec.Filter{filt("web", reversed(ten)...)})

	_, err := Compute(desired, live, Options{})
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("Compute err = %v, want a plan error naming the foreign session", err)
	}
	if !strings.Contains(err.Error(), "--allow-gap") {
		t.Errorf("error %q does not say how to proceed (--allow-gap)", err)
	}

	p, after := converge(t, desired, live, Options{AllowGap: true})
	if len(p.Gaps) == 0 {
		t.Errorf("--allow-gap plan shows no gap")
	}
	if after.Session("tms-foreign").FilterID != live.Filters[0].ID {
		t.Errorf("the foreign session was moved")
	}
}

func TestSessions(t *testing.T) {
	base := stk([]*spec.Filter{filt("web", rules(1)...)},
		sess("a", "web", 10, "eni-1", "eni-2"), sess("b", "web", 20, "eni-3"))
	cases := map[string]struct {
		reason string
		change func(s *spec.Stack)
		want   []StepID // steps in order, without tags
	}{
		"swap priorities": {
			reason: "two sessions swapping priorities go through a temporary one",
			change: func(s *spec.Stack) { s.Sessions[0].Priority, s.Sessions[1].Priority = 20, 10 },
			want: []StepID{sid(SessionAddr("a"), OpUpdateSession, 1), sid(SessionAddr("b"), OpUpdateSession, 1),
				sid(SessionAddr("a"), OpUpdateSession, 2)},
		},
		"move a source": {
			reason: "a source moves from a to b: added to b, removed from a",
			change: func(s *spec.Stack) {
				s.Sessions[0].Sources = []string{"eni-1"}
				s.Sessions[1].Sources = []string{"eni-2", "eni-3"}
			},
			want: []StepID{sid(SessionAddr("a"), OpRemoveSources, 1), sid(SessionAddr("b"), OpAddSources, 1)},
		},
		"every field": {
			reason: "every updatable attribute in one call",
			change: func(s *spec.Stack) {
				x := s.Sessions[0]
				x.Name, x.Description, x.TargetID, x.TargetType = "renamed", "new", "lb-1", cloud.TargetSLB
				x.Priority, x.PacketLength, x.Enabled, x.VNI = 11, 9000, false, intPtr(42)
			},
			want: []StepID{sid(SessionAddr("a"), OpUpdateSession, 1)},
		},
		"new filter, old deleted": {
			reason: "a session moves to a new filter; the old one is deleted after",
			change: func(s *spec.Stack) {
				s.Filters = []*spec.Filter{filt("web2", rules(3)...)}
				s.Sessions[0].Filter, s.Sessions[1].Filter = "web2", "web2"
			},
			want: []StepID{sid(FilterAddr("web2"), OpCreateFilter, 1), sid(SessionAddr("a"), OpUpdateSession, 1),
				sid(SessionAddr("b"), OpUpdateSession, 1), sid(FilterAddr("web"), OpDeleteFilter, 1)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			live := applied(t, base)
			desired := stk([]*spec.Filter{filt("web", rules(1)...)},
				sess("a", "web", 10, "eni-1", "eni-2"), sess("b", "web", 20, "eni-3"))
			tc.change(desired)
			p, _ := converge(t, desired, live, Options{})
			var got []StepID
			for _, s := range p.Steps {
				if s.Kind() != OpTag && s.Kind() != OpUntag {
					got = append(got, s.ID)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPriorityHeldByForeignSession(t *testing.T) {
	live := emptySnap()
	live.Filters = []cloud.Filter{{ID: "tmf-theirs", Name: "theirs"}}
	live.Sessions = []cloud.Session{foreignSession("tms-theirs", "tmf-theirs", 5)}
	_, err := Compute(stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 5, "eni-1")), live, Options{})
	if err == nil || !strings.Contains(err.Error(), "tms-theirs") {
		t.Fatalf("err = %v, want an error naming the holder tms-theirs", err)
	}
}

func TestAdoption(t *testing.T) {
	live := emptySnap()
	live.Filters = []cloud.Filter{{ID: "tmf-old", Name: "hand-made", Ingress: []cloud.Rule{
		{ID: "tmr-1", Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "TCP", IPVersion: "IPv4",
			SourceCIDR: "0.0.0.0/0", DestCIDR: "10.0.0.0/24", SourcePort: "-1/-1", DestPort: "443/443"}}}}
	f := filt("web", rules(1)...)
	f.ID, f.Name = "tmf-old", "hand-made"
	desired := stk([]*spec.Filter{f})

	if _, err := Compute(desired, live, Options{}); err == nil || !strings.Contains(err.Error(), "--adopt") {
		t.Fatalf("without --adopt: err = %v, want a hint to pass --adopt", err)
	}
	p, after := converge(t, desired, live, Options{Adopt: true})
	if len(p.Changes) != 1 || !p.Changes[0].HasReason(ReasonAdopt) || p.Changes[0].Action != Update {
		t.Fatalf("changes = %+v, want one update labelled adopt", p.Changes)
	}
	for _, s := range p.Steps {
		if s.Kind() != OpTag {
			t.Errorf("adoption of an equal filter should only tag, got step %s", s.ID)
		}
	}
	if after.Filters[0].ID != "tmf-old" || len(after.Filters) != 1 {
		t.Errorf("adoption replaced the filter: %+v", after.Filters)
	}
	// A name match without id is only reported.
	f2 := filt("web", rules(1)...)
	f2.Name = "hand-made"
	p2, err := Compute(stk([]*spec.Filter{f2}), live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Notes) == 0 || !strings.Contains(p2.Notes[0], "tmf-old") {
		t.Errorf("notes = %v, want the name match reported", p2.Notes)
	}
}

func driftBase() *spec.Stack {
	f := filt("web", rules(1)...)
	f.Description, f.ResourceGroupID, f.Tags = "d", "rg-1", cloud.Tags{"team": "a"}
	x := sess("a", "web", 10, "eni-1")
	x.Description, x.ResourceGroupID, x.Tags, x.VNI = "d", "rg-1", cloud.Tags{"team": "a"}, intPtr(5)
	return stk([]*spec.Filter{f, filt("other", rules(1)...)}, x)
}

func TestDriftAndSpecLabels(t *testing.T) {
	type edit struct {
		live func(s *cloud.Snapshot)
		spec func(s *spec.Stack)
	}
	fields := map[string]edit{
		"filter name":         {func(s *cloud.Snapshot) { s.Filters[0].Name = "x" }, func(s *spec.Stack) { s.Filters[0].Name = "x" }},
		"filter description":  {func(s *cloud.Snapshot) { s.Filters[0].Description = "x" }, func(s *spec.Stack) { s.Filters[0].Description = "x" }},
		"filter tags":         {func(s *cloud.Snapshot) { s.Filters[0].Tags["team"] = "b" }, func(s *spec.Stack) { s.Filters[0].Tags = cloud.Tags{"team": "b"} }},
		"filter group":        {func(s *cloud.Snapshot) { s.Filters[0].ResourceGroupID = "rg-2" }, func(s *spec.Stack) { s.Filters[0].ResourceGroupID = "rg-2" }},
		"rule action":         {func(s *cloud.Snapshot) { s.Filters[0].Ingress[0].Action = "drop" }, func(s *spec.Stack) { s.Filters[0].Ingress[0].Action = "drop" }},
		"rule ports":          {func(s *cloud.Snapshot) { s.Filters[0].Ingress[0].DestPort = "80/80" }, func(s *spec.Stack) { s.Filters[0].Ingress[0].DestPort = "80/80" }},
		"rule cidr":           {func(s *cloud.Snapshot) { s.Filters[0].Ingress[0].SourceCIDR = "10.0.0.0/8" }, func(s *spec.Stack) { s.Filters[0].Ingress[0].SourceCIDR = "10.0.0.0/8" }},
		"session name":        {func(s *cloud.Snapshot) { s.Sessions[0].Name = "x" }, func(s *spec.Stack) { s.Sessions[0].Name = "x" }},
		"session description": {func(s *cloud.Snapshot) { s.Sessions[0].Description = "x" }, func(s *spec.Stack) { s.Sessions[0].Description = "x" }},
		"session filter":      {func(s *cloud.Snapshot) { s.Sessions[0].FilterID = s.Filters[1].ID }, func(s *spec.Stack) { s.Sessions[0].Filter = "other" }},
		"session target":      {func(s *cloud.Snapshot) { s.Sessions[0].TargetID = "eni-other" }, func(s *spec.Stack) { s.Sessions[0].TargetID = "eni-other" }},
		"session priority":    {func(s *cloud.Snapshot) { s.Sessions[0].Priority = 11 }, func(s *spec.Stack) { s.Sessions[0].Priority = 11 }},
		"session packet":      {func(s *cloud.Snapshot) { s.Sessions[0].PacketLength = 9000 }, func(s *spec.Stack) { s.Sessions[0].PacketLength = 9000 }},
		"session vni":         {func(s *cloud.Snapshot) { s.Sessions[0].VNI = 6 }, func(s *spec.Stack) { s.Sessions[0].VNI = intPtr(6) }},
		"session enabled":     {func(s *cloud.Snapshot) { s.Sessions[0].Enabled = false }, func(s *spec.Stack) { s.Sessions[0].Enabled = false }},
		"session sources": {func(s *cloud.Snapshot) { s.Sessions[0].SourceIDs = []string{"eni-1", "eni-9"} },
			func(s *spec.Stack) { s.Sessions[0].Sources = []string{"eni-1", "eni-9"} }},
		"session group": {func(s *cloud.Snapshot) { s.Sessions[0].ResourceGroupID = "rg-2" }, func(s *spec.Stack) { s.Sessions[0].ResourceGroupID = "rg-2" }},
		"session tags":  {func(s *cloud.Snapshot) { s.Sessions[0].Tags["team"] = "b" }, func(s *spec.Stack) { s.Sessions[0].Tags = cloud.Tags{"team": "b"} }},
	}
	for name, e := range fields {
		for _, side := range []Reason{ReasonDrift, ReasonSpec} {
			t.Run(name+" "+string(side), func(t *testing.T) {
				live := applied(t, driftBase())
				want := driftBase()
				if side == ReasonDrift {
					e.live(live)
				} else {
					e.spec(want)
				}
				p, _ := converge(t, want, live, Options{})
				if len(p.Changes) == 0 {
					t.Fatalf("no changes")
				}
				for _, c := range p.Changes {
					if !c.HasReason(side) || len(c.Reasons) != 1 {
						t.Errorf("change %s reasons %v, want only %s", c.Addr, c.Reasons, side)
					}
				}
			})
		}
	}
}

func TestFriendlyFormsPlanNothing(t *testing.T) {
	// A rule written with friendly forms, applied, reads back as the API
	// reports it: -1/-1 ports on ALL, 1/65535 on TCP.
	desired := stk([]*spec.Filter{filt("web", rl(1, "ALL", ""), rl(2, "ICMP", "10.0.0.0/8"))})
	live := applied(t, desired)
	for i := range live.Filters[0].Ingress {
		live.Filters[0].Ingress[i].SourcePort, live.Filters[0].Ingress[i].DestPort = "-1/-1", "-1/-1"
	}
	p, err := Compute(desired, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() {
		t.Errorf("plan after apply = %v, want none", stepIDs(p))
	}
}

func TestDuplicatesByKey(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1"))
	live := applied(t, desired)
	dup := live.Filters[0]
	dup.ID = "tmf-dup"
	dup.Ingress = nil // a worse match
	live.Filters = append(live.Filters, dup)
	p, after := converge(t, desired, live, Options{})
	if got := countOwned(after, testStack); got[FilterAddr("web")] != 1 {
		t.Errorf("owned per key = %v, want one filter.web", got)
	}
	if after.Filter("tmf-dup") != nil {
		t.Errorf("kept the duplicate with fewer matching rules; steps %v", stepIDs(p))
	}
}

func TestSafetyRails(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1)...), filt("dns", rules(1)...)})
	live := applied(t, desired)
	if _, err := Compute(stk(nil), live, Options{}); err == nil || !strings.Contains(err.Error(), "every object") {
		t.Errorf("deleting everything: err = %v, want refusal", err)
	}
	if _, err := Compute(stk(nil), live, Options{AllowDestroy: true}); err != nil {
		t.Errorf("with --allow-destroy: %v", err)
	}
	one := stk([]*spec.Filter{filt("web", rules(1)...)})
	one.Filters = append(one.Filters, filt("other", rules(1)...))
	if _, err := Compute(stk([]*spec.Filter{filt("other", rules(1)...)}), live, Options{MaxDestroy: 1}); err == nil {
		t.Errorf("deleting 2 with --max-destroy 1: want refusal")
	}
	protected := stk([]*spec.Filter{filt("web", rules(1)...), filt("dns", rules(1)...)})
	protected.Filters[0].Protect = true
	if _, err := Compute(protected, live, Options{Destroy: true}); err == nil || !strings.Contains(err.Error(), "protect") {
		t.Errorf("destroy of a protected filter: err = %v, want refusal", err)
	}
}

func TestServiceClosedWithoutBlock(t *testing.T) {
	s := stk([]*spec.Filter{filt("web", rules(1)...)})
	s.Service = nil
	closed := emptySnap()
	closed.ServiceEnabled = false
	_, err := Compute(s, closed, Options{})
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Problems[0].Hint, "service") {
		t.Fatalf("err = %v, want a problem with a hint about the service block", err)
	}
}

// TestRandomPermutations checks, over random rule permutations and free slot
// counts, that no step order ever puts two rules on one priority or loses a
// rule, and that the result converges.
func TestRandomPermutations(t *testing.T) {
	seed := int64(20261127)
	rng := rand.New(rand.NewSource(seed))
	for round := 0; round < 300; round++ {
		n := 1 + rng.Intn(10)
		prios := rng.Perm(10)[:n]
		before := make([]int, n)
		for i, p := range prios {
			before[i] = p + 1
		}
		after := rng.Perm(10)[:n]
		base := rules(before...)
		want := append([]spec.Rule(nil), base...)
		for i := range want {
			want[i].Priority = after[i] + 1
		}
		t.Run(fmt.Sprintf("seed%d-round%d", seed, round), func(t *testing.T) {
			live := applied(t, stk([]*spec.Filter{filt("web", base...)}, sess("a", "web", 10, "eni-1")))
			p, final := converge(t, stk([]*spec.Filter{filt("web", want...)}, sess("a", "web", 10, "eni-1")), live, Options{})
			if len(p.Gaps) > 0 {
				t.Errorf("gap planned: %v", p.Gaps)
			}
			if n < 10 {
				for _, s := range p.Steps {
					if k := s.Kind(); k == OpDeleteRules || k == OpCreateRules || k == OpCreateFilter {
						t.Errorf("pure permutation with a free slot used %s", s.ID)
					}
				}
			}
			if len(final.Filters) != 1 {
				t.Errorf("filters after = %d", len(final.Filters))
			}
		})
	}
}

func TestRenames(t *testing.T) {
	old := stk([]*spec.Filter{filt("old", rules(1)...)}, sess("a", "old", 10, "eni-1"))
	old.Name = "before"
	live := applied(t, old)
	desired := stk([]*spec.Filter{filt("new", rules(1)...)}, sess("b", "new", 10, "eni-1"))
	desired.Filters[0].Name, desired.Sessions[0].Name = "old", "a"
	desired.PreviousStacks = []string{"before"}
	desired.Moved = []spec.Move{{From: "filter.old", To: "filter.new"}, {From: "session.a", To: "session.b"}}
	p, after := converge(t, desired, live, Options{})
	for _, s := range p.Steps {
		if s.Kind() != OpTag {
			t.Errorf("a rename should only re-tag, got step %s", s.ID)
		}
	}
	for _, c := range p.Changes {
		if !c.HasReason(ReasonRename) {
			t.Errorf("change %s reasons %v, want rename", c.Addr, c.Reasons)
		}
	}
	if got := countOwned(after, testStack); got[FilterAddr("new")] != 1 || got[SessionAddr("b")] != 1 || len(got) != 2 {
		t.Errorf("owned after = %v, want filter.new and session.b", got)
	}
	if after.Filters[0].ID != live.Filters[0].ID || after.Sessions[0].ID != live.Sessions[0].ID {
		t.Errorf("rename replaced objects")
	}
}

// TestRevertAndRedoGetsNewTokens: when live state comes back to an earlier
// view (a change reverted, then made again), the plan must not repeat the
// earlier plan's tokens, or the API would replay the old answers and
// change nothing.
func TestRevertAndRedoGetsNewTokens(t *testing.T) {
	d0 := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1"))
	d1 := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1", "eni-2"))
	s0 := applied(t, d0)
	first, s1 := converge(t, d1, s0, Options{})
	_, s2 := converge(t, d0, s1, Options{})
	again, _ := converge(t, d1, s2, Options{})
	tokens := map[string]bool{}
	for _, s := range first.Steps {
		if s.ClientToken != "" {
			tokens[s.ClientToken] = true
		}
	}
	for _, s := range again.Steps {
		if tokens[s.ClientToken] {
			t.Errorf("step %s repeats the token of the first plan", s.ID)
		}
	}
	// A drift corrected twice also gets new tokens.
	drift := func(s *cloud.Snapshot) *cloud.Snapshot {
		c := cloneSnap(s)
		c.Sessions[0].PacketLength = 9000
		return c
	}
	fix1, fixed := converge(t, d0, drift(s2), Options{})
	fix2, _ := converge(t, d0, drift(fixed), Options{})
	if fix1.Steps[0].ClientToken == fix2.Steps[0].ClientToken {
		t.Errorf("the second drift correction repeats the first one's token")
	}
}

// TestManagedFieldsChange: a spec that starts or stops naming a field the
// live object already matches changes only the applied tag, labelled spec.
func TestManagedFieldsChange(t *testing.T) {
	base := driftBase()
	live := applied(t, base)
	for name, edit := range map[string]func(s *spec.Stack){
		"drop description": func(s *spec.Stack) { s.Filters[0].Description = "" },
		"drop vni":         func(s *spec.Stack) { s.Sessions[0].VNI = nil },
	} {
		t.Run(name, func(t *testing.T) {
			want := driftBase()
			edit(want)
			p, _ := converge(t, want, live, Options{})
			for _, c := range p.Changes {
				if len(c.Reasons) != 1 || c.Reasons[0] != ReasonSpec {
					t.Errorf("change %s reasons %v, want only spec", c.Addr, c.Reasons)
				}
			}
			for _, s := range p.Steps {
				if s.Kind() != OpTag {
					t.Errorf("step %s, want only the applied tag", s.ID)
				}
			}
		})
	}
}

// TestEmptyNameLeavesObjectsUnnamed: name "" is never sent and never diffed.
func TestEmptyNameLeavesObjectsUnnamed(t *testing.T) {
	f := filt("web", rules(1)...)
	s := sess("a", "web", 10, "eni-1")
	f.Name, s.Name = "", ""
	desired := stk([]*spec.Filter{f}, s)
	p, after := converge(t, desired, emptySnap(), Options{})
	for _, st := range p.Steps {
		var named bool
		switch op := st.Op.(type) {
		case *CreateFilter:
			named = op.Name != ""
		case *UpdateFilter:
			named = op.Name != nil
		case *CreateSession:
			named = op.Name != ""
		case *UpdateSession:
			named = op.Name != nil
		}
		if named {
			t.Errorf("step %s sends a name", st.ID)
		}
	}
	after.Filters[0].Name, after.Sessions[0].Name = "named-in-console", "named-in-console"
	again, err := Compute(desired, after, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		t.Errorf("a name given outside tmsync is diffed although the spec leaves it unset: %v", stepIDs(again))
	}
}
