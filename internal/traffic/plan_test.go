package traffic

import (
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/views"
)

const (
	testStack  = "web"
	testRegion = "cn-hangzhou"
)

// A filterSpec is a filter of a test stack: its rules per direction.
type filterSpec struct {
	ingress, egress []cloud.Rule
}

// A sessionSpec is a session of a test stack; zero fields take the
// defaults of sess.
type sessionSpec struct {
	filter       string
	sources      []string
	disabled     bool
	packetLength int
	vni          int
	target       string
}

// A stackSpec is a test stack: filters and sessions by key.
type stackSpec struct {
	filters  map[string]filterSpec
	sessions map[string]sessionSpec
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func withDir(dir string, in []cloud.Rule) []spec.Rule {
	out := make([]spec.Rule, len(in))
	for i, r := range in {
		r.Direction = ""
		out[i] = spec.Rule{Rule: r}
	}
	return out
}

// stack returns s as a spec.
func (s stackSpec) stack() *spec.Stack {
	st := &spec.Stack{Name: testStack, Region: testRegion, Service: &spec.Service{Enabled: true},
		Limits: spec.Limits{SourcesPerSession: 10}}
	for _, k := range sortedKeys(s.filters) {
		f := s.filters[k]
		st.Filters = append(st.Filters, &spec.Filter{Key: k, Name: k,
			Ingress: withDir(cloud.Ingress, f.ingress), Egress: withDir(cloud.Egress, f.egress)})
	}
	for i, k := range sortedKeys(s.sessions) {
		x := s.sessions[k]
		d := &spec.Session{Key: k, Name: k, Filter: x.filter, TargetType: cloud.TargetENI, TargetID: "eni-target",
			Sources: x.sources, Priority: 10 + i, Enabled: !x.disabled, PacketLength: x.packetLength}
		if d.Sources == nil {
			d.Sources = []string{"eni-source"}
		}
		if d.PacketLength == 0 {
			d.PacketLength = cloud.DefaultPacketLength
		}
		if x.vni != 0 {
			vni := x.vni
			d.VNI = &vni
		}
		if x.target != "" {
			d.TargetID = x.target
		}
		st.Sessions = append(st.Sessions, d)
	}
	return st
}

// live returns the live state of a region where tmsync applied s: every
// object owned by the test stack, IDs named after keys.
func (s stackSpec) live() *cloud.Snapshot {
	st := s.stack()
	snap := &cloud.Snapshot{Region: testRegion, ServiceEnabled: true}
	owned := func(key string) cloud.Tags {
		return cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: key, cloud.TagApplied: "aaaaaaaaaaaa.bbbbbb"}
	}
	for _, f := range st.Filters {
		lf := cloud.Filter{ID: "tmf-" + f.Key, Name: f.Key, Status: cloud.StatusCreated, Tags: owned(f.Key)}
		rules := func(dir string, rs []spec.Rule) []cloud.Rule {
			var out []cloud.Rule
			for _, r := range rs {
				c := r.Rule
				c.ID, c.FilterID, c.Direction, c.Status = fmt.Sprintf("tmr-%s-%s-%d", f.Key, dir, c.Priority), lf.ID, dir, cloud.StatusCreated
				out = append(out, c)
			}
			return out
		}
		lf.Ingress, lf.Egress = rules(cloud.Ingress, f.Ingress), rules(cloud.Egress, f.Egress)
		snap.Filters = append(snap.Filters, lf)
	}
	for _, d := range st.Sessions {
		vni := 1
		if d.VNI != nil {
			vni = *d.VNI
		}
		snap.Sessions = append(snap.Sessions, cloud.Session{ID: "tms-" + d.Key, Name: d.Key, Status: cloud.StatusCreated,
			FilterID: "tmf-" + d.Filter, TargetID: d.TargetID, TargetType: d.TargetType, SourceIDs: d.Sources,
			Priority: d.Priority, VNI: vni, PacketLength: d.PacketLength, Enabled: d.Enabled, Tags: owned(d.Key)})
	}
	return snap
}

// planCases are the table of the plan's traffic lines: a stack as tmsync
// applied it, the spec changed, and the lines the plan shows, each
// "address: line". Cases with a doc name are the examples of docs/spec.md.
var planCases = map[string]struct {
	reason        string
	doc           string
	before, after stackSpec
	want          []string
}{
	"port moved": {
		reason: "a rule's port changes: the new port is mirrored, the old one no longer",
		doc:    "port-moved",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept TCP 10.0.0.0/8 0.0.0.0/0 d=443")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept TCP 10.0.0.0/8 0.0.0.0/0 d=8443")}}},
		want: []string{
			"filter.web: + now mirrors TCP 10.0.0.0/8 → 0.0.0.0/0 :8443 (ingress)",
			"filter.web: - stops mirroring TCP 10.0.0.0/8 → 0.0.0.0/0 :443 (ingress)",
		},
	},
	"drop carved out": {
		reason: "a drop before an accept stops mirroring what it matches of the accept",
		doc:    "drop-carved-out",
		before: stackSpec{filters: map[string]filterSpec{"dns": {egress: rs("2 accept UDP")}}},
		after:  stackSpec{filters: map[string]filterSpec{"dns": {egress: rs("1 drop UDP 0.0.0.0/0 0.0.0.0/0 d=53", "2 accept UDP")}}},
		want:   []string{"filter.dns: - stops mirroring UDP 0.0.0.0/0 → 0.0.0.0/0 :53 (egress)"},
	},
	"reorder only": {
		reason: "rules that match apart can be reordered without changing what is mirrored",
		doc:    "reorder-only",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept TCP 0.0.0.0/0 0.0.0.0/0 d=80", "2 accept TCP 0.0.0.0/0 0.0.0.0/0 d=443")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("2 accept TCP 0.0.0.0/0 0.0.0.0/0 d=80", "1 accept TCP 0.0.0.0/0 0.0.0.0/0 d=443")}}},
		want:   []string{"filter.web:   reorder only: the same traffic is mirrored (ingress)"},
	},
	"reorder that changes traffic": {
		reason: "a drop moved after a broader accept no longer decides anything",
		doc:    "reorder-changes",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 drop TCP 10.1.0.0/16", "2 accept TCP 10.0.0.0/8")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("2 drop TCP 10.1.0.0/16", "1 accept TCP 10.0.0.0/8")}}},
		want:   []string{"filter.web: + now mirrors TCP 10.1.0.0/16 → 0.0.0.0/0 (ingress)"},
	},
	"same traffic": {
		reason: "a rule added under one that covers it changes nothing mirrored",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept TCP 10.0.0.0/8")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept TCP 10.0.0.0/8", "2 accept TCP 10.1.0.0/16")}}},
		want:   []string{"filter.web:   the rules change; the same traffic is mirrored (ingress)"},
	},
	"ALL narrowed to TCP": {
		reason: "ALL covers every protocol: narrowing it to TCP stops the rest, other protocols included",
		doc:    "all-narrowed",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL 10.0.0.0/8")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept TCP 10.0.0.0/8")}}},
		want:   []string{"filter.web: - stops mirroring UDP/ICMP/other 10.0.0.0/8 → 0.0.0.0/0 (ingress)"},
	},
	"adjacent regions merged": {
		reason: "two /9s added at once read as the /8 they make",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept UDP 192.168.0.0/16")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept UDP 192.168.0.0/16", "2 accept UDP 10.0.0.0/9", "3 accept UDP 10.128.0.0/9")}}},
		want:   []string{"filter.web: + now mirrors UDP 10.0.0.0/8 → 0.0.0.0/0 (ingress)"},
	},
	"IPv6 apart": {
		reason: "an IPv6 rule added changes IPv6 traffic only",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL", "2 accept TCP 2001:db8::/32 ::/0 d=443 v6")}}},
		want:   []string{"filter.web: + now mirrors TCP 2001:db8::/32 → ::/0 :443 (ingress)"},
	},
	"new filter": {
		reason: "a filter created starts from nothing mirrored",
		before: stackSpec{},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept TCP 0.0.0.0/0 10.0.0.0/8 d=443"), egress: rs("1 drop ALL")}}},
		want:   []string{"filter.web: + now mirrors TCP 0.0.0.0/0 → 10.0.0.0/8 :443 (ingress)"},
	},
	"filter deleted": {
		reason: "a filter deleted ends with nothing mirrored, and so does its session",
		before: stackSpec{filters: map[string]filterSpec{"dns": {egress: rs("1 accept UDP 0.0.0.0/0 0.0.0.0/0 d=53")}, "web": {ingress: rs("1 accept ALL")}},
			sessions: map[string]sessionSpec{"resolver": {filter: "dns"}, "ids": {filter: "web"}}},
		after: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}},
			sessions: map[string]sessionSpec{"ids": {filter: "web"}}},
		want: []string{
			"session.resolver: - stops mirroring: the session is deleted",
			"filter.dns: - stops mirroring UDP 0.0.0.0/0 → 0.0.0.0/0 :53 (egress)",
		},
	},
	"ten rules reversed": {
		reason: "with no free priority the filter is swapped for a new one; the traffic is compared all the same",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: tenPorts(false)}}, sessions: map[string]sessionSpec{"ids": {filter: "web"}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: tenPorts(true)}}, sessions: map[string]sessionSpec{"ids": {filter: "web"}}},
		want:   []string{"filter.web:   reorder only: the same traffic is mirrored (ingress)"},
	},
	"session cut": {
		reason: "a session disabled, a source gone, shorter packets, another VXLAN ID and target",
		doc:    "session-cut",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}},
			sessions: map[string]sessionSpec{"ids": {filter: "web", sources: []string{"eni-a", "eni-b"}, vni: 10}}},
		after: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}},
			sessions: map[string]sessionSpec{"ids": {filter: "web", sources: []string{"eni-a"}, disabled: true, packetLength: 128, vni: 20, target: "eni-collector2"}}},
		want: []string{
			"session.ids: - stops mirroring: the session is disabled",
			"session.ids: - stops mirroring source eni-b",
			"session.ids: - cuts packets to 128 bytes (was 1500)",
			"session.ids: ~ VXLAN ID 10 → 20: a collector that expects 10 stops seeing this session",
			"session.ids: ~ mirrors to NetworkInterface eni-collector2 instead of NetworkInterface eni-target: the old target stops receiving",
		},
	},
	"session grows": {
		reason: "longer packets, a source added and a session enabled cut nothing",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}},
			sessions: map[string]sessionSpec{"ids": {filter: "web", disabled: true, packetLength: 128}}},
		after: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}},
			sessions: map[string]sessionSpec{"ids": {filter: "web", sources: []string{"eni-source", "eni-more"}}}},
	},
	"session moves filter": {
		reason: "a session moved to a filter of narrower rules stops mirroring the difference",
		doc:    "session-moves",
		before: stackSpec{filters: map[string]filterSpec{"all": {ingress: rs("1 accept ALL")}, "web": {ingress: rs("1 accept TCP 0.0.0.0/0 0.0.0.0/0 d=443")}},
			sessions: map[string]sessionSpec{"ids": {filter: "all"}}},
		after: stackSpec{filters: map[string]filterSpec{"all": {ingress: rs("1 accept ALL")}, "web": {ingress: rs("1 accept TCP 0.0.0.0/0 0.0.0.0/0 d=443")}},
			sessions: map[string]sessionSpec{"ids": {filter: "web"}}},
		want: []string{
			"session.ids: - stops mirroring TCP 0.0.0.0/0 → 0.0.0.0/0 :1-442 (ingress, filter.all → filter.web)",
			"session.ids: - stops mirroring TCP 0.0.0.0/0 → 0.0.0.0/0 :444-65535 (ingress, filter.all → filter.web)",
			"session.ids: - stops mirroring UDP/ICMP/other 0.0.0.0/0 → 0.0.0.0/0 (ingress, filter.all → filter.web)",
		},
	},
	"no change": {
		reason: "nothing changes, nothing is said",
		before: stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}}},
		after:  stackSpec{filters: map[string]filterSpec{"web": {ingress: rs("1 accept ALL")}}},
	},
}

// tenPorts returns ten TCP rules for ports 1 to 10, priorities reversed
// when asked.
func tenPorts(reversed bool) []cloud.Rule {
	var out []cloud.Rule
	for i := 1; i <= 10; i++ {
		prio := i
		if reversed {
			prio = 11 - i
		}
		out = append(out, r(fmt.Sprintf("%d accept TCP 0.0.0.0/0 0.0.0.0/0 d=%d", prio, i)))
	}
	return out
}

// planLines computes the plan of after against the live state of before,
// its traffic, and the lines the views show.
func planLines(t testing.TB, before, after stackSpec) []string {
	t.Helper()
	live, desired := before.live(), after.stack()
	p, err := plan.Compute(desired, live, plan.Options{})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	var out []string
	for _, tr := range ForPlan(desired, live, p) {
		for _, l := range views.TrafficLines(tr) {
			out = append(out, tr.Address.String()+": "+l)
		}
	}
	return out
}

func TestForPlan(t *testing.T) {
	for name, tc := range planCases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, planLines(t, tc.before, tc.after)); diff != "" {
				t.Errorf("%s\ntraffic lines (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestForPlanLeavesInputs: ForPlan reads its inputs and changes none.
func TestForPlanLeavesInputs(t *testing.T) {
	tc := planCases["session moves filter"]
	live, desired := tc.before.live(), tc.after.stack()
	p, err := plan.Compute(desired, live, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	live2, desired2 := tc.before.live(), tc.after.stack()
	p2, _ := plan.Compute(desired2, live2, plan.Options{})
	ForPlan(desired, live, p)
	if diff := cmp.Diff(live2, live); diff != "" {
		t.Errorf("live state changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(p2, p, cmp.Comparer(func(a, b plan.Step) bool { return a.ID == b.ID })); diff != "" {
		t.Errorf("plan changed (-before +after):\n%s", diff)
	}
}
