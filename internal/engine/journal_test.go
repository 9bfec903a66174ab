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
		{ID: "1", Op: plan.OpCreateFilter, Kind: plan.TypeFilter, ClientToken: "tok-filter"},
		{ID: "2", Op: plan.OpCreateFilter, Kind: plan.TypeRule, ClientToken: "tok-rules"},
		{ID: "3", Op: plan.OpCreateSession, Kind: plan.TypeSession, ClientToken: "tok-session"},
		{ID: "4", Op: plan.OpTag, Kind: plan.TypeFilter},
		{ID: "5", Op: plan.OpCreateSession, Kind: plan.TypeSession, ClientToken: "tok-failed"},
	}}
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
			want:   &journal{Pending: []plan.Step{{ID: "9"}}, Used: []string{"old", "tok-filter", "tok-session"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			j := &journal{Pending: []plan.Step{{ID: "9"}}, Used: []string{"old"}}
			j.finished(p, &apply.Result{Applied: []string{"1", "2", "3", "4"}}, tc.ok)
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
	j := &journal{Pending: []plan.Step{{ID: "1", ClientToken: "a"}}}
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
