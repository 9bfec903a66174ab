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
// spec: a regular file not named *.yaml or *.yml that starts with a JSON
// object, or that is empty and named *.json (a plan whose writing failed).
func isPlanFile(path string) bool {
	return planFileLike(path, false)
}

// planFileLike is isPlanFile; alone says path is the only argument of
// apply, where an empty file of any name but *.yaml and *.yml is taken for
// a saved plan too.
func planFileLike(path string, alone bool) bool {
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
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	r := bufio.NewReader(f)
	for {
		b, err := r.ReadByte()
		if err != nil {
			// Empty, or white space only.
			return alone || ext == ".json"
		}
		if b == ' ' || b == '\n' || b == '\r' || b == '\t' {
			continue
		}
		return b == '{'
	}
}

// noPlanFiles refuses saved plans among the spec paths of cmd: they are
// applied alone, and are not specs.
func noPlanFiles(cmd string, paths []string) error {
	for _, p := range paths {
		if !isPlanFile(p) {
			continue
		}
		if cmd == "apply" {
			return withHint(fmt.Errorf("%s is a saved plan: a saved plan is applied alone, without -f or other paths", p),
				"tmsync apply %s applies the plan; tmsync apply -f PATH plans and applies specs", p)
		}
		return withHint(fmt.Errorf("%s is a saved plan, not a spec", p),
			"tmsync show %s renders it; tmsync apply %s applies it", p, p)
	}
	return nil
}

// planKeyEnv names the environment variable of the key that signs saved
// plans. It is read only where a plan is saved or read, and never printed.
const planKeyEnv = "TMSYNC_PLAN_KEY"

// minPlanKey is the shortest key taken: a short one is guessed.
const minPlanKey = 16

// planKey returns the key of TMSYNC_PLAN_KEY, or nil when it is unset or
// empty.
func planKey() (planfile.Key, error) {
	k := os.Getenv(planKeyEnv)
	if k == "" {
		return nil, nil
	}
	if len(k) < minPlanKey {
		return nil, withHint(fmt.Errorf("%s is shorter than %d characters", planKeyEnv, minPlanKey),
			"use a long random secret, such as the output of openssl rand -hex 32, in both the plan and the apply job")
	}
	return planfile.Key(k), nil
}

// loadPlan reads the saved plan at path with the key of TMSYNC_PLAN_KEY,
// and says what to do when it cannot.
func loadPlan(path string) (*planfile.Bundle, planfile.Key, error) {
	key, err := planKey()
	if err != nil {
		return nil, nil, err
	}
	b, err := planfile.LoadBundle(path, key)
	switch {
	case err == nil:
		return b, key, nil
	case errors.Is(err, planfile.ErrKeyNeeded):
		return nil, nil, withHint(err, "set %s to the key the plan was made with", planKeyEnv)
	case errors.Is(err, planfile.ErrNotSigned):
		return nil, nil, withHint(err, "make the plan with %s set, as here: tmsync plan --out FILE", planKeyEnv)
	case errors.Is(err, planfile.ErrTampered) && key != nil:
		return nil, nil, withHint(err, "the file was changed after tmsync plan wrote it, or %s is not the key it was made with; make a new one with tmsync plan --out FILE", planKeyEnv)
	case errors.Is(err, planfile.ErrTampered):
		return nil, nil, withHint(err, "the file was changed after tmsync plan wrote it; make a new one with tmsync plan --out FILE")
	case errors.Is(err, planfile.ErrInvalid):
		return nil, nil, withHint(err, "a saved plan is the file tmsync plan --out FILE writes, read by the same tmsync version")
	}
	return nil, nil, err
}

// savePlans writes the plans of a run as one saved plan (C9), signed with
// the key of TMSYNC_PLAN_KEY when it is set.
func savePlans(path string, runs []*engine.Run, o runOptions) error {
	key, err := planKey()
	if err != nil {
		return err
	}
	b := &planfile.Bundle{}
	now := time.Now()
	for _, r := range runs {
		if r.Plan == nil {
			return errors.New("not saving the plan: some stacks failed to plan")
		}
		f := planfile.New(r.Plan, r.Stack, r.Snapshot, r.PlanOptions, version(), now)
		if o.expiresIn > 0 {
			f.ExpiresAt = f.CreatedAt.Add(o.expiresIn)
		}
		b.Files = append(b.Files, f)
	}
	if err := planfile.SaveBundle(path, b, key); err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	return nil
}

// runApplySaved applies a saved plan without asking: it was reviewed.
func runApplySaved(ctx context.Context, path string, o runOptions, stdout, stderr io.Writer) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	b, _, err := loadPlan(path)
	if err != nil {
		return err
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
