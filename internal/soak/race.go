package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/workload"
)

// maxOffset bounds how much later than the first a runner of a round
// starts: late enough to read the region while the first one's writes are
// in flight.
const maxOffset = 300 * time.Millisecond

// A racer is one tmsync process of a round: a machine of its own (its own
// HOME and --lock-dir), started at an offset.
type racer struct {
	n      int // 1-based, for the report
	runner *workload.Runner
	offset time.Duration
	proc   *workload.Process
	out    workload.Outcome
	ended  bool
}

// A raceResult is how the processes of a round's first apply ended.
type raceResult struct {
	ok     bool // every process exited 0
	killed int
	exits  []string // per runner: "exit 0", "exit 1", "killed"
}

// newRacers draws the round's runners and their start offsets; the first
// starts at once.
func (s *soak) newRacers() []*racer {
	rs := make([]*racer, len(s.runners))
	for i, r := range s.runners {
		rs[i] = &racer{n: i + 1, runner: r}
		if i > 0 {
			rs[i].offset = time.Duration(s.rng.Int63n(int64(maxOffset)))
		}
	}
	return rs
}

// race runs the round's first apply: every runner of the soak applies the
// spec, each starting at its offset, and race returns once all of them
// have ended. When hang >= 0, the fault at that index hangs a call of
// action; once it has hit (the request was committed and will never be
// answered), up to kills of the runners still running are killed, in the
// order order gives. The soak cannot tell which runner's request hangs:
// the one killed may be that one, or another in the middle of its own
// steps; a hung runner left alive gives up on the answer after
// --request-timeout and retries.
func (s *soak) race(ctx context.Context, rs []*racer, action string, hang, kills int, order []int) (raceResult, error) {
	start := time.Now()
	before := s.srv.Stats().Calls[action]
	hit := hang < 0
	killAll := func() {
		for _, x := range rs {
			if x.proc != nil && !x.ended {
				x.proc.Kill()
			}
		}
	}
	for {
		open := 0
		for _, x := range rs {
			if x.proc == nil && time.Since(start) >= x.offset {
				p, err := x.runner.Start(s.applyArgs(x.runner)...)
				if err != nil {
					killAll()
					return raceResult{}, err
				}
				x.proc = p
			}
			if x.proc == nil {
				open++
				continue
			}
			if !x.ended {
				select {
				case <-x.proc.Done():
					x.out, x.ended = x.proc.Wait(ctx), true
				default:
					open++
				}
			}
		}
		if open == 0 {
			break
		}
		if !hit {
			if fs := s.srv.Faults(); hang < len(fs) && fs[hang].Count == 0 && s.srv.Stats().Calls[action] > before {
				hit = true
				for _, i := range order {
					if x := rs[i]; kills > 0 && x.proc != nil && !x.ended {
						x.out, x.ended = x.proc.Kill(), true
						kills--
					}
				}
			}
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			killAll()
			return raceResult{}, err
		}
	}
	res := raceResult{ok: true}
	for _, x := range rs {
		s.sum.Applies++
		exit := fmt.Sprintf("exit %d", x.out.Code)
		if x.out.Killed {
			s.sum.Kills++
			res.killed++
			exit = "killed"
		}
		if x.out.Killed || x.out.Code != 0 {
			s.sum.FailedApplies++
			res.ok = false
		}
		res.exits = append(res.exits, exit)
		what := exit
		if x.out.Killed {
			what = "killed once " + action + " hung"
		}
		s.outputs = append(s.outputs, fmt.Sprintf("$ tmsync apply # runner %d of %d, started at +%s (%s, %s)\n%s%s",
			x.n, len(rs), x.offset.Round(time.Millisecond), what, x.out.Wall.Round(time.Millisecond), x.out.Stdout, x.out.Stderr))
	}
	return res, nil
}

// swappedOut returns the IDs of the filters p replaces with a new filter of
// the same key (C6): until the swap has finished, such a filter and its
// successor are two objects of one key, and a run killed in between
// leaves both for the next run to finish.
func swappedOut(p *plan.Plan) map[string]bool {
	out := map[string]bool{}
	for _, c := range p.Changes {
		if c.HasReason(plan.ReasonSwap) && c.ID != "" {
			out[c.ID] = true
		}
	}
	return out
}

// emulatorState is the part of the emulator's state dump
// (GET /_emulator/state) that duplicates are counted from.
type emulatorState struct {
	Regions map[string]struct {
		Filters  map[string]stateObject `json:"filters"`
		Sessions map[string]stateObject `json:"sessions"`
	} `json:"regions"`
}

type stateObject struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Tags   []struct {
		Key   string `json:"k"`
		Value string `json:"v"`
	} `json:"tags"`
}

func (o stateObject) tag(k string) string {
	for _, t := range o.Tags {
		if t.Key == k {
			return t.Value
		}
	}
	return ""
}

// duplicatesNow counts the extra objects of each key of the stack as the
// emulator holds them now: read from its state rather than through List,
// so that objects a List lag still hides are counted, and at once, before
// any later apply could delete a duplicate. Objects being deleted do not
// count, nor a filter being swapped out (swapped).
func (s *soak) duplicatesNow(ctx context.Context, swapped map[string]bool) (int, []string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL()+"/_emulator/state", nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("read the emulator's state: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, nil, fmt.Errorf("read the emulator's state: %s", resp.Status)
	}
	var st emulatorState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, nil, fmt.Errorf("read the emulator's state: %w", err)
	}
	perKey := map[string][]string{}
	count := func(objs map[string]stateObject, addr func(string) plan.Addr) {
		for _, o := range objs {
			if o.Status == "Deleting" || swapped[o.ID] || o.tag(cloud.TagStack) != stackName {
				continue
			}
			k := addr(o.tag(cloud.TagKey)).String()
			perKey[k] = append(perKey[k], o.ID)
		}
	}
	r := st.Regions[region]
	count(r.Filters, plan.FilterAddr)
	count(r.Sessions, plan.SessionAddr)
	n := 0
	var msgs []string
	for k, ids := range perKey {
		if len(ids) > 1 {
			sort.Strings(ids)
			n += len(ids) - 1
			msgs = append(msgs, fmt.Sprintf("%s had %d objects when the round's first apply ended: %s", k, len(ids), strings.Join(ids, ", ")))
		}
	}
	sort.Strings(msgs)
	return n, msgs, nil
}
