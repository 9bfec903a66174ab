package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/planfile"
)

// isPlanFile reports whether path looks like a saved plan rather than a
// spec: a file that is not YAML and starts with a JSON object.
func isPlanFile(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".yaml" || ext == ".yml" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return false
	}
	r := bufio.NewReader(f)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return false
		}
		if b == ' ' || b == '\n' || b == '\r' || b == '\t' {
			continue
		}
		return b == '{'
	}
}

// savePlans writes the plans of a run as one saved plan (C9).
func savePlans(path string, runs []*stackRun, o runOptions) error {
	b := &planfile.Bundle{}
	now := time.Now()
	for _, r := range runs {
		if r.plan == nil {
			return errors.New("not saving the plan: some stacks failed to plan")
		}
		po := o.plan
		po.Endpoint = r.client.Endpoint()
		f := planfile.New(r.plan, r.stack, r.snap, po, version(), now)
		if o.expiresIn > 0 {
			f.ExpiresAt = f.CreatedAt.Add(o.expiresIn)
		}
		b.Files = append(b.Files, f)
	}
	if err := planfile.SaveBundle(path, b); err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	return nil
}

// runApplySaved applies a saved plan without asking: it was reviewed.
func runApplySaved(ctx context.Context, path string, o runOptions, stdout, stderr io.Writer) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	b, err := planfile.LoadBundle(path)
	if err != nil {
		return withHint(fmt.Errorf("%s: %w", path, err), "make a new one with tmsync plan --out FILE")
	}
	var codes []int
	for _, f := range b.Files {
		codes = append(codes, exitCode(applySavedFile(ctx, f, o, stdout, stderr), stderr))
	}
	return codeError(aggregate(codes...))
}

func applySavedFile(ctx context.Context, f *planfile.File, o runOptions, stdout, stderr io.Writer) error {
	r := &stackRun{stack: f.Desired}
	defer r.release()
	c, closeFn, err := o.endpoint.open(ctx, f.Region, f.Desired.Profile)
	if err != nil {
		return err
	}
	r.client, r.close = c, closeFn
	if err := f.Check(c.Endpoint(), f.Region, f.Stack, version(), time.Now()); err != nil {
		return withHint(fmt.Errorf("saved plan for stack %s: %w", f.Stack, err), "run tmsync plan --out FILE again and review the new plan")
	}
	unlock, err := lockStack(ctx, o.lockDir, f.Stack, f.Region, o.lockTimeout)
	if err != nil {
		return err
	}
	r.unlock = unlock
	if r.snap, err = readLive(ctx, c, o); err != nil {
		return fmt.Errorf("read live state of %s: %w", f.Region, err)
	}
	po := f.Options.PlanOptions(c.Endpoint())
	fresh, err := plan.Compute(f.Desired, r.snap, po)
	if err != nil {
		return fmt.Errorf("stack %s: %w", f.Stack, err)
	}
	if fresh.Empty() {
		fmt.Fprintf(stderr, "Stack %s in %s: the saved plan is already applied; nothing to do.\n", f.Stack, f.Region)
		return nil
	}
	rest, ok := plan.Resume(f.Plan, fresh, r.snap)
	if !ok {
		fmt.Fprintf(stderr, "Live state of stack %s changed since the plan was saved; applying now would do this instead:\n\n", f.Stack)
		render(stderr, fresh, runOptions{format: "text"})
		return withHint(errors.New("the saved plan is stale: its remaining steps would change"),
			"review the new plan: tmsync plan --out FILE, then tmsync apply FILE")
	}
	if done := len(f.Plan.Steps) - len(rest.Steps); done > 0 {
		fmt.Fprintf(stderr, "Stack %s: %d of %d steps were already applied; resuming.\n", f.Stack, done, len(f.Plan.Steps))
	}
	if o.format != "json" {
		render(stdout, rest, o)
	}
	return executeJournaled(ctx, r, rest, o, stdout, stderr)
}
