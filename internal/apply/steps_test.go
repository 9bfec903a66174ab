package apply

import (
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// The tests build every plan.Step here, and read none of a step's fields
// but its ID, DependsOn and ClientToken elsewhere: what a step holds for
// its call is this file's business alone.

// planOf returns a plan of steps, in order.
func planOf(steps ...plan.Step) *plan.Plan {
	return &plan.Plan{Stack: "web", Region: "cn-hangzhou", Steps: steps}
}

// step fills what every step has: its ID (<address>/<op>/1), unit and token.
func step(addr plan.Addr, op plan.Op) plan.Step {
	id := plan.StepID{Addr: addr, Op: op.Kind(), N: 1}
	return plan.Step{ID: id, Unit: addr.Unit(), DependsOn: []plan.StepID{}, Op: op,
		ClientToken: "tm1-" + strings.NewReplacer("/", "-", ".", "-").Replace(id.String())}
}

func ownTags(key string) cloud.Tags {
	return cloud.Tags{"tmsync:stack": "web", "tmsync:key": key, "tmsync:applied": "aaaaaaaaaaaa.bbbbbb"}
}

// stepID returns the ID step gives the step of op at addr.
func stepID(addr plan.Addr, op plan.OpKind) plan.StepID {
	return plan.StepID{Addr: addr, Op: op, N: 1}
}

// createFilter creates filter <key> with one ingress rule.
func createFilter(key string) plan.Step {
	return step(plan.FilterAddr(key), &plan.CreateFilter{Name: key, Tags: ownTags(key),
		Ingress: []cloud.Rule{{Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "ALL", IPVersion: "IPv4",
			SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0"}}})
}

// renameFilter renames the live filter id of <key> to name.
func renameFilter(key, id, name string) plan.Step {
	return step(plan.FilterAddr(key), &plan.UpdateFilter{Filter: plan.Ref{ID: id}, Name: &name})
}

// deleteFilter deletes the live filter id of <key>.
func deleteFilter(key, id string) plan.Step {
	return step(plan.FilterAddr(key), &plan.DeleteFilter{Filter: plan.Ref{ID: id}})
}

// createSession creates session <key> mirroring eni-a to eni-t through the
// filter that step f creates, after it.
func createSession(key string, f plan.Step) plan.Step {
	s := createSessionOn(key, plan.Ref{Step: f.ID})
	s.DependsOn = []plan.StepID{f.ID}
	return s
}

// createSessionOn creates session <key> on the filter ref.
func createSessionOn(key string, filter plan.Ref) plan.Step {
	return step(plan.SessionAddr(key), &plan.CreateSession{Filter: filter, SessionSettings: cloud.SessionSettings{
		Name: key, Tags: ownTags(key), SourceIDs: []string{"eni-a"}, TargetID: "eni-t", TargetType: cloud.TargetENI,
		Priority: 1, PacketLength: 1500, Enabled: true}})
}

// deleteSession deletes the live session id of <key>.
func deleteSession(key, id string) plan.Step {
	return step(plan.SessionAddr(key), &plan.DeleteSession{Session: plan.Ref{ID: id}})
}

// addSources adds sources to the live session id of <key>.
func addSources(key, id string, sources ...string) plan.Step {
	return step(plan.SessionAddr(key), &plan.AddSources{Session: plan.Ref{ID: id}, Sources: sources})
}

// removeSources removes sources from the live session id of <key>.
func removeSources(key, id string, sources ...string) plan.Step {
	return step(plan.SessionAddr(key), &plan.RemoveSources{Session: plan.Ref{ID: id}, Sources: sources})
}

// after makes s depend on deps as well.
func after(s plan.Step, deps ...plan.Step) plan.Step {
	s.DependsOn = append([]plan.StepID{}, s.DependsOn...)
	for _, d := range deps {
		s.DependsOn = append(s.DependsOn, d.ID)
	}
	return s
}
