package apply

import (
	"errors"
	"net"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// opts are the defaults of C8: on the fake clock, minutes cost nothing.
func opts() Options { return Options{Seed: 1} }

// retry is what a StepRetrying event says.
type retry struct {
	Step    plan.StepID
	Attempt int
	Notice  Notice
	Code    string
}

func retries(events []Event) []retry {
	var out []retry
	for _, e := range events {
		if e.Type == StepRetrying {
			out = append(out, retry{Step: e.Step, Attempt: e.Attempt, Notice: e.Notice, Code: e.Code})
		}
	}
	return out
}

func tokens(calls []call) []string {
	out := []string{}
	for _, c := range calls {
		out = append(out, c.Action+" "+c.Token)
	}
	return out
}

func TestRetriesKeepTheToken(t *testing.T) {
	f := createFilter("web")
	cases := map[string]struct {
		reason string
		err    error
		want   retry
	}{
		"Throttled": {
			reason: "A throttled call is sent again with the same token.",
			err:    &cloud.APIError{Kind: cloud.KindThrottled, Code: "Throttling.User"},
			want:   retry{Step: f.ID, Notice: Throttled, Code: "Throttling.User"},
		},
		"ServerError": {
			reason: "A 5xx is sent again with the same token.",
			err:    &cloud.APIError{Kind: cloud.KindServer, Code: "ServiceUnavailable", HTTPStatus: 503},
			want:   retry{Step: f.ID, Notice: ServerError, Code: "ServiceUnavailable"},
		},
		"NetworkError": {
			reason: "A call with no answer has no API code; it is sent again with the same token.",
			err:    &cloud.APIError{Kind: cloud.KindServer, Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}},
			want:   retry{Step: f.ID, Notice: NetworkError},
		},
		"Busy": {
			reason: "An object busy with another operation is written again with the same token.",
			err:    &cloud.APIError{Kind: cloud.KindConflict, Code: "OperationConflict"},
			want:   retry{Step: f.ID, Notice: Busy, Code: "OperationConflict"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.fail = failing("CreateFilter", tc.err, tc.err)
			o := opts()
			res, events := run(t, clk, planOf(f), c, o)
			if !res.OK() {
				t.Fatalf("%s\nresult %+v", tc.reason, res)
			}
			tok := "CreateFilter " + f.ClientToken
			if diff := cmp.Diff([]string{tok, tok, tok}, tokens(c.calls)); diff != "" {
				t.Errorf("%s\ncalls (-want +got):\n%s", tc.reason, diff)
			}
			first, second := tc.want, tc.want
			first.Attempt, second.Attempt = 1, 2
			if diff := cmp.Diff([]retry{first, second}, retries(events)); diff != "" {
				t.Errorf("%s\nretries (-want +got):\n%s", tc.reason, diff)
			}
			// Each retry waits at least half its backoff on the clock.
			base := Options{}
			base.defaults()
			for i := 1; i < len(c.calls); i++ {
				if gap, least := c.calls[i].At-c.calls[i-1].At, base.RetryBase<<(i-1)/2; gap < least {
					t.Errorf("%s\nretry %d came %s after the call before, want at least %s", tc.reason, i, gap, least)
				}
			}
		})
	}
}

func TestDeleteOfMissingIsDone(t *testing.T) {
	cases := map[string]struct {
		reason string
		seed   func(c *fakeCloud)
		step   plan.Step
		id     string // of the object deleted
	}{
		"MissingFilter": {
			reason: "A filter that is gone already is deleted.",
			seed:   func(*fakeCloud) {},
			step:   deleteFilter("old", "tmf-gone"),
			id:     "tmf-gone",
		},
		"MissingSession": {
			reason: "A session that is gone already is deleted.",
			seed:   func(*fakeCloud) {},
			step:   deleteSession("old", "tms-gone"),
			id:     "tms-gone",
		},
		"LiveFilter": {
			reason: "A live filter is deleted and waited for until List no longer shows it.",
			seed:   func(c *fakeCloud) { c.seedFilter("tmf-old") },
			step:   deleteFilter("old", "tmf-old"),
			id:     "tmf-old",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			tc.seed(c)
			res, _ := run(t, clk, planOf(tc.step), c, opts())
			if diff := cmp.Diff(&Result{Applied: []plan.StepID{tc.step.ID}, Failed: []Failure{}, Skipped: []Skip{},
				IDs: map[plan.StepID]string{tc.step.ID: tc.id}}, res); diff != "" {
				t.Errorf("%s\nresult (-want +got):\n%s", tc.reason, diff)
			}
			if len(c.filters)+len(c.sessions) != 0 {
				t.Errorf("%s\nobjects left: %v %v", tc.reason, c.filters, c.sessions)
			}
		})
	}
}

func TestTimeoutNamesTheObjectAndItsStatus(t *testing.T) {
	const timeout = 5 * time.Minute
	throttled := &cloud.APIError{Kind: cloud.KindThrottled, Code: "Throttling.User"}
	cases := map[string]struct {
		reason string
		step   plan.Step
		status string // what List shows of the object
		fail   func(call) error
		want   Failure
	}{
		"UpdateStaysModifying": {
			reason: "An update whose object never settles fails at the step timeout, naming the object and its last status.",
			step:   renameFilter("web", "tmf-1", "web2"),
			status: cloud.StatusModifying,
			want: Failure{Step: stepID(plan.FilterAddr("web"), plan.OpUpdateFilter), Address: plan.FilterAddr("web"),
				Message: "timed out after 5m0s waiting for filter.web (tmf-1), last status Modifying: context deadline exceeded"},
		},
		"CreateStaysCreating": {
			reason: "A create that List shows, but never Created, waits for the step timeout, not the gone-after deadline.",
			step:   createFilter("web"),
			status: cloud.StatusCreating,
			want: Failure{Step: stepID(plan.FilterAddr("web"), plan.OpCreateFilter), Address: plan.FilterAddr("web"),
				Message: "timed out after 5m0s waiting for filter.web, last status Creating: context deadline exceeded"},
		},
		"ThrottledThroughout": {
			reason: "A call throttled until the step timeout fails then, with no status seen.",
			step:   renameFilter("web", "tmf-1", "web2"),
			status: cloud.StatusCreated,
			fail: func(c call) error {
				return throttled
			},
			want: Failure{Step: stepID(plan.FilterAddr("web"), plan.OpUpdateFilter), Address: plan.FilterAddr("web"),
				Message: "timed out after 5m0s waiting for filter.web (tmf-1), last status unknown: context deadline exceeded"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.seedFilter("tmf-1")
			c.status = func(string, time.Duration) string { return tc.status }
			c.fail = tc.fail
			o := opts()
			o.Timeout = timeout
			res, events := run(t, clk, planOf(tc.step), c, o)
			if diff := cmp.Diff([]Failure{tc.want}, res.Failed); diff != "" {
				t.Errorf("%s\nfailed (-want +got):\n%s", tc.reason, diff)
			}
			last := events[len(events)-1]
			if last.Type != StepFailed || last.Elapsed != timeout {
				t.Errorf("%s\nlast event %s after %s, want %s after %s", tc.reason, last.Type, last.Elapsed, StepFailed, timeout)
			}
		})
	}
}

func TestGoneAfterMovesToTheNextGeneration(t *testing.T) {
	const goneAfter = time.Minute
	f := createFilter("web")
	s := createSessionOn("ids", plan.Ref{ID: "tmf-1"})
	cases := map[string]struct {
		reason  string
		step    plan.Step
		replay  string                                    // what the first token's create answers
		status  func(id string, age time.Duration) string // what List shows
		other   bool                                      // another run made the object with this key
		byHand  bool                                      // an object tagged with the key by hand exists
		want    []string
		retries []retry
		id      string
	}{
		"Filter": {
			reason:  "A replayed create of a filter deleted since is sent with the next token once gone-after has passed.",
			step:    f,
			replay:  "tmf-old",
			want:    []string{"CreateFilter " + f.ClientToken, "CreateFilter " + plan.NextToken(f.ClientToken)},
			retries: []retry{{Step: f.ID, Attempt: 1, Notice: StaleToken}},
			id:      "tmf-2",
		},
		"Session": {
			reason:  "A replayed create of a session deleted since is sent with the next token once gone-after has passed.",
			step:    s,
			replay:  "tms-old",
			want:    []string{"CreateSession " + s.ClientToken, "CreateSession " + plan.NextToken(s.ClientToken)},
			retries: []retry{{Step: s.ID, Attempt: 1, Notice: StaleToken}},
			id:      "tms-2",
		},
		"MadeByAnotherRun": {
			reason:  "A replayed create whose object is gone, while another run made one with this key: the step takes that one, creates nothing.",
			step:    f,
			replay:  "tmf-old",
			other:   true,
			want:    []string{"CreateFilter " + f.ClientToken},
			retries: []retry{{Step: f.ID, Notice: FoundExisting}},
			id:      "tmf-other",
		},
		"TaggedByHand": {
			reason:  "An object with the key's tags but no tmsync:applied tmsync wrote is not the one: the next generation makes the object.",
			step:    f,
			replay:  "tmf-old",
			byHand:  true,
			want:    []string{"CreateFilter " + f.ClientToken, "CreateFilter " + plan.NextToken(f.ClientToken)},
			retries: []retry{{Step: f.ID, Attempt: 1, Notice: StaleToken}},
			id:      "tmf-3",
		},
		"SlowCreate": {
			reason: "An object List shows, but not Created until after gone-after, is not gone: no next generation.",
			step:   f,
			status: func(_ string, age time.Duration) string {
				if age < 2*goneAfter {
					return cloud.StatusCreating
				}
				return cloud.StatusCreated
			},
			want: []string{"CreateFilter " + f.ClientToken},
			id:   "tmf-2",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.seedFilter("tmf-1")
			c.n = 1
			if tc.replay != "" {
				c.byToken[tc.step.ClientToken] = tc.replay
			}
			if tc.other {
				c.seedFilter("tmf-other")
				c.filters["tmf-other"].Tags = ownTags("web")
			}
			if tc.byHand {
				c.seedFilter("tmf-2")
				c.n = 2
				c.filters["tmf-2"].Tags = cloud.Tags{"tmsync:stack": "web", "tmsync:key": "web"}
			}
			c.status = tc.status
			o := opts()
			o.GoneAfter = goneAfter
			res, events := run(t, clk, planOf(tc.step), c, o)
			if !res.OK() {
				t.Fatalf("%s\nresult %+v", tc.reason, res)
			}
			if diff := cmp.Diff(tc.want, tokens(c.calls)); diff != "" {
				t.Errorf("%s\ncalls (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.retries, retries(events)); diff != "" {
				t.Errorf("%s\nretries (-want +got):\n%s", tc.reason, diff)
			}
			if got := res.IDs[tc.step.ID]; got != tc.id {
				t.Errorf("%s\nID %q, want %q", tc.reason, got, tc.id)
			}
			if n := len(c.calls); n > 1 && c.calls[1].At < goneAfter {
				t.Errorf("%s\nnext generation sent after %s, before gone-after (%s)", tc.reason, c.calls[1].At, goneAfter)
			}
		})
	}
}

func TestMismatchMovesToTheNextGeneration(t *testing.T) {
	f := createFilter("web")
	mismatch := &cloud.APIError{Kind: cloud.KindMismatch, Code: "IdempotentParameterMismatch", RequestID: "REQ-9"}
	t1, t2 := plan.NextToken(f.ClientToken), plan.NextToken(plan.NextToken(f.ClientToken))
	cases := map[string]struct {
		reason  string
		errs    []error
		want    []string
		retries []retry
	}{
		"Once": {
			reason: "A token used with other values is left for the next generation.",
			errs:   []error{mismatch},
			want:   []string{"CreateFilter " + f.ClientToken, "CreateFilter " + t1},
			retries: []retry{
				{Step: f.ID, Attempt: 1, Notice: TokenMismatch, Code: "IdempotentParameterMismatch"},
			},
		},
		"Twice": {
			reason: "Generations are walked one after the other.",
			errs:   []error{mismatch, mismatch},
			want:   []string{"CreateFilter " + f.ClientToken, "CreateFilter " + t1, "CreateFilter " + t2},
			retries: []retry{
				{Step: f.ID, Attempt: 1, Notice: TokenMismatch, Code: "IdempotentParameterMismatch"},
				{Step: f.ID, Attempt: 2, Notice: TokenMismatch, Code: "IdempotentParameterMismatch"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.fail = failing("CreateFilter", tc.errs...)
			res, events := run(t, clk, planOf(f), c, opts())
			if !res.OK() {
				t.Fatalf("%s\nresult %+v", tc.reason, res)
			}
			if diff := cmp.Diff(tc.want, tokens(c.calls)); diff != "" {
				t.Errorf("%s\ncalls (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.retries, retries(events)); diff != "" {
				t.Errorf("%s\nretries (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSourceQuotaFallsBackToRemoveFirst(t *testing.T) {
	quota := &cloud.APIError{Kind: cloud.KindQuota, Code: "QuotaExceeded.TrafficMirrorSource", RequestID: "REQ-7"}
	add := addSources("ids", "tms-1", "eni-b")
	rm := after(removeSources("ids", "tms-1", "eni-a"), add)
	cases := map[string]struct {
		reason  string
		steps   []plan.Step
		calls   []string
		retries []retry
		applied []plan.StepID
		failed  []Failure
		sources []string
	}{
		"RemoveFirst": {
			reason:  "When the API's source limit is lower than planned, the gone sources leave first and the gap is reported.",
			steps:   []plan.Step{add, rm},
			calls:   []string{"AddSources " + add.ClientToken, "RemoveSources " + rm.ClientToken, "AddSources " + add.ClientToken},
			retries: []retry{{Step: add.ID, Notice: SourceGap}},
			applied: []plan.StepID{add.ID, rm.ID},
			failed:  []Failure{},
			sources: []string{"eni-b"},
		},
		"NothingToRemove": {
			reason:  "With no source to remove, the quota error fails the step, with the API's code.",
			steps:   []plan.Step{add},
			calls:   []string{"AddSources " + add.ClientToken},
			applied: []plan.StepID{},
			failed: []Failure{{Step: add.ID, Address: plan.SessionAddr("ids"), Code: quota.Code, RequestID: quota.RequestID,
				Message: quota.Error()}},
			sources: []string{"eni-a"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.seedSession("tms-1", "eni-a")
			c.fail = failing("AddSources", quota)
			res, events := run(t, clk, planOf(tc.steps...), c, opts())
			if diff := cmp.Diff(tc.calls, tokens(c.calls)); diff != "" {
				t.Errorf("%s\ncalls (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.retries, retries(events)); diff != "" {
				t.Errorf("%s\nretries (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.applied, res.Applied); diff != "" {
				t.Errorf("%s\napplied (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.failed, res.Failed); diff != "" {
				t.Errorf("%s\nfailed (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.sources, c.sessions["tms-1"].SourceIDs); diff != "" {
				t.Errorf("%s\nsources (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFailureSkipsDependents(t *testing.T) {
	quota := &cloud.APIError{Kind: cloud.KindInvalid, Code: "InvalidFilterName.Malformed", RequestID: "REQ-1"}
	web, other := createFilter("web"), createFilter("other")
	ids := createSession("ids", web)
	more := after(createSessionOn("more", plan.Ref{ID: "tmf-1"}), ids)
	cases := map[string]struct {
		reason  string
		steps   []plan.Step
		want    *Result
		created int
	}{
		"Chain": {
			reason: "A failed step skips what depends on it, and what depends on those; independent steps run.",
			steps:  []plan.Step{web, ids, more, other},
			want: &Result{
				Applied: []plan.StepID{other.ID},
				Failed: []Failure{{Step: web.ID, Address: plan.FilterAddr("web"), Code: quota.Code, RequestID: quota.RequestID,
					Message: quota.Error()}},
				Skipped: []Skip{
					{Step: ids.ID, Address: plan.SessionAddr("ids"), Because: "depends on filter.web/create-filter/1, which failed"},
					{Step: more.ID, Address: plan.SessionAddr("more"), Because: "depends on session.ids/create-session/1, which was skipped"},
				},
				IDs: map[plan.StepID]string{other.ID: "tmf-1"},
			},
			created: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.fail = func(x call) error {
				if x.Token == web.ClientToken {
					return quota
				}
				return nil
			}
			res, _ := run(t, clk, planOf(tc.steps...), c, opts())
			if diff := cmp.Diff(tc.want, res); diff != "" {
				t.Errorf("%s\nresult (-want +got):\n%s", tc.reason, diff)
			}
			if got := len(c.filters) + len(c.sessions); got != tc.created {
				t.Errorf("%s\n%d objects made, want %d", tc.reason, got, tc.created)
			}
		})
	}
}

func TestParallelism(t *testing.T) {
	five := []plan.Step{createFilter("a"), createFilter("b"), createFilter("c"), createFilter("d"), createFilter("e")}
	chain := []plan.Step{five[0]}
	for _, s := range five[1:] {
		chain = append(chain, after(s, chain[len(chain)-1]))
	}
	cases := map[string]struct {
		reason      string
		parallelism int
		steps       []plan.Step
		settle      time.Duration // how long an object is Creating
		busy        int           // most calls in flight at once
		took        time.Duration
	}{
		"One": {
			reason:      "Parallelism 1 sends one call at a time.",
			parallelism: 1,
			steps:       five,
			busy:        1,
			took:        5 * time.Second,
		},
		"Two": {
			reason:      "Parallelism 2 sends two calls at a time, never more.",
			parallelism: 2,
			steps:       five,
			busy:        2,
			took:        3 * time.Second,
		},
		"Default": {
			reason: "The default (10) sends all five independent calls at once.",
			steps:  five,
			busy:   5,
			took:   time.Second,
		},
		"WaitsHoldNoSlot": {
			reason:      "A step gives its slot back while its object settles: the next call goes at once.",
			parallelism: 1,
			steps:       five,
			settle:      10 * time.Second,
			busy:        1,
			took:        15 * time.Second,
		},
		"Dependent": {
			reason:      "Steps that depend on each other run one after the other, whatever the parallelism.",
			parallelism: 10,
			steps:       chain,
			busy:        1,
			took:        5 * time.Second,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.hold = time.Second
			c.status = func(_ string, age time.Duration) string {
				if age < tc.settle {
					return cloud.StatusCreating
				}
				return cloud.StatusCreated
			}
			o := opts()
			o.Parallelism = tc.parallelism
			o.PollInitial, o.PollMax = time.Millisecond, 10*time.Millisecond
			res, _ := run(t, clk, planOf(tc.steps...), c, o)
			if !res.OK() || len(res.Applied) != len(tc.steps) {
				t.Fatalf("%s\nresult %+v", tc.reason, res)
			}
			if c.maxBusy != tc.busy {
				t.Errorf("%s\n%d calls in flight at most, want %d", tc.reason, c.maxBusy, tc.busy)
			}
			// Every call takes a second; polls take a few milliseconds more.
			if took := clk.since().Truncate(time.Second); took != tc.took {
				t.Errorf("%s\nthe run took %s, want %s", tc.reason, took, tc.took)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	f := createFilter("web")
	s := createSession("ids", f)
	u := renameFilter("old", "tmf-1", "old2")
	invalid := &cloud.APIError{Kind: cloud.KindInvalid, Code: "InvalidName", RequestID: "REQ-3"}
	cases := map[string]struct {
		reason string
		steps  []plan.Step
		fail   func(call) error
		want   *Result
	}{
		"Checks": {
			reason: "Steps whose preconditions hold are checked; the rest are not checkable, with the reason.",
			steps:  []plan.Step{f, s, u},
			want: &Result{Applied: []plan.StepID{}, Failed: []Failure{}, Skipped: []Skip{}, IDs: map[plan.StepID]string{},
				Checked: []plan.StepID{u.ID, f.ID},
				NotCheckable: []Skip{{Step: s.ID, Address: plan.SessionAddr("ids"),
					Because: "its filter is created by filter.web/create-filter/1"}}},
		},
		"CheckFails": {
			reason: "A failed check fails the step, with the API's code; what depends on it is still looked at.",
			steps:  []plan.Step{f, s},
			fail:   failing("CreateFilter", invalid),
			want: &Result{Applied: []plan.StepID{}, Skipped: []Skip{}, IDs: map[plan.StepID]string{},
				Failed:       []Failure{{Step: f.ID, Address: plan.FilterAddr("web"), Code: "InvalidName", RequestID: "REQ-3", Message: invalid.Error()}},
				NotCheckable: []Skip{{Step: s.ID, Address: plan.SessionAddr("ids"), Because: "its filter is created by filter.web/create-filter/1"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.seedFilter("tmf-1")
			c.fail = tc.fail
			o := opts()
			o.DryRun = true
			res, _ := run(t, clk, planOf(tc.steps...), c, o)
			if diff := cmp.Diff(tc.want, res); diff != "" {
				t.Errorf("%s\nresult (-want +got):\n%s", tc.reason, diff)
			}
			if len(c.filters) != 1 || c.filters["tmf-1"].Name != "" || len(c.sessions) != 0 {
				t.Errorf("%s\na dry run changed objects: %v %v", tc.reason, c.filters, c.sessions)
			}
			for _, x := range c.calls {
				own := slices.ContainsFunc(tc.steps, func(s plan.Step) bool { return s.ClientToken == x.Token })
				if !x.DryRun || own {
					t.Errorf("%s\n%s sent with DryRun %v and token %s, want a dry run with a token of its own", tc.reason, x.Action, x.DryRun, x.Token)
				}
			}
		})
	}
}

func TestReplayedWriteIsSentAgain(t *testing.T) {
	up := renameFilter("web", "tmf-1", "web2")
	next := plan.NextToken(up.ClientToken)
	cases := map[string]struct {
		reason  string
		replay  []string
		calls   []string
		retries []retry
		name    string
		failed  int
	}{
		"Fresh": {
			reason: "A write that takes effect is sent once.",
			calls:  []string{"UpdateFilter " + up.ClientToken},
			name:   "web2",
		},
		"Replayed": {
			reason:  "A write the API answers by replaying an earlier one with its token changes nothing: it is sent again with the next token.",
			replay:  []string{up.ClientToken},
			calls:   []string{"UpdateFilter " + up.ClientToken, "UpdateFilter " + next},
			retries: []retry{{Step: up.ID, Attempt: 1, Notice: Replayed}},
			name:    "web2",
		},
		"AlwaysReplayed": {
			reason:  "A write that never takes effect fails after the last generation, never reported as done.",
			replay:  generations(up.ClientToken, maxGenerations+1),
			calls:   prefixed("UpdateFilter ", generations(up.ClientToken, maxGenerations+1)),
			retries: replayRetries(up.ID, maxGenerations),
			name:    "web",
			failed:  1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.seedFilter("tmf-1")
			c.filters["tmf-1"].Name = "web"
			c.replay = map[string]bool{}
			for _, tok := range tc.replay {
				c.replay[tok] = true
			}
			res, events := run(t, clk, planOf(up), c, opts())
			if len(res.Failed) != tc.failed {
				t.Errorf("%s\nfailed: %+v", tc.reason, res.Failed)
			}
			if diff := cmp.Diff(tc.calls, tokens(c.calls)); diff != "" {
				t.Errorf("%s\ncalls (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.retries, retries(events)); diff != "" {
				t.Errorf("%s\nretries (-want +got):\n%s", tc.reason, diff)
			}
			if got := c.filters["tmf-1"].Name; got != tc.name {
				t.Errorf("%s\nname %q, want %q", tc.reason, got, tc.name)
			}
		})
	}
}

// generations returns tok and the next n-1 generations of it.
func generations(tok string, n int) []string {
	out := []string{}
	for range n {
		out = append(out, tok)
		tok = plan.NextToken(tok)
	}
	return out
}

func prefixed(p string, ss []string) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, p+s)
	}
	return out
}

func replayRetries(id plan.StepID, n int) []retry {
	var out []retry
	for i := 1; i <= n; i++ {
		out = append(out, retry{Step: id, Attempt: i, Notice: Replayed})
	}
	return out
}

func TestQuotaStopsCreatesOfItsKind(t *testing.T) {
	quota := &cloud.APIError{Kind: cloud.KindQuota, Code: "QuotaExceeded.TrafficMirrorFilter", RequestID: "REQ-Q"}
	fs := []plan.Step{createFilter("a"), createFilter("b"), createFilter("c"), createFilter("d")}
	ss := createSession("s", fs[3])
	other := createSessionOn("other", plan.Ref{ID: "tmf-1"})
	for i := 1; i < len(fs); i++ {
		fs[i] = after(fs[i], fs[i-1]) // one after the other, so the order is known
	}
	clk := newFakeClock()
	c := newFakeCloud(clk)
	c.seedFilter("tmf-1")
	c.n = 1
	created := 0
	c.fail = func(x call) error {
		if x.Action != "CreateFilter" {
			return nil
		}
		if created == 1 {
			return quota
		}
		created++
		return nil
	}
	res, _ := run(t, clk, planOf(append(append([]plan.Step{}, fs...), ss, other)...), c, opts())
	// a is made, b is refused for quota, c and d are never sent, and
	// what depends on them is skipped; session creates go on.
	got := tokens(c.calls)
	sort.Strings(got)
	if diff := cmp.Diff([]string{"CreateFilter " + fs[0].ClientToken, "CreateFilter " + fs[1].ClientToken,
		"CreateSession " + other.ClientToken}, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]plan.StepID{fs[0].ID, other.ID}, res.Applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	why := quotaReason(plan.OpCreateFilter, "QuotaExceeded.TrafficMirrorFilter, request REQ-Q")
	wantSkips := []Skip{
		{Step: fs[2].ID, Address: fs[2].Addr(), Because: "depends on " + fs[1].ID.String() + ", which failed"},
		{Step: fs[3].ID, Address: fs[3].Addr(), Because: "depends on " + fs[2].ID.String() + ", which was skipped"},
		{Step: ss.ID, Address: ss.Addr(), Because: "depends on " + fs[3].ID.String() + ", which was skipped"},
	}
	if diff := cmp.Diff(wantSkips, res.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	// Independent creates of the refused kind are not sent either.
	clk2 := newFakeClock()
	c2 := newFakeCloud(clk2)
	g := NewQuotaGate()
	g.close(plan.OpCreateFilter, "QuotaExceeded.TrafficMirrorFilter, request REQ-Q")
	o := opts()
	o.Quota = g
	res2, _ := run(t, clk2, planOf(createFilter("x"), createFilter("y")), c2, o)
	if len(c2.calls) != 0 || len(res2.Skipped) != 2 || res2.Skipped[0].Because != why {
		t.Errorf("with the gate closed: calls %v, skipped %+v; want no call and two skips because %q", c2.calls, res2.Skipped, why)
	}
}

func TestRefusedSourceIsLeftOut(t *testing.T) {
	add := addSources("ids", "tms-1", "eni-b", "eni-bad", "eni-c")
	clk := newFakeClock()
	c := newFakeCloud(clk)
	c.seedSession("tms-1", "eni-a")
	c.attaching = map[string]bool{"eni-bad": true}
	res, events := run(t, clk, planOf(add), c, opts())
	if !res.OK() {
		t.Fatalf("result %+v", res)
	}
	shrunk := plan.ShrunkToken(add.ClientToken, []string{"eni-bad"})
	if diff := cmp.Diff([]string{"AddSources " + add.ClientToken, "AddSources " + shrunk}, tokens(c.calls)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"eni-a", "eni-b", "eni-c"}, c.sessions["tms-1"].SourceIDs); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if len(res.LeftOut) != 1 || res.LeftOut[0].ENI != "eni-bad" || res.LeftOut[0].Code != "IncorrectStatus.NetworkInterface" {
		t.Errorf("left out %+v, want eni-bad", res.LeftOut)
	}
	if diff := cmp.Diff([]retry{{Step: add.ID, Notice: SourceRefused, Code: "IncorrectStatus.NetworkInterface"}}, retries(events)); diff != "" {
		t.Errorf("retries (-want +got):\n%s", diff)
	}
}
