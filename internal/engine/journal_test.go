package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/plan"
)

func TestJournalFinished(t *testing.T) {
	p := &plan.Plan{Steps: []plan.Step{
		jstep(plan.FilterAddr("a"), &plan.CreateFilter{}, "tok-filter"),
		jstep(plan.FilterAddr("b"), &plan.CreateRules{Filter: plan.Ref{ID: "tmf-b"}}, "tok-rules"),
		jstep(plan.SessionAddr("c"), &plan.CreateSession{Filter: plan.Ref{ID: "tmf-b"}}, "tok-session"),
		jstep(plan.FilterAddr("a"), &plan.Tag{Target: plan.Ref{ID: "tmf-a"}}, ""),
		jstep(plan.SessionAddr("e"), &plan.CreateSession{Filter: plan.Ref{ID: "tmf-b"}}, "tok-failed"),
	}}
	pending := []plan.Step{jstep(plan.FilterAddr("z"), &plan.DeleteFilter{Filter: plan.Ref{ID: "tmf-z"}}, "tok-z")}
	cases := map[string]struct {
		reason string
		ok     bool
		want   *journal
	}{
		"Succeeded": {
			reason: "A whole apply that succeeded forgets its pending steps and keeps the tokens of its finished creates.",
			ok:     true,
			want:   &journal{Used: []string{"old", "tok-filter", "tok-session"}},
		},
		"Failed": {
			reason: "An apply that failed keeps its pending steps for the next run.",
			want:   &journal{Pending: pending, Used: []string{"old", "tok-filter", "tok-session"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			j := &journal{Pending: pending, Used: []string{"old"}}
			j.finished(p, &apply.Result{Applied: []plan.StepID{p.Steps[0].ID, p.Steps[1].ID, p.Steps[2].ID, p.Steps[3].ID}}, tc.ok)
			if diff := cmp.Diff(tc.want, j); diff != "" {
				t.Errorf("%s\nfinished(): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestJournalFile: a journal survives a write and a read; a missing or
// damaged file reads as an empty journal; the lists keep their newest
// journalMax entries.
func TestJournalFile(t *testing.T) {
	dir := t.TempDir()
	path := journalPath(dir, "web", "cn-hangzhou")
	if diff := cmp.Diff(filepath.Join(dir, "web@cn-hangzhou.journal.json"), path); diff != "" {
		t.Errorf("journalPath(): -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(&journal{}, readJournal(path)); diff != "" {
		t.Errorf("readJournal() of a missing file: -want +got:\n%s", diff)
	}
	j := &journal{Pending: []plan.Step{jstep(plan.FilterAddr("a"), &plan.CreateFilter{Name: "a"}, "a")}}
	for i := range journalMax + 2 {
		j.Used = append(j.Used, string(rune('a'+i%26)))
	}
	if err := j.write(path); err != nil {
		t.Fatal(err)
	}
	got := readJournal(path)
	if len(got.Used) != journalMax || got.Used[0] != "c" {
		t.Errorf("readJournal() after write: %d used tokens starting %q, want %d starting \"c\"", len(got.Used), got.Used[0], journalMax)
	}
	if diff := cmp.Diff(map[string]bool{"a": true}, (&journal{Used: []string{"a", "a"}}).used()); diff != "" {
		t.Errorf("used(): -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(j.Pending, got.Pending); diff != "" {
		t.Errorf("readJournal() after write: pending -want +got:\n%s", diff)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&journal{}, readJournal(path)); diff != "" {
		t.Errorf("readJournal() of a damaged file: -want +got:\n%s", diff)
	}
}

// jstep returns the first step of op at addr with token tok.
func jstep(addr plan.Addr, op plan.Op, tok string) plan.Step {
	return plan.Step{ID: plan.StepID{Addr: addr, Op: op.Kind(), N: 1}, Unit: addr.Unit(), DependsOn: []plan.StepID{},
		ClientToken: tok, Op: op}
}
