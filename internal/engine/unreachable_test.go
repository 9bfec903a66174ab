package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// errRefused is a connection refused, as the aliyun client returns it.
var errRefused = &cloud.APIError{Kind: cloud.KindServer, Message: "GetTrafficMirrorServiceStatus: dial tcp 127.0.0.1:1: connect: connection refused",
	Err: &url.Error{Op: "Post", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}}

// errNoHost is a host name that does not resolve.
var errNoHost = &cloud.APIError{Kind: cloud.KindServer, Message: "GetTrafficMirrorServiceStatus: dial tcp: lookup vpc.x: no such host",
	Err: &url.Error{Op: "Post", URL: "https://vpc.x/", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &net.DNSError{Err: "no such host", Name: "vpc.x", IsNotFound: true}}}}

// TestReadUnreachable: the reads before a plan give up on an endpoint that
// cannot be reached at all after UnreachableFor, however long --timeout
// is, with an error that names the endpoint; other refusals for now are
// retried for the whole --timeout as before; every retry is an event with
// its attempt, reason and elapsed time; and the stacks of one account and
// region share the failed read.
func TestReadUnreachable(t *testing.T) {
	type want struct {
		failure cloud.NetFailure
		calls   int
		retries []int // the Attempt of each ReadRetrying event
		maxTime time.Duration
		minTime time.Duration
	}
	cases := map[string]struct {
		reason  string
		errs    []error // what GetServiceStatus answers, in turn; the last one repeats; nil is success
		stacks  int     // of one region
		timeout time.Duration
		want    want
	}{
		"Refused": {
			reason: "nothing listens at the endpoint: the run ends after UnreachableFor, not after --timeout",
			errs:   []error{errRefused},
			stacks: 1,
			want:   want{failure: cloud.Refused, calls: 7, retries: []int{1, 2, 3, 4, 5, 6}, maxTime: UnreachableFor},
		},
		"RefusedShortTimeout": {
			reason: "a --timeout shorter than UnreachableFor ends the read first, with the same error",
			errs:   []error{errRefused},
			stacks: 1, timeout: time.Second,
			want: want{failure: cloud.Refused, calls: 3, retries: []int{1, 2}, maxTime: time.Second},
		},
		"NoHost": {
			reason: "a host name that does not resolve ends the run as soon",
			errs:   []error{errNoHost},
			stacks: 1,
			want:   want{failure: cloud.NoHost, calls: 7, retries: []int{1, 2, 3, 4, 5, 6}, maxTime: UnreachableFor},
		},
		"Blip": {
			reason: "an endpoint that comes back within UnreachableFor is read",
			errs:   []error{errRefused, errRefused, nil},
			stacks: 1,
			want:   want{calls: 3, retries: []int{1, 2}},
		},
		"Throttled": {
			reason: "the API answering for now is retried for --timeout, past UnreachableFor",
			errs:   []error{errThrottled, errThrottled, errThrottled, errThrottled, errThrottled, errThrottled, errThrottled, errThrottled, errThrottled, nil},
			stacks: 1,
			want:   want{calls: 10, retries: []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, minTime: UnreachableFor},
		},
		"Shared": {
			reason: "three stacks of one region share the read that failed, and its error",
			errs:   []error{errRefused},
			stacks: 3,
			want:   want{failure: cloud.Refused, calls: 7, retries: []int{1, 2, 3, 4, 5, 6}, maxTime: UnreachableFor},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			timeout := 5 * time.Minute
			if tc.timeout > 0 {
				timeout = tc.timeout
			}
			calls := 0
			open := func(context.Context, string, string) (cloud.Client, func() error, error) {
				return &fakeClient{region: "cn-hangzhou", serviceStatus: func(context.Context) (bool, error) {
					calls++
					err := tc.errs[min(calls, len(tc.errs))-1]
					return err == nil, err
				}}, func() error { return nil }, nil
			}
			e := New(Options{Open: open, Clock: clock, Rand: rand.NewPCG(1, 2), LockDir: t.TempDir(),
				Apply: apply.Options{Timeout: timeout, RetryBase: 200 * time.Millisecond, RetryMax: 10 * time.Second}})
			var stacks []*spec.Stack
			for _, n := range []string{"a", "b", "c"}[:tc.stacks] {
				stacks = append(stacks, &spec.Stack{Name: n, Region: "cn-hangzhou"})
			}
			start := clock.Now()
			var retries []int
			var last *Retry
			runs := e.Plan(context.Background(), stacks, func(ev Event) {
				if ev.Type != ReadRetrying {
					return
				}
				retries = append(retries, ev.Retry.Attempt)
				if last != nil && ev.Retry.Elapsed < last.Elapsed+last.Wait {
					t.Errorf("attempt %d: elapsed %s, want at least %s after the last wait", ev.Retry.Attempt, ev.Retry.Elapsed, last.Elapsed+last.Wait)
				}
				if ev.Retry.Err == nil || ev.Retry.Endpoint != "fake" || ev.Retry.Region != "cn-hangzhou" {
					t.Errorf("attempt %d: %+v, want the endpoint, region and error", ev.Retry.Attempt, ev.Retry)
				}
				last = ev.Retry
			})
			took := clock.Now().Sub(start)
			for _, r := range runs {
				var ue *cloud.UnreachableError
				got := cloud.NotUnreachable
				if errors.As(r.Err, &ue) {
					got = ue.Failure
					if ue.Endpoint != "fake" {
						t.Errorf("%s\nstack %s: the error names endpoint %q, want %q", tc.reason, r.Stack.Name, ue.Endpoint, "fake")
					}
				} else if r.Err != nil && tc.want.failure != cloud.NotUnreachable {
					t.Errorf("%s\nstack %s: error %v, want a *cloud.UnreachableError", tc.reason, r.Stack.Name, r.Err)
				}
				if got != tc.want.failure {
					t.Errorf("%s\nstack %s: failure %v (error %v), want %v", tc.reason, r.Stack.Name, got, r.Err, tc.want.failure)
				}
				if tc.want.failure == cloud.NotUnreachable && r.Err != nil {
					t.Errorf("%s\nstack %s: error %v", tc.reason, r.Stack.Name, r.Err)
				}
			}
			if calls != tc.want.calls {
				t.Errorf("%s\ncalls %d, want %d", tc.reason, calls, tc.want.calls)
			}
			if diff := cmp.Diff(tc.want.retries, retries); diff != "" {
				t.Errorf("%s\nattempts of the retry events -want +got:\n%s", tc.reason, diff)
			}
			if tc.want.maxTime > 0 && took > tc.want.maxTime {
				t.Errorf("%s\ntook %s, want at most %s", tc.reason, took, tc.want.maxTime)
			}
			if took < tc.want.minTime {
				t.Errorf("%s\ntook %s, want at least %s", tc.reason, took, tc.want.minTime)
			}
		})
	}
}
