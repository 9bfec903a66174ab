package traffic

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/views"
)

// benchStacks returns 100 filters of 10 rules in each direction, as
// applied, and the spec with every filter changed: ports moved, an action
// turned, CIDRs narrowed and priorities rotated, as a large review has.
func benchStacks() (before, after stackSpec) {
	rng := rand.New(rand.NewPCG(100, 10))
	before = stackSpec{filters: map[string]filterSpec{}}
	after = stackSpec{filters: map[string]filterSpec{}}
	protos := []string{"TCP", "UDP", "ALL", "ICMP"}
	rule := func(prio int, action, proto string, i, port int) cloud.Rule {
		s := fmt.Sprintf("%d %s %s 10.%d.0.0/16 192.168.%d.0/24", prio, action, proto, i%256, (i*7)%256)
		if cloud.HasPorts(proto) {
			s += fmt.Sprintf(" d=%d/%d", port, port+100)
		}
		return r(s)
	}
	for f := 0; f < 100; f++ {
		var b, a filterSpec
		for dir := 0; dir < 2; dir++ {
			var rb, ra []cloud.Rule
			for i := 1; i <= 10; i++ {
				proto := protos[rng.IntN(len(protos))]
				action := []string{ActionAccept, ActionDrop}[rng.IntN(2)]
				port := 1 + rng.IntN(60000)
				rb = append(rb, rule(i, action, proto, f*10+i, port))
				after := rule(i%10+1, action, proto, f*10+i, port+50)
				if i == 3 {
					after.Action = map[string]string{ActionAccept: ActionDrop, ActionDrop: ActionAccept}[action]
				}
				ra = append(ra, after)
			}
			if dir == 0 {
				b.ingress, a.ingress = rb, ra
			} else {
				b.egress, a.egress = rb, ra
			}
		}
		key := fmt.Sprintf("f%03d", f)
		before.filters[key], after.filters[key] = b, a
	}
	return before, after
}

// BenchmarkForPlan measures what working out the traffic of a plan adds to
// it: 100 filters of 10 rules per direction, every one changed. Budget:
// under 50 ms an operation.
func BenchmarkForPlan(b *testing.B) {
	before, after := benchStacks()
	live, desired := before.live(), after.stack()
	p, err := plan.Compute(desired, live, plan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("traffic", func(b *testing.B) {
		for b.Loop() {
			ForPlan(desired, live, p)
		}
	})
	b.Run("traffic+lines", func(b *testing.B) {
		for b.Loop() {
			for _, t := range ForPlan(desired, live, p) {
				views.TrafficLines(t)
			}
		}
	})
}

// TestBenchStacksChangeTraffic keeps the benchmark honest: its plan says
// something about every direction of every filter.
func TestBenchStacksChangeTraffic(t *testing.T) {
	before, after := benchStacks()
	live, desired := before.live(), after.stack()
	p, err := plan.Compute(desired, live, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := ForPlan(desired, live, p)
	if len(got) != 200 {
		t.Errorf("ForPlan says something about %d filter directions, want 200", len(got))
	}
}
