package apply

import (
	"context"
	"fmt"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// A Resolver returns the object ID a Ref names: known at plan time, or
// made by an earlier step of the run.
type Resolver func(plan.Ref) (string, error)

// Call sends op, the one API call of a step, through c, with the token and
// dry-run flag of w; it is the only place an op becomes a call. It returns
// the ID of the object the call writes: the new one for a create.
func Call(ctx context.Context, c cloud.Client, op plan.Op, resolve Resolver, w cloud.WriteOptions) (string, error) {
	var target string
	if ref := op.Object(); ref != (plan.Ref{}) {
		var err error
		if target, err = resolve(ref); err != nil {
			return "", err
		}
	}
	switch o := op.(type) {
	case *plan.OpenService:
		return "", c.OpenService(ctx, w)
	case *plan.CreateFilter:
		return c.CreateFilter(ctx, cloud.CreateFilterInput{WriteOptions: w, Name: o.Name, Description: o.Description,
			ResourceGroupID: o.ResourceGroupID, Tags: o.Tags, Ingress: o.Ingress, Egress: o.Egress})
	case *plan.UpdateFilter:
		return target, c.UpdateFilter(ctx, cloud.UpdateFilterInput{WriteOptions: w, ID: target, Name: o.Name, Description: o.Description})
	case *plan.DeleteFilter:
		return target, c.DeleteFilter(ctx, target, w)
	case *plan.CreateRules:
		_, _, err := c.CreateRules(ctx, cloud.CreateRulesInput{WriteOptions: w, FilterID: target, Ingress: o.Ingress, Egress: o.Egress})
		return target, err
	case *plan.UpdateRule:
		return target, c.UpdateRule(ctx, cloud.UpdateRuleInput{WriteOptions: w, RuleID: o.RuleID, RulePatch: o.RulePatch})
	case *plan.DeleteRules:
		return target, c.DeleteRules(ctx, target, o.RuleIDs, w)
	case *plan.CreateSession:
		fid, err := resolve(o.Filter)
		if err != nil {
			return "", err
		}
		return c.CreateSession(ctx, cloud.CreateSessionInput{WriteOptions: w, FilterID: fid, SessionSettings: o.SessionSettings})
	case *plan.UpdateSession:
		in := cloud.UpdateSessionInput{WriteOptions: w, ID: target, SessionPatch: o.SessionPatch}
		if o.Filter != nil {
			fid, err := resolve(*o.Filter)
			if err != nil {
				return "", err
			}
			in.FilterID = &fid
		}
		return target, c.UpdateSession(ctx, in)
	case *plan.DeleteSession:
		return target, c.DeleteSession(ctx, target, w)
	case *plan.AddSources:
		return target, c.AddSources(ctx, target, o.Sources, w)
	case *plan.RemoveSources:
		return target, c.RemoveSources(ctx, target, o.Sources, w)
	case *plan.Tag:
		ids := []string{target}
		for _, ref := range o.Others {
			id, err := resolve(ref)
			if err != nil {
				return "", err
			}
			ids = append(ids, id)
		}
		return target, c.TagResources(ctx, o.Resource, ids, o.Tags)
	case *plan.Untag:
		return target, c.UntagResources(ctx, o.Resource, []string{target}, o.Keys)
	case *plan.MoveGroup:
		return target, c.MoveResourceGroup(ctx, o.Resource, target, o.ResourceGroupID)
	}
	return "", fmt.Errorf("no call for op %s", op.Kind())
}

// call sends the one API call of step s.
func (r *runner) call(ctx context.Context, s *plan.Step, w cloud.WriteOptions) (string, error) {
	return Call(ctx, r.c, s.Op, r.resolve, w)
}

// checkable says why a dry run cannot check step s now, or "".
func checkable(s *plan.Step) string {
	switch s.Op.(type) {
	case *plan.Tag, *plan.Untag, *plan.MoveGroup:
		return "the API has no dry run for tags and resource groups"
	case *plan.OpenService:
		return "the API has no dry run for opening the service"
	}
	if !s.Kind().DryRunnable() {
		return "the API has no dry run for " + s.Kind().API()
	}
	if ref := s.Op.Object(); ref != (plan.Ref{}) && !ref.Known() {
		return "its object is created by " + ref.Step.String()
	}
	for _, ref := range plan.Refs(s.Op) {
		if !ref.Known() {
			return "its filter is created by " + ref.Step.String()
		}
	}
	for _, d := range s.DependsOn {
		if d.Addr.Unit() != s.Unit {
			return "it depends on " + d.String()
		}
	}
	return ""
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
		r.res.NotCheckable = append(r.res.NotCheckable, Skip{Step: s.ID, Address: s.Addr(), Because: why})
		r.mu.Unlock()
		r.obs(Event{Type: StepUncheck, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Message: why})
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
		r.obs(Event{Type: StepChecked, Step: s.ID, Address: s.Addr(), Op: s.Kind(), ObjectID: s.Op.Object().ID, Elapsed: r.since(start)})
		return
	}
	r.fail(st, err, r.since(start))
}
