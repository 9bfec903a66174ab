package engine

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/plan"
)

// The journal of a stack lives next to its lock. It keeps the steps of an
// apply under way, so that a run killed mid-way hands its tokens to the
// next run, and the tokens of creates that finished, so that a stack
// destroyed and created again does not send them a second time.
type journal struct {
	Pending []plan.Step `json:"pending"`
	Used    []string    `json:"used"`
}

const journalMax = 10000

func journalPath(lockDir, stack, region string) string {
	return filepath.Join(lockDirOrDefault(lockDir), stack+"@"+region+".journal.json")
}

func readJournal(path string) *journal {
	j := &journal{}
	if b, err := os.ReadFile(path); err == nil {
		if json.Unmarshal(b, j) != nil {
			j = &journal{}
		}
	}
	return j
}

func (j *journal) used() map[string]bool {
	m := make(map[string]bool, len(j.Used))
	for _, t := range j.Used {
		m[t] = true
	}
	return m
}

// finished records the tokens of the creates of p that finished, and
// forgets the pending steps once the whole apply succeeded.
func (j *journal) finished(p *plan.Plan, res *apply.Result, ok bool) {
	done := map[plan.StepID]bool{}
	for _, id := range res.Applied {
		done[id] = true
	}
	for _, s := range p.Steps {
		if done[s.ID] && s.ClientToken != "" && s.Kind().Creates() {
			tok := s.ClientToken
			if t, ok := res.Tokens[s.ID]; ok {
				tok = t // finished with a later generation
			}
			j.Used = append(j.Used, tok)
		}
	}
	if ok {
		j.Pending = nil
	}
}

func (j *journal) write(path string) error {
	if len(j.Pending) > journalMax {
		j.Pending = j.Pending[len(j.Pending)-journalMax:]
	}
	if len(j.Used) > journalMax {
		j.Used = j.Used[len(j.Used)-journalMax:]
	}
	b, err := json.Marshal(j)
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
