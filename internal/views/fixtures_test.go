package views

import (
	"fmt"
	"testing"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

// Builders of specs and live state, so that every golden file is the view of
// a plan that plan.Compute really makes.

const (
	testStack    = "web-ids"
	testRegion   = "cn-hangzhou"
	testEndpoint = "local (.tmsync/emulator-state.json)"
)

func rl(prio int, proto, dst string) spec.Rule {
	port := ""
	if cloud.HasPorts(proto) {
		port = "443"
	}
	r, err := cloud.CanonicalRule(cloud.Rule{Direction: cloud.Ingress, Priority: prio, Action: "accept",
		Protocol: proto, DestCIDR: dst, DestPort: port}, true)
	if err != nil {
		panic(err)
	}
	return spec.Rule{Rule: r}
}

// rules returns distinct TCP rules with the given priorities.
func rules(prios ...int) []spec.Rule {
	var out []spec.Rule
	for i, p := range prios {
		out = append(out, rl(p, "TCP", fmt.Sprintf("10.0.%d.0/24", i)))
	}
	return out
}

func reversed(rs []spec.Rule) []spec.Rule {
	out := append([]spec.Rule(nil), rs...)
	for i := range out {
		out[i].Priority = rs[len(rs)-1-i].Priority
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
	return &spec.Stack{Name: testStack, Region: testRegion, Filters: fs, Sessions: ss,
		Service: &spec.Service{Enabled: true}, Limits: spec.Limits{SourcesPerSession: 10}}
}

func emptySnap() *cloud.Snapshot { return &cloud.Snapshot{Region: testRegion, ServiceEnabled: true} }

func compute(t testing.TB, desired *spec.Stack, live *cloud.Snapshot, opts plan.Options) *plan.Plan {
	t.Helper()
	opts.Endpoint = testEndpoint
	p, err := plan.Compute(desired, live, opts)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return p
}

// applied returns the live state after desired is created from an empty
// region, with IDs named after keys so that goldens read well. It handles
// only the steps of a create from empty and checks that planning desired
// against the result changes nothing.
func applied(t testing.TB, desired *spec.Stack) *cloud.Snapshot {
	t.Helper()
	return appliedFrom(t, desired, emptySnap())
}

// appliedFrom is applied from start, an empty region with ENIs to select.
func appliedFrom(t testing.TB, desired *spec.Stack, start *cloud.Snapshot) *cloud.Snapshot {
	t.Helper()
	p := compute(t, desired, start, plan.Options{})
	s := emptySnap()
	s.ENIs, s.ENIsRead = start.ENIs, start.ENIsRead
	ids := map[plan.StepID]string{}
	mkRules := func(fid, key string, rs []cloud.Rule) []cloud.Rule {
		var out []cloud.Rule
		for _, r := range rs {
			r.ID, r.FilterID, r.Status = fmt.Sprintf("tmr-%s-%s-%d", key, r.Direction[:2], r.Priority), fid, cloud.StatusCreated
			out = append(out, r)
		}
		return out
	}
	for _, st := range p.Steps {
		key := st.Addr().Key
		switch op := st.Op.(type) {
		case *plan.CreateFilter:
			id := "tmf-" + key
			f := cloud.Filter{ID: id, Name: op.Name, Description: op.Description,
				ResourceGroupID: op.ResourceGroupID, Tags: op.Tags.Clone(), Status: cloud.StatusCreated}
			f.Ingress = mkRules(id, key, op.Ingress)
			f.Egress = mkRules(id, key, op.Egress)
			s.Filters = append(s.Filters, f)
			ids[st.ID] = id
		case *plan.CreateSession:
			filter := op.Filter.ID
			if filter == "" {
				filter = ids[op.Filter.Step]
			}
			x := cloud.Session{ID: "tms-" + key, Name: op.Name, Description: op.Description,
				FilterID: filter, SourceIDs: append([]string{}, op.SourceIDs...), TargetID: op.TargetID,
				TargetType: op.TargetType, Priority: op.Priority, PacketLength: op.PacketLength,
				Enabled: op.Enabled, VNI: 1, ResourceGroupID: op.ResourceGroupID,
				Tags: op.Tags.Clone(), Status: cloud.StatusCreated}
			if op.VNI != nil {
				x.VNI = *op.VNI
			}
			s.Sessions = append(s.Sessions, x)
			ids[st.ID] = x.ID
		default:
			t.Fatalf("applied: a create from empty made step %s", st.ID)
		}
	}
	if again := compute(t, desired, s, plan.Options{}); !again.Empty() {
		t.Fatalf("applied: the state does not match the spec; plan again has %d steps", len(again.Steps))
	}
	return s
}

func foreignSession(id, filterID string, prio int) cloud.Session {
	return cloud.Session{ID: id, Name: "theirs", FilterID: filterID, TargetID: "eni-x", TargetType: cloud.TargetENI,
		SourceIDs: []string{"eni-z"}, Priority: prio, PacketLength: 1500, Enabled: true, Status: cloud.StatusCreated}
}

// scenarios are the plans the golden files show, each a kind of change a
// reviewer meets.
var scenarios = map[string]struct {
	reason string
	plan   func(t testing.TB) *plan.Plan
}{
	"create": {
		reason: "a create from empty in a closed region: the service opens, a filter with rules in both directions, a session",
		plan: func(t testing.TB) *plan.Plan {
			f := filt("web", rl(1, "TCP", "10.0.0.0/24"), rl(2, "UDP", "10.0.1.0/24"))
			f.Description = "web tier"
			f.Egress = []spec.Rule{rl(1, "ALL", "")}
			f.Egress[0].Direction = cloud.Egress
			s := sess("ids", "web", 5, "eni-a", "eni-b")
			s.Tags = cloud.Tags{"team": "netsec"}
			closed := emptySnap()
			closed.ServiceEnabled = false
			return compute(t, stk([]*spec.Filter{f}, s), closed, plan.Options{})
		},
	},
	"update_drift": {
		reason: "changes made in the console (drift) and in the spec, with long values shown as line diffs",
		plan: func(t testing.TB) *plan.Plan {
			base := func() *spec.Stack {
				s := sess("ids", "web", 5, "eni-a", "eni-b")
				s.Description = "mirror the web tier to the IDS"
				return stk([]*spec.Filter{filt("web", rules(1, 2)...)}, s)
			}
			live := applied(t, base())
			live.Filters[0].Name = "web-renamed-in-console"
			live.Sessions[0].PacketLength = 9000
			want := base()
			want.Sessions[0].Sources = []string{"eni-a", "eni-c", "eni-d", "eni-e", "eni-f"}
			want.Sessions[0].Description = "mirror the web tier, both directions, to the IDS appliance in zone b"
			want.Sessions[0].Tags = cloud.Tags{"owner": "secops"}
			return compute(t, want, live, plan.Options{})
		},
	},
	"rule_moves": {
		reason: "two rules swap priorities through a free slot, one is updated in place, one is added",
		plan: func(t testing.TB) *plan.Plan {
			live := applied(t, stk([]*spec.Filter{filt("web", rules(1, 2, 3)...)}))
			want := rules(1, 2, 3)
			want[0].Priority, want[1].Priority = 2, 1
			want[2].Action = "drop"
			want = append(want, rl(4, "ICMP", "192.168.0.0/16"))
			return compute(t, stk([]*spec.Filter{filt("web", want...)}), live, plan.Options{})
		},
	},
	"filter_swap": {
		reason: "ten rules reversed with no free priority: the filter is replaced and its session moves",
		plan: func(t testing.TB) *plan.Plan {
			ten := rules(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
			live := applied(t, stk([]*spec.Filter{filt("web", ten...)}, sess("ids", "web", 5, "eni-a")))
			return compute(t, stk([]*spec.Filter{filt("web", reversed(ten)...)}, sess("ids", "web", 5, "eni-a")), live, plan.Options{})
		},
	},
	"delete": {
		reason: "a filter and a session leave the spec",
		plan: func(t testing.TB) *plan.Plan {
			live := applied(t, stk([]*spec.Filter{filt("dns", rules(1)...), filt("web", rules(1)...)},
				sess("a", "web", 10, "eni-1"), sess("b", "dns", 20, "eni-2")))
			return compute(t, stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1")), live, plan.Options{})
		},
	},
	"gap": {
		reason: "a reorder with no free priority and a foreign session on the filter: --allow-gap shows the gap; unmanaged objects are listed",
		plan: func(t testing.TB) *plan.Plan {
			ten := rules(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
			live := applied(t, stk([]*spec.Filter{filt("web", ten...)}))
			live.Sessions = append(live.Sessions, foreignSession("tms-foreign", live.Filters[0].ID, 900))
			live.Filters = append(live.Filters, cloud.Filter{ID: "tmf-other", Name: "other-stack",
				Tags: cloud.Tags{cloud.TagStack: "payments", cloud.TagKey: "pay", cloud.TagApplied: "paypaypaypay"}})
			return compute(t, stk([]*spec.Filter{filt("web", reversed(ten)...)}), live, plan.Options{AllowGap: true})
		},
	},
	"adopt": {
		reason: "an unowned filter taken over by id: only ownership tags change",
		plan: func(t testing.TB) *plan.Plan {
			live := emptySnap()
			live.Filters = []cloud.Filter{{ID: "tmf-old", Name: "hand-made", Ingress: []cloud.Rule{
				{ID: "tmr-1", Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "TCP", IPVersion: "IPv4",
					SourceCIDR: "0.0.0.0/0", DestCIDR: "10.0.0.0/24", SourcePort: "-1/-1", DestPort: "443/443"}}}}
			f := filt("web", rules(1)...)
			f.ID, f.Name = "tmf-old", "hand-made"
			return compute(t, stk([]*spec.Filter{f}), live, plan.Options{Adopt: true})
		},
	},
	"fleet": {
		reason: "a session group follows its fleet: new ENIs join with the selector that matched them, deleted ones leave",
		plan: func(t testing.TB) *plan.Plan {
			s := sess("web", "web", 0)
			s.Sources = nil
			s.Select = []spec.Selector{{Tags: cloud.Tags{"app": "web"}}}
			s.Split = &spec.Split{From: 100, To: 149}
			desired := stk([]*spec.Filter{filt("web", rules(1)...)}, s)
			enis := func(n int) []cloud.ENI {
				var out []cloud.ENI
				for i := range n {
					out = append(out, cloud.ENI{ID: fmt.Sprintf("eni-web%02d", i), Type: cloud.ENIPrimary,
						Status: cloud.ENIInUse, Tags: cloud.Tags{"app": "web"}})
				}
				return out
			}
			start := emptySnap()
			start.ENIs, start.ENIsRead = enis(12), true
			live := appliedFrom(t, desired, start)
			live.ENIs = enis(14)[1:] // eni-web00 deleted, two new
			return compute(t, desired, live, plan.Options{})
		},
	},
	"no_changes": {
		reason: "live state equals the spec; an unmanaged filter is still reported, and so is one tagged as the stack's by hand, saying why",
		plan: func(t testing.TB) *plan.Plan {
			desired := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("ids", "web", 5, "eni-a"))
			live := applied(t, desired)
			live.Filters = append(live.Filters, cloud.Filter{ID: "tmf-console", Name: "made <by> hand"},
				cloud.Filter{ID: "tmf-forged", Name: "tagged by hand",
					Tags: cloud.Tags{cloud.TagStack: desired.Name, cloud.TagKey: "bogus"}})
			return compute(t, desired, live, plan.Options{})
		},
	},
}

// bigPlan creates n filters of one rule each from empty: 2n changes.
func bigPlan(t testing.TB, n int) *plan.Plan {
	var fs []*spec.Filter
	for i := 0; i < n; i++ {
		f := filt(fmt.Sprintf("f%03d", i), rl(1, "TCP", fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)))
		f.Description = fmt.Sprintf("filter number %d of a very large stack, with a description long enough to diff", i)
		fs = append(fs, f)
	}
	return compute(t, stk(fs), emptySnap(), plan.Options{})
}
