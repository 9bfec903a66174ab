package apply

import (
	"context"
	"fmt"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

func rulesOf(dir string, rs []plan.RuleSpec) []cloud.Rule {
	out := make([]cloud.Rule, len(rs))
	for i, r := range rs {
		out[i] = r.Rule(dir)
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func resourceType(s *plan.Step) string {
	if s.Kind == plan.TypeSession {
		return cloud.ResourceSession
	}
	return cloud.ResourceFilter
}

// call sends the one API call of step s. It returns the ID of an object it
// creates.
func (r *runner) call(ctx context.Context, s *plan.Step, w cloud.WriteOptions) (string, error) {
	p := s.Params
	var target string
	if s.Op != plan.OpCreateFilter && s.Op != plan.OpCreateSession || s.Kind == plan.TypeService {
		var err error
		if s.Kind != plan.TypeService {
			if target, err = r.resolve(s.Target); err != nil {
				return "", err
			}
		}
	}
	switch {
	case s.Kind == plan.TypeService:
		return "", r.c.OpenService(ctx, w)
	case s.Kind == plan.TypeFilter && s.Op == plan.OpCreateFilter:
		return r.c.CreateFilter(ctx, cloud.CreateFilterInput{WriteOptions: w, Name: deref(p.Name), Description: deref(p.Description),
			ResourceGroupID: p.ResourceGroupID, Tags: p.Tags, Ingress: rulesOf(cloud.Ingress, p.Ingress), Egress: rulesOf(cloud.Egress, p.Egress)})
	case s.Kind == plan.TypeFilter && s.Op == plan.OpUpdateFilter:
		return target, r.c.UpdateFilter(ctx, cloud.UpdateFilterInput{WriteOptions: w, ID: target, Name: p.Name, Description: p.Description})
	case s.Kind == plan.TypeFilter && s.Op == plan.OpDeleteFilter:
		return target, r.c.DeleteFilter(ctx, target, w)
	case s.Op == plan.OpCreateRules:
		_, _, err := r.c.CreateRules(ctx, cloud.CreateRulesInput{WriteOptions: w, FilterID: target,
			Ingress: rulesOf(cloud.Ingress, p.Ingress), Egress: rulesOf(cloud.Egress, p.Egress)})
		return target, err
	case s.Op == plan.OpDeleteRules:
		return target, r.c.DeleteRules(ctx, target, p.RuleIDs, w)
	case s.Op == plan.OpUpdateRule:
		e := p.Rule
		return target, r.c.UpdateRule(ctx, cloud.UpdateRuleInput{WriteOptions: w, RuleID: target, Priority: e.Priority,
			Action: e.Action, Protocol: e.Protocol, SourceCIDR: e.SourceCIDR, DestCIDR: e.DestCIDR,
			SourcePort: e.SourcePort, DestPort: e.DestPort})
	case s.Kind == plan.TypeSession && s.Op == plan.OpCreateSession:
		ss := p.Session
		fid, err := r.resolve(*ss.Filter)
		if err != nil {
			return "", err
		}
		return r.c.CreateSession(ctx, cloud.CreateSessionInput{WriteOptions: w, Name: deref(p.Name), Description: deref(p.Description),
			FilterID: fid, SourceIDs: ss.SourceIDs, TargetID: deref(ss.TargetID), TargetType: deref(ss.TargetType),
			Priority: deref(ss.Priority), VNI: ss.VNI, PacketLength: deref(ss.PacketLength), Enabled: deref(ss.Enabled),
			ResourceGroupID: p.ResourceGroupID, Tags: p.Tags})
	case s.Kind == plan.TypeSession && s.Op == plan.OpUpdateSession:
		ss := p.Session
		in := cloud.UpdateSessionInput{WriteOptions: w, ID: target, Name: p.Name, Description: p.Description,
			TargetID: ss.TargetID, TargetType: ss.TargetType, Priority: ss.Priority, VNI: ss.VNI,
			PacketLength: ss.PacketLength, Enabled: ss.Enabled}
		if ss.Filter != nil {
			fid, err := r.resolve(*ss.Filter)
			if err != nil {
				return "", err
			}
			in.FilterID = &fid
		}
		return target, r.c.UpdateSession(ctx, in)
	case s.Kind == plan.TypeSession && s.Op == plan.OpDeleteSession:
		return target, r.c.DeleteSession(ctx, target, w)
	case s.Op == plan.OpAddSources:
		return target, r.c.AddSources(ctx, target, p.Sources, w)
	case s.Op == plan.OpRemoveSources:
		return target, r.c.RemoveSources(ctx, target, p.Sources, w)
	case s.Op == plan.OpTag:
		return target, r.c.TagResources(ctx, resourceType(s), []string{target}, p.Tags)
	case s.Op == plan.OpUntag:
		return target, r.c.UntagResources(ctx, resourceType(s), []string{target}, p.UntagKeys)
	case s.Op == plan.OpMoveGroup:
		return target, r.c.MoveResourceGroup(ctx, resourceType(s), target, p.ResourceGroupID)
	}
	return "", fmt.Errorf("step %s: unknown action %s %s", s.ID, s.Kind, s.Op)
}

// checkable says why a dry run cannot check step s now, or "".
func checkable(s *plan.Step) string {
	switch s.Op {
	case plan.OpTag, plan.OpUntag, plan.OpMoveGroup:
		return "the API has no dry run for tags and resource groups"
	}
	if s.Kind == plan.TypeService {
		return "the API has no dry run for opening the service"
	}
	if !s.Target.Known() && s.Op != plan.OpCreateFilter && s.Op != plan.OpCreateSession {
		return "its object is created by " + s.Target.Step
	}
	if s.Params.Session != nil && s.Params.Session.Filter != nil && !s.Params.Session.Filter.Known() {
		return "its filter is created by " + s.Params.Session.Filter.Step
	}
	for _, d := range s.DependsOn {
		if unitOf(d) != s.Unit && unitOf(d) != s.Address {
			return "it depends on " + d
		}
	}
	return ""
}

func unitOf(stepID string) string {
	// Step IDs are <address>/<op>/<n>; a rule address extends its filter's.
	for i := 0; i < len(stepID); i++ {
		if stepID[i] == '/' {
			addr := stepID[:i]
			for j := 0; j < len(addr); j++ {
				if addr[j] == '.' {
					// filter.<key>.<dir>[...] -> filter.<key>
					rest := addr[j+1:]
					for k := 0; k < len(rest); k++ {
						if rest[k] == '.' {
							return addr[:j+1+k]
						}
					}
					return addr
				}
			}
			return addr
		}
	}
	return stepID
}

// dryToken keeps dry runs from using up the step's real token.
func dryToken(tok string) string {
	if len(tok) > 4 {
		return "tmd-" + tok[4:]
	}
	return tok
}

func (r *runner) dryRun(ctx context.Context, st *stepState) {
	s := st.step
	if why := checkable(s); why != "" {
		st.ok, st.reason = true, ""
		r.mu.Lock()
		r.res.NotCheckable = append(r.res.NotCheckable, Skip{Step: s.ID, Address: s.Address, Because: why})
		r.mu.Unlock()
		r.obs(Event{Type: StepUncheck, Step: s.ID, Address: s.Address, Op: s.Op, Message: why})
		return
	}
	sctx, cancel := withTimeout(ctx, r.clock, r.opts.Timeout)
	defer cancel()
	start := r.clock.Now()
	_, err := r.callWithRetry(sctx, s, dryToken(s.ClientToken), true)
	if err == nil || cloud.IsKind(err, cloud.KindDryRunPassed) {
		st.ok = true
		r.mu.Lock()
		r.res.Checked = append(r.res.Checked, s.ID)
		r.mu.Unlock()
		r.obs(Event{Type: StepChecked, Step: s.ID, Address: s.Address, Op: s.Op, ObjectID: s.Target.ID, Elapsed: r.since(start)})
		return
	}
	r.fail(st, err, r.since(start))
}
