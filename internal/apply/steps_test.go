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
func step(addr, kind, op string, target plan.Ref, p plan.Params) plan.Step {
	id := addr + "/" + op + "/1"
	return plan.Step{ID: id, Address: addr, Kind: kind, Op: op, Unit: addr, DependsOn: []string{},
		ClientToken: "tm1-" + strings.NewReplacer("/", "-", ".", "-").Replace(id), Target: target, Params: p}
}

func ownTags(key string) cloud.Tags {
	return cloud.Tags{"tmsync:stack": "web", "tmsync:key": key, "tmsync:applied": "h-" + key}
}

// createFilter creates filter <key> with one ingress rule.
func createFilter(key string) plan.Step {
	return step("filter."+key, plan.TypeFilter, plan.OpCreateFilter, plan.Ref{}, plan.Params{Name: &key, Tags: ownTags(key),
		Ingress: []plan.RuleSpec{{Priority: 1, Action: "accept", Protocol: "ALL", IPVersion: "IPv4",
			SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0"}}})
}

// renameFilter renames the live filter id of <key> to name.
func renameFilter(key, id, name string) plan.Step {
	return step("filter."+key, plan.TypeFilter, plan.OpUpdateFilter, plan.Ref{ID: id}, plan.Params{Name: &name})
}

// deleteFilter deletes the live filter id of <key>.
func deleteFilter(key, id string) plan.Step {
	return step("filter."+key, plan.TypeFilter, plan.OpDeleteFilter, plan.Ref{ID: id}, plan.Params{})
}

// createSession creates session <key> mirroring eni-a to eni-t through the
// filter that step f creates, after it.
func createSession(key string, f plan.Step) plan.Step {
	s := createSessionOn(key, plan.Ref{Step: f.ID})
	s.DependsOn = []string{f.ID}
	return s
}

// createSessionOn creates session <key> on the filter ref.
func createSessionOn(key string, filter plan.Ref) plan.Step {
	target, typ, prio, length, on := "eni-t", cloud.TargetENI, 1, 1500, true
	return step("session."+key, plan.TypeSession, plan.OpCreateSession, plan.Ref{}, plan.Params{Name: &key, Tags: ownTags(key),
		Session: &plan.SessionSpec{Filter: &filter, SourceIDs: []string{"eni-a"}, TargetID: &target, TargetType: &typ,
			Priority: &prio, PacketLength: &length, Enabled: &on}})
}

// deleteSession deletes the live session id of <key>.
func deleteSession(key, id string) plan.Step {
	return step("session."+key, plan.TypeSession, plan.OpDeleteSession, plan.Ref{ID: id}, plan.Params{})
}

// addSources adds sources to the live session id of <key>.
func addSources(key, id string, sources ...string) plan.Step {
	return step("session."+key, plan.TypeSession, plan.OpAddSources, plan.Ref{ID: id}, plan.Params{Sources: sources})
}

// removeSources removes sources from the live session id of <key>.
func removeSources(key, id string, sources ...string) plan.Step {
	return step("session."+key, plan.TypeSession, plan.OpRemoveSources, plan.Ref{ID: id}, plan.Params{Sources: sources})
}

// after makes s depend on deps as well.
func after(s plan.Step, deps ...plan.Step) plan.Step {
	s.DependsOn = append([]string{}, s.DependsOn...)
	for _, d := range deps {
		s.DependsOn = append(s.DependsOn, d.ID)
	}
	return s
}
