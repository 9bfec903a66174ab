package cli

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/tmsync/tmsync/internal/plan"
)

// The journal keeps the steps of an apply under way next to the stack's
// lock, so that a run killed mid-way hands its tokens to the next run.
// It is removed when an apply finishes with every step done.

func journalPath(lockDir, stack, region string) string {
	if lockDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		lockDir = filepath.Join(cache, "tmsync", "locks")
	}
	return filepath.Join(lockDir, stack+"@"+region+".journal.json")
}

func readJournal(path string) []plan.Step {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var steps []plan.Step
	if json.Unmarshal(b, &steps) != nil {
		return nil
	}
	return steps
}

// writeJournal adds p's steps to the journal; older entries stay, since a
// step of an earlier killed run may still be unconfirmed.
func writeJournal(path string, p *plan.Plan) error {
	steps := append(readJournal(path), p.Steps...)
	if len(steps) > 10000 {
		steps = steps[len(steps)-10000:]
	}
	b, err := json.Marshal(steps)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
