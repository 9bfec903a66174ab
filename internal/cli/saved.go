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

	"github.com/tmsync/tmsync/internal/engine"
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
func savePlans(path string, runs []*engine.Run, o runOptions) error {
	b := &planfile.Bundle{}
	now := time.Now()
	for _, r := range runs {
		if r.Plan == nil {
			return errors.New("not saving the plan: some stacks failed to plan")
		}
		po := o.plan
		po.Endpoint = r.Client.Endpoint()
		f := planfile.New(r.Plan, r.Stack, r.Snapshot, po, version(), now)
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
	eng := o.engine(true)
	var codes []int
	for _, f := range b.Files {
		codes = append(codes, exitCode(applySavedFile(ctx, eng, f, o, stdout, stderr), stderr))
	}
	return codeError(aggregate(codes...))
}

// applySavedFile applies the saved plan of one stack: the steps not applied
// yet, when live state is what the plan expected.
func applySavedFile(ctx context.Context, eng *engine.Engine, f *planfile.File, o runOptions, stdout, stderr io.Writer) error {
	r := eng.PlanSaved(ctx, f, readProgress(stderr))
	defer r.Release()
	switch {
	case errors.Is(r.Err, engine.ErrStale):
		fmt.Fprintf(stderr, "Live state of stack %s changed since the plan was saved; applying now would do this instead:\n\n", f.Stack)
		render(stderr, r.Saved.Fresh, runOptions{format: "text"})
		return hinted(r.Err)
	case r.Err != nil:
		return hinted(r.Err)
	case r.Plan == nil:
		fmt.Fprintf(stderr, "Stack %s in %s: the saved plan is already applied; nothing to do.\n", f.Stack, f.Region)
		return nil
	}
	if done := r.Saved.Done; done > 0 {
		fmt.Fprintf(stderr, "Stack %s: %d of %d steps were already applied; resuming.\n", f.Stack, done, len(f.Plan.Steps))
	}
	if o.format != "json" {
		render(stdout, r.Plan, o)
	}
	v := newApplyView(o.format, stdout, stderr)
	eng.Apply(ctx, []*engine.Run{r}, v.observe)
	return v.result(r)
}
