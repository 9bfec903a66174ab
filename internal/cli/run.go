package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/engine"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/planfile"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/views"
)

// planFlags are shared by plan, apply, destroy and drift.
func planFlags() []ucli.Flag {
	return append([]ucli.Flag{
		specFlag(),
		&ucli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json or markdown"},
		&ucli.BoolFlag{Name: "no-color", Usage: "never colour the output (NO_COLOR is honoured too)"},
		&ucli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 when there are changes or drift"},
		&ucli.BoolFlag{Name: "adopt", Usage: "take over unowned objects named by `id:` in the spec"},
		&ucli.BoolFlag{Name: "allow-gap", Usage: "allow a rule to be deleted and recreated when no priority is free"},
		&ucli.BoolFlag{Name: "allow-destroy", Usage: "allow plans that delete every owned object or more than --max-destroy"},
		minInt(0, &ucli.IntFlag{Name: "max-destroy", Usage: "refuse plans deleting more than `N` objects (0: no limit)"}),
		minInt(0, &ucli.IntFlag{Name: "sources-per-session", Usage: "override the spec's limits.sourcesPerSession (0: the spec's)"}),
		minInt(0, &ucli.IntFlag{Name: "sessions-per-source", Usage: "override the spec's limits.sessionsPerSource (0: the spec's)"}),
		&ucli.BoolFlag{Name: "allow-source-removal", Usage: "allow a plan to remove every selected source of a session, or more than --max-source-removal"},
		minInt(0, &ucli.IntFlag{Name: "max-source-removal", Usage: "refuse plans removing more than `N` existing selected sources of a session (0: half, at least 5)"}),
		&ucli.BoolFlag{Name: "allow-source-addition", Usage: "allow a plan to add more than --max-source-addition selected sources to a session"},
		minInt(0, &ucli.IntFlag{Name: "max-source-addition", Usage: "refuse plans adding more than `N` selected sources to a session (0: as many as it has, at least 10)"}),
		&ucli.StringFlag{Name: "lock-dir", Usage: "directory of the per-stack locks (default: the user cache directory)"},
		nonNegative(&ucli.DurationFlag{Name: "lock-timeout", Value: 30 * time.Second, Usage: "wait this long for another run's lock"}),
		positive(&ucli.DurationFlag{Name: "timeout", Value: 5 * time.Minute,
			Usage: "give up on one step, or on reading live state, after this long (an endpoint that cannot be reached at all ends a read within " + engine.UnreachableFor.String() + ")"}),
	}, endpointFlags()...)
}

func applyFlags() []ucli.Flag {
	return append(planFlags(),
		&ucli.BoolFlag{Name: "auto-approve", Usage: "apply without asking"},
		minInt(1, &ucli.IntFlag{Name: "stack-parallelism", Value: 4, Usage: "stacks applied at once"}),
		&ucli.BoolFlag{Name: "dry-run", Usage: "send every checkable step with DryRun=true; change nothing"},
		minInt(1, &ucli.IntFlag{Name: "parallelism", Value: 10, Usage: "steps in flight at once"}),
		minFloat(0, &ucli.Float64Flag{Name: "max-rps", Value: 20, Usage: "API calls a second per account and region (0: no limit)"}),
		positive(&ucli.DurationFlag{Name: "poll-interval", Value: 200 * time.Millisecond, Usage: "first wait before polling a changed object"}),
		positive(&ucli.DurationFlag{Name: "retry-interval", Value: 200 * time.Millisecond, Usage: "first wait before retrying a refused call"}),
		positive(&ucli.DurationFlag{Name: "gone-after", Value: time.Minute, Usage: "how long a created object may stay invisible to List before its create is sent again with the next token"}),
	)
}

// runOptions are the parsed flags of plan, apply, destroy and drift.
type runOptions struct {
	paths       []string
	format      string
	color       bool
	detailed    bool
	plan        plan.Options
	lockDir     string
	lockTimeout time.Duration
	endpoint    endpointOptions
	out         string
	expiresIn   time.Duration

	autoApprove      bool
	apply            apply.Options
	maxRPS           float64
	stackParallelism int
}

func runOptionsFrom(c *ucli.Context) (runOptions, error) {
	o := runOptions{
		paths:       append(c.StringSlice("file"), c.Args().Slice()...),
		format:      c.String("format"),
		detailed:    c.Bool("detailed-exitcode"),
		lockDir:     c.String("lock-dir"),
		lockTimeout: c.Duration("lock-timeout"),
		endpoint:    endpointOptionsFrom(c),
		// The retries of reads follow --timeout in every command; those
		// of apply's steps too.
		apply: apply.Options{Timeout: c.Duration("timeout")},
		plan: plan.Options{
			Adopt: c.Bool("adopt"), AllowGap: c.Bool("allow-gap"), AllowDestroy: c.Bool("allow-destroy"),
			MaxDestroy: c.Int("max-destroy"), SourcesPerSession: c.Int("sources-per-session"),
			SessionsPerSource:  c.Int("sessions-per-source"),
			AllowSourceRemoval: c.Bool("allow-source-removal"), MaxSourceRemoval: c.Int("max-source-removal"),
			AllowSourceAddition: c.Bool("allow-source-addition"), MaxSourceAddition: c.Int("max-source-addition"),
		},
	}
	o.color = views.ColorEnabled(os.Stdout, c.Bool("no-color"))
	if w, ok := c.App.Writer.(*os.File); !ok || w != os.Stdout {
		o.color = false
	}
	switch o.format {
	case "text", "json", "markdown":
	default:
		return o, withHint(fmt.Errorf("unknown --format %q", o.format), "use text, json or markdown")
	}
	if c.IsSet("out") || c.String("out") != "" {
		o.out = c.String("out")
		o.expiresIn = c.Duration("expires-in")
	}
	if c.Command.Name != "plan" && c.Command.Name != "drift" {
		o.autoApprove = c.Bool("auto-approve")
		o.maxRPS = c.Float64("max-rps")
		o.stackParallelism = c.Int("stack-parallelism")
		o.apply = apply.Options{
			Parallelism: c.Int("parallelism"), Timeout: o.apply.Timeout, DryRun: c.Bool("dry-run"),
			PollInitial: c.Duration("poll-interval"), RetryBase: c.Duration("retry-interval"), GoneAfter: c.Duration("gone-after"),
		}
		if o.apply.PollInitial > 0 && o.apply.PollInitial < time.Second {
			o.apply.PollMax = max(o.apply.PollInitial*16, o.apply.PollInitial)
		}
		if o.apply.RetryBase > 0 {
			o.apply.RetryMax = max(o.apply.RetryBase*32, o.apply.RetryBase)
		}
	}
	return o, o.endpoint.validate()
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

// engine returns the engine of a run with these options; lock takes each
// stack's lock while it is planned and applied.
func (o runOptions) engine(lock bool) *engine.Engine {
	return engine.New(engine.Options{
		Open:             o.endpoint.open,
		Plan:             o.plan,
		Apply:            o.apply,
		MaxRPS:           o.maxRPS,
		StackParallelism: o.stackParallelism,
		Lock:             lock,
		LockDir:          o.lockDir,
		LockTimeout:      o.lockTimeout,
		Version:          version(),
	})
}

// hinted adds to an error of the engine the hint its user needs.
func hinted(err error) error {
	var locked *engine.LockedError
	var unreachable *cloud.UnreachableError
	var refused *aliyun.AuthError
	switch {
	case errors.As(err, &refused):
		return withHint(err, "%s", refused.Hint())
	case errors.As(err, &unreachable):
		return withHint(err, "%s", unreachableHint(unreachable))
	case errors.As(err, &locked):
		return withHint(err, "wait for it to finish, or raise --lock-timeout")
	case errors.Is(err, engine.ErrStale):
		return withHint(err, "review the new plan: tmsync plan --out FILE, then tmsync apply FILE")
	case errors.Is(err, planfile.ErrForeign), errors.Is(err, planfile.ErrExpired):
		return withHint(err, "run tmsync plan --out FILE again and review the new plan")
	}
	var nc *engine.NotConvergedError
	if errors.As(err, &nc) {
		return withHint(err, "run tmsync plan to see what differs; if another run (a CI job, a schedule) applies this stack, let it finish, then apply again")
	}
	return err
}

func render(w io.Writer, p *plan.Plan, o runOptions) error {
	switch o.format {
	case "json":
		return views.JSON(w, p)
	case "markdown":
		return views.Markdown(w, p, views.MarkdownOptions{})
	}
	return views.Text(w, p, views.TextOptions{Color: o.color})
}

// renderAll renders the plans of every stack that planned: one document
// for one stack, a grouped one for several.
func renderAll(w io.Writer, runs []*engine.Run, o runOptions) error {
	var ps []*plan.Plan
	for _, r := range runs {
		if r.Plan != nil {
			ps = append(ps, r.Plan)
		}
	}
	switch {
	case len(ps) == 0:
		return nil
	case len(ps) == 1:
		return render(w, ps[0], o)
	case o.format == "json":
		return views.JSONMulti(w, ps)
	case o.format == "markdown":
		return views.MarkdownMulti(w, ps, views.MarkdownOptions{})
	}
	return views.TextMulti(w, ps, views.TextOptions{Color: o.color})
}

func planCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "plan",
		Usage:     "show what apply would change",
		ArgsUsage: "[PATH...]",
		Description: `Reads live state once (List calls, 100 a page, and the service status),
   diffs it against the spec and prints the plan. Nothing is changed.

Examples:
   tmsync plan -f examples/ --endpoint local
   tmsync plan -f specs/ --format markdown > plan.md
   tmsync plan -f specs/ --out plan.json && tmsync apply plan.json
   tmsync plan -f specs/ --detailed-exitcode   # exit 2 when there are changes

` + exitCodesHelp,
		Flags: append(planFlags(),
			&ucli.StringFlag{Name: "out", Usage: "save the plan to `FILE` for tmsync apply FILE"},
			positive(&ucli.DurationFlag{Name: "expires-in", Value: planfile.DefaultTTL, Usage: "how long a saved plan may be applied (with --out)"})),
		Action: func(c *ucli.Context) error {
			o, err := runOptionsFrom(c)
			if err != nil {
				return err
			}
			if err := noPlanFiles("plan", o.paths); err != nil {
				return err
			}
			return runPlan(c.Context, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func runPlan(ctx context.Context, o runOptions, stdout, stderr io.Writer) error {
	stacks, err := loadStacks(o.paths, o.endpoint.Endpoint, stderr)
	if err != nil {
		return err
	}
	runs := o.engine(false).Plan(ctx, stacks, readProgress(stderr))
	defer func() {
		for _, r := range runs {
			r.Release()
		}
	}()
	var codes []int
	said := map[string]bool{}
	for _, r := range runs {
		switch {
		case r.Err != nil:
			codes = append(codes, exitCodeOnce(hinted(r.Err), stderr, said))
		case o.detailed && !r.Plan.Empty():
			codes = append(codes, ExitChanges)
		default:
			codes = append(codes, ExitOK)
		}
	}
	if err := renderAll(stdout, runs, o); err != nil {
		return err
	}
	if o.out != "" {
		if err := savePlans(o.out, runs, o); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Saved the plan to %s; apply it with: tmsync apply %s\n", o.out, o.out)
	}
	return codeError(aggregate(codes...))
}

// exitCodeOnce is exitCode for errors of several stacks: an error already
// said (no credentials for a region shared by several stacks) is not said
// again.
func exitCodeOnce(err error, stderr io.Writer, said map[string]bool) int {
	if said[err.Error()] {
		return exitCode(silentError{err}, stderr)
	}
	said[err.Error()] = true
	return exitCode(err, stderr)
}

// codeError turns an aggregate exit code back into the error exitCode maps.
func codeError(code int) error {
	switch code {
	case ExitChanges:
		return errChanges
	case ExitError:
		return silentError{errors.New("failed")}
	}
	return nil
}

func applyCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "apply",
		Usage:     "make live state equal the spec, or apply a saved plan",
		ArgsUsage: "[PATH...] | PLANFILE",
		Description: `Plans, shows the plan, asks for confirmation on a terminal, then applies it
   in dependency order. Every call carries a client token computed in the plan
   and reused on each retry and re-run, so an interrupted apply can be run
   again safely. A saved plan (tmsync plan --out FILE) is applied without
   asking, after checking that live state still matches it.

Examples:
   tmsync apply -f examples/ --endpoint local --auto-approve
   tmsync apply plan.json
   tmsync apply -f specs/ --dry-run

` + exitCodesHelp,
		Flags: applyFlags(),
		Action: func(c *ucli.Context) error {
			o, err := runOptionsFrom(c)
			if err != nil {
				return err
			}
			if len(c.StringSlice("file")) == 0 && c.Args().Len() == 1 && planFileLike(c.Args().First(), true) {
				return runApplySaved(c.Context, c.Args().First(), o, c.App.Writer, c.App.ErrWriter)
			}
			if err := noPlanFiles("apply", o.paths); err != nil {
				return err
			}
			return runApply(c.Context, o, c.App.Reader, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func destroyCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "destroy",
		Usage:     "delete every object the stack owns",
		ArgsUsage: "[PATH...]",
		Description: `Deletes every filter and session tagged with the stack's name, sessions
   first. Objects with protect: true in the spec are refused. Without a spec,
   name the stack with --stack and --region; objects applied with protect:
   true are still refused (tmsync records it on them).

Examples:
   tmsync destroy -f examples/quickstart --endpoint local --auto-approve
   tmsync destroy --stack web-ids --region cn-hangzhou

` + exitCodesHelp,
		Flags: append(applyFlags(),
			&ucli.StringFlag{Name: "stack", Usage: "stack `NAME` to destroy without a spec"},
			&ucli.StringFlag{Name: "region", Usage: "`REGION` of --stack"}),
		Action: func(c *ucli.Context) error {
			o, err := runOptionsFrom(c)
			if err != nil {
				return err
			}
			o.plan.Destroy = true
			name, region := c.String("stack"), c.String("region")
			if c.IsSet("stack") {
				if err := checkStackFlag(name); err != nil {
					return err
				}
			}
			if c.IsSet("region") {
				if err := checkRegionFlag(region, o.endpoint.Endpoint); err != nil {
					return err
				}
			}
			if len(o.paths) == 0 {
				if name == "" || region == "" {
					return withHint(errors.New("nothing to destroy"), "pass -f PATH, or --stack NAME --region REGION")
				}
				st := &spec.Stack{Name: name, Region: region}
				return applyStacks(c.Context, []*spec.Stack{st}, o, c.App.Reader, c.App.Writer, c.App.ErrWriter)
			}
			if err := noPlanFiles("destroy", o.paths); err != nil {
				return err
			}
			return runApply(c.Context, o, c.App.Reader, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func runApply(ctx context.Context, o runOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	stacks, err := loadStacks(o.paths, o.endpoint.Endpoint, stderr)
	if err != nil {
		return err
	}
	return applyStacks(ctx, stacks, o, stdin, stdout, stderr)
}

func applyStacks(ctx context.Context, stacks []*spec.Stack, o runOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	eng := o.engine(true)
	runs := eng.Plan(ctx, stacks, readProgress(stderr))
	defer func() {
		for _, r := range runs {
			r.Release()
		}
	}()
	codes := make([]int, len(runs))
	var todo []*engine.Run
	index := map[*engine.Run]int{}
	said := map[string]bool{}
	for i, r := range runs {
		if r.Err != nil {
			codes[i] = exitCodeOnce(hinted(r.Err), stderr, said)
			continue
		}
		if o.format != "json" {
			if err := render(stdout, r.Plan, o); err != nil {
				return err
			}
		}
		if r.Plan.Empty() {
			continue
		}
		if !o.autoApprove && !o.apply.DryRun {
			if err := confirm(stdin, stdout, r.Plan); err != nil {
				codes[i] = exitCode(err, stderr)
				continue
			}
		}
		todo = append(todo, r)
		index[r] = i
	}
	progress := func(w io.Writer) io.Writer {
		if o.format == "json" {
			return io.Discard
		}
		return w
	}
	views := map[*engine.Run]*applyView{}
	groups := map[*engine.Run]*stackOutput{}
	for _, r := range todo {
		if len(todo) == 1 {
			// One stack: stream its progress as it happens.
			views[r] = newApplyView(o.format, stdout, progress(stderr))
			views[r].destroy = o.plan.Destroy
			continue
		}
		// Output is grouped per stack: each stack's lines are written
		// together when it ends.
		g := &stackOutput{}
		groups[r] = g
		views[r] = newApplyView(o.format, &g.out, progress(&g.progress))
		views[r].destroy = o.plan.Destroy
	}
	eng.Apply(ctx, todo, func(e engine.Event) {
		views[e.Run].observe(e)
		if e.Type != engine.StackDone {
			return
		}
		err := views[e.Run].result(e.Run)
		g := groups[e.Run]
		if g == nil {
			codes[index[e.Run]] = exitCode(err, stderr)
			return
		}
		codes[index[e.Run]] = exitCode(err, &g.errs)
		stdout.Write(g.out.Bytes())
		stderr.Write(g.progress.Bytes())
		stderr.Write(g.errs.Bytes())
	})
	return codeError(aggregate(codes...))
}

// A stackOutput holds what one stack of several applied at once writes,
// until it ends.
type stackOutput struct {
	out, progress, errs bytes.Buffer
}

// An applyView renders the events of one stack's apply: its steps as they
// come (JSON lines on out with --format json, else lines on progress), then
// what the apply did.
type applyView struct {
	format   string
	out      io.Writer
	progress io.Writer
	enc      *json.Encoder
	// started holds when each step started, to say how long its retries
	// have taken.
	started map[plan.StepID]time.Time
	// destroy ends the apply with what tmsync destroy deleted instead of
	// the apply summary.
	destroy bool
}

func newApplyView(format string, out, progress io.Writer) *applyView {
	return &applyView{format: format, out: out, progress: progress, enc: json.NewEncoder(out), started: map[plan.StepID]time.Time{}}
}

func (v *applyView) observe(e engine.Event) {
	r := e.Run
	switch e.Type {
	case engine.StepEvent:
		if e.Step.Type == apply.StepStarted {
			v.started[e.Step.Step] = e.Step.Time
		}
		if v.format == "json" {
			v.enc.Encode(e.Step)
			return
		}
		var took time.Duration
		if t, ok := v.started[e.Step.Step]; ok {
			took = e.Step.Time.Sub(t)
		}
		printEvent(v.progress, e.Step, took)
	case engine.DryRunChecked:
		res := r.Result
		fmt.Fprintf(v.progress, "Dry run: %d checked, %d not checkable, %d failed.\n", len(res.Checked), len(res.NotCheckable), len(res.Failed))
		for _, n := range res.NotCheckable {
			fmt.Fprintf(v.progress, "  not checkable: %s: %s\n", n.Step, views.Clean(n.Because))
		}
	case engine.Converged, engine.NotConverged:
		add, change, destroy := r.Applied()
		if v.destroy {
			if e.Type == engine.NotConverged {
				fmt.Fprintf(v.progress, "Stack %s in %s has not converged.\n", r.Stack.Name, r.Stack.Region)
			}
			fmt.Fprintf(v.progress, "Destroy complete: %d destroyed.\n", destroy)
			return
		}
		fmt.Fprintf(v.progress, "Apply complete: %d added, %d changed, %d destroyed.\n", add, change, destroy)
		if e.Type == engine.Converged {
			fmt.Fprintf(v.progress, "Stack %s in %s has converged.\n", r.Stack.Name, r.Stack.Region)
		} else {
			fmt.Fprintf(v.progress, "Stack %s in %s has not converged.\n", r.Stack.Name, r.Stack.Region)
		}
	}
}

// result reports the steps of r that failed and returns the error of its
// apply.
func (v *applyView) result(r *engine.Run) error {
	if r.Result != nil {
		for _, l := range r.Result.LeftOut {
			fmt.Fprintf(v.progress, "Not added: source %s of %s, which the API refuses: %s\n", views.Clean(l.ENI), l.Address, views.Clean(l.Message))
		}
		if err := reportFailures(v.progress, r.Result); err != nil {
			return err
		}
	}
	return hinted(r.Err)
}

func reportFailures(w io.Writer, res *apply.Result) error {
	if res.OK() {
		return nil
	}
	fmt.Fprintf(w, "Applied %d steps, %d failed, %d skipped:\n", len(res.Applied), len(res.Failed), len(res.Skipped))
	for _, f := range res.Failed {
		fmt.Fprintf(w, "  failed:  %s: %s\n", f.Step, views.Clean(f.Message))
	}
	// Skips that share a reason (a thousand creates not sent after a
	// quota refusal) are listed up to a few, then counted.
	const perReason = 5
	shown := map[string]int{}
	for _, s := range res.Skipped {
		if shown[s.Because]++; shown[s.Because] <= perReason {
			fmt.Fprintf(w, "  skipped: %s: %s\n", s.Step, views.Clean(s.Because))
		}
	}
	for _, s := range res.Skipped {
		if n := shown[s.Because]; n > perReason {
			fmt.Fprintf(w, "  ... and %d more skipped: %s\n", n-perReason, views.Clean(s.Because))
			shown[s.Because] = 0
		}
	}
	return withHint(fmt.Errorf("%d steps failed, %d skipped", len(res.Failed), len(res.Skipped)),
		"fix the cause, then run apply again: steps already done are not repeated")
}

// printEvent writes one line for e; took is how long its step has run.
// What the API or a plan said (IDs, codes, messages) is cleaned of control
// and bidirectional formatting characters.
func printEvent(w io.Writer, e apply.Event, took time.Duration) {
	e.ObjectID, e.Code, e.Message = views.Clean(e.ObjectID), views.Clean(e.Code), views.Clean(e.Message)
	id := ""
	if e.ObjectID != "" {
		id = " (" + e.ObjectID + ")"
	}
	switch e.Type {
	case apply.StepStarted:
		fmt.Fprintf(w, "%s: %s%s...\n", e.Address, e.Op, id)
	case apply.StepWaiting:
		fmt.Fprintf(w, "%s: %s\n", e.Address, e.Message)
	case apply.StepRetrying:
		why := e.Code
		if why == "" {
			why = strings.ReplaceAll(e.Notice.String(), "-", " ")
		}
		so := ""
		if took >= slowRetry {
			so = ", " + took.Round(100*time.Millisecond).String() + " so far"
		}
		switch {
		case e.Notice.ChangesRequest():
			fmt.Fprintf(w, "%s: %s\n", e.Address, e.Message)
		case !e.Op.Tokened():
			fmt.Fprintf(w, "%s: %s refused (%s), retrying (attempt %d%s)\n", e.Address, e.Op, why, e.Attempt+1, so)
		default:
			fmt.Fprintf(w, "%s: %s refused (%s), retrying with the same token (attempt %d%s)\n", e.Address, e.Op, why, e.Attempt+1, so)
		}
	case apply.StepFinished:
		fmt.Fprintf(w, "%s: %s done%s [%s]\n", e.Address, e.Op, id, e.Elapsed.Round(time.Millisecond))
	case apply.StepFailed:
		fmt.Fprintf(w, "%s: %s failed: %s\n", e.Address, e.Op, e.Message)
	case apply.StepSkipped:
		fmt.Fprintf(w, "%s: %s skipped: %s\n", e.Address, e.Op, e.Message)
	case apply.StepChecked:
		fmt.Fprintf(w, "%s: %s passes the dry run\n", e.Address, e.Op)
	case apply.StepUncheck:
		fmt.Fprintf(w, "%s: %s not checkable: %s\n", e.Address, e.Op, e.Message)
	}
}

// confirm asks on a terminal; without one it refuses.
func confirm(stdin io.Reader, stdout io.Writer, p *plan.Plan) error {
	f, ok := stdin.(*os.File)
	if !ok || !isTerminal(f) {
		// An answer piped in (echo yes | tmsync apply) is refused: it
		// would approve a plan nobody saw.
		return withHint(errors.New("apply needs confirmation and there is no terminal to ask; an answer piped to standard input is not read"),
			"review the plan, then pass --auto-approve, or apply a saved plan: tmsync plan --out plan.json; tmsync apply plan.json")
	}
	fmt.Fprintf(stdout, "\nApply these changes to stack %s in %s? Only 'yes' is accepted: ", p.Stack, p.Region)
	line, _ := bufio.NewReader(stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return errors.New("apply cancelled")
	}
	return nil
}

// isTerminal reports whether f is a terminal; /dev/null, which CI jobs
// often give as standard input, is a character device but not one.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// slowRetry is how long a read of live state may retry quietly: a short
// blip is not worth a line, a wait the user notices is. Retries of apply's
// steps are all said, with the time taken from then on.
const slowRetry = 2 * time.Second

// readProgress returns the observer of the reads before a plan: each
// retry sent when its read has taken slowRetry or more says so on w, with
// the attempt that failed, why, and the time taken.
func readProgress(w io.Writer) engine.Observer {
	return func(e engine.Event) {
		if e.Type != engine.ReadRetrying || e.Retry.Elapsed+e.Retry.Wait < slowRetry {
			return
		}
		rt := e.Retry
		fmt.Fprintf(w, "Reading live state of %s at %s: attempt %d failed (%s), %s so far; retrying in %s\n",
			rt.Region, rt.Endpoint, rt.Attempt, views.Clean(retryReason(rt.Err)), rt.Elapsed.Round(100*time.Millisecond), rt.Wait.Round(100*time.Millisecond))
	}
}

// retryReason says in a few words why a call is retried.
func retryReason(err error) string {
	if f := cloud.Unreachable(err); f != cloud.NotUnreachable {
		return f.String()
	}
	var ae *cloud.APIError
	if errors.As(err, &ae) && ae.Code != "" {
		return ae.Code
	}
	if ae != nil && ae.Message != "" {
		return ae.Message
	}
	return err.Error()
}

// asUnreachable returns err as a *cloud.UnreachableError of endpoint when
// the call that failed reached no server, else nil.
func asUnreachable(err error, endpoint string) *cloud.UnreachableError {
	var ue *cloud.UnreachableError
	if errors.As(err, &ue) {
		return ue
	}
	if f := cloud.Unreachable(err); f != cloud.NotUnreachable {
		return &cloud.UnreachableError{Endpoint: endpoint, Failure: f, Err: err}
	}
	return nil
}

// unreachableHint says what to check when the API could not be reached.
func unreachableHint(e *cloud.UnreachableError) string {
	switch e.Failure {
	case cloud.Refused:
		return "nothing answers at " + e.Endpoint + ": check --endpoint (or TMSYNC_ENDPOINT) and that the API or emulator runs there"
	case cloud.NoHost:
		return "the host name does not resolve: check --endpoint (or TMSYNC_ENDPOINT; none for Alibaba Cloud's), the region, and this machine's DNS"
	case cloud.NoDNS:
		return "no DNS server answered: check this machine's network and DNS settings"
	}
	return "check this machine's network, firewall and proxy settings (HTTPS_PROXY), and --endpoint (or TMSYNC_ENDPOINT)"
}
