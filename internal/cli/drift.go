package cli

import (
	"context"
	"fmt"
	"io"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/views"
)

func driftCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "drift",
		Usage:     "report what differs from the spec, and unmanaged objects",
		ArgsUsage: "[PATH...]",
		Description: `Reads live state and reports, per stack, every object and field that
   differs from the spec, labelled drift (changed outside tmsync since it last
   wrote the object: its tmsync:applied hash no longer matches) and/or spec (the
   spec changed), missing (no live object while the stack has others: deleted
   outside tmsync, or not applied yet; counted as drift), and the objects in
   the region that no stack given manages.
   Nothing is changed and no lock is taken. The stacks of a run are written as
   one document (one Markdown comment, one JSON document with plans[]), so a
   scheduled job can post it as is. To correct drift, run tmsync apply.

   --fail-on-unmanaged exits 2 when the region has filters or sessions that no
   tmsync stack owns (made outside tmsync, or tagged by hand); objects another
   stack owns do not count.

Examples:
   tmsync drift -f specs/
   tmsync drift -f specs/ --format markdown --detailed-exitcode > drift.md
   tmsync drift -f specs/ --fail-on-unmanaged
   tmsync drift -f specs/ --format json | jq '.plans[].changes[] | select(.reason | index("drift"))'

` + exitCodesHelp,
		Flags: append(planFlags(),
			&ucli.BoolFlag{Name: "fail-on-unmanaged", Usage: "exit 2 when the region has objects no tmsync stack owns"}),
		Action: func(c *ucli.Context) error {
			o, err := runOptionsFrom(c)
			if err != nil {
				return err
			}
			if err := noPlanFiles("drift", o.paths); err != nil {
				return err
			}
			return runDrift(c.Context, o, c.Bool("fail-on-unmanaged"), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// runDrift reports drift; with failOnUnmanaged, a stack whose region has
// objects no tmsync stack owns exits 2 as a stack with drift does.
func runDrift(ctx context.Context, o runOptions, failOnUnmanaged bool, stdout, stderr io.Writer) error {
	stacks, err := loadStacks(o.paths, o.endpoint.Endpoint, stderr)
	if err != nil {
		return err
	}
	var codes []int
	var plans []*plan.Plan
	for _, r := range o.engine(false).Drift(ctx, stacks, readProgress(stderr)) {
		if r.Err != nil {
			codes = append(codes, exitCode(hinted(r.Err), stderr))
			continue
		}
		plans = append(plans, r.Plan)
		switch {
		case o.detailed && !r.Plan.Empty():
			codes = append(codes, ExitChanges)
		case failOnUnmanaged && unowned(r.Plan) > 0:
			codes = append(codes, ExitChanges)
		default:
			codes = append(codes, ExitOK)
		}
	}
	if len(plans) > 0 {
		if err := renderDrift(stdout, plans, o); err != nil {
			return err
		}
		for _, p := range plans {
			fmt.Fprintln(stderr, driftSummary(p))
		}
	}
	return codeError(aggregate(codes...))
}

// renderDrift writes the plans of all stacks as one document.
func renderDrift(w io.Writer, ps []*plan.Plan, o runOptions) error {
	switch o.format {
	case "json":
		return views.JSONMulti(w, ps)
	case "markdown":
		return views.MarkdownMulti(w, ps, views.MarkdownOptions{Title: "tmsync drift"})
	}
	return views.TextMulti(w, ps, views.TextOptions{Color: o.color, Title: "tmsync drift"})
}

// unowned counts the unmanaged objects of a plan that no tmsync stack owns:
// those another stack owns were made by tmsync.
func unowned(p *plan.Plan) int {
	n := 0
	for _, u := range p.Unmanaged {
		if u.Stack == "" {
			n++
		}
	}
	return n
}

// driftSummary is one line per stack for logs: how many objects changed
// outside tmsync, how many differ because the spec changed, and how many
// objects are unmanaged.
func driftSummary(p *plan.Plan) string {
	drift, specOnly := 0, 0
	for _, c := range p.Changes {
		switch {
		case c.Drifted():
			drift++
		default:
			specOnly++
		}
	}
	state := "in sync"
	if !p.Empty() {
		state = "differs"
	}
	return fmt.Sprintf("Drift: stack %s in %s %s: %d changed outside tmsync, %d other changes, %d unmanaged.",
		p.Stack, p.Region, state, drift, specOnly, len(p.Unmanaged))
}
