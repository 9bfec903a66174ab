package aliyun_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/emulator"
)

// TestErrorKinds checks that each failure the API (or the network) can
// answer comes back as a *cloud.APIError of the right kind, with the API's
// code, status and request ID, and the message without the SDK's wrapper.
func TestErrorKinds(t *testing.T) {
	type want struct {
		Kind      cloud.ErrorKind
		Code      string // prefix; "" = no API code
		Status    int
		RequestID bool
	}
	filter := func(t *testing.T, c cloud.Client) string {
		return must(c.CreateFilter(context.Background(), cloud.CreateFilterInput{Name: "f"}))(t)
	}
	cases := map[string]struct {
		reason string
		emu    func(*emulator.Options)
		call   func(t *testing.T, srv *emulator.Server, c cloud.Client) error
		want   want
	}{
		"NotFound": {
			reason: "an unknown filter",
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				return c.UpdateFilter(context.Background(), cloud.UpdateFilterInput{ID: "tmf-doesnotexist00000000", Name: ptr("x")})
			},
			want: want{cloud.KindNotFound, "ResourceNotFound.TrafficMirrorFilter", 404, true},
		},
		"Busy": {
			reason: "a write to a filter still Creating",
			emu:    func(o *emulator.Options) { o.AsyncDelay = time.Hour },
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				id := filter(t, c)
				return c.UpdateFilter(context.Background(), cloud.UpdateFilterInput{ID: id, Name: ptr("x")})
			},
			want: want{cloud.KindBusy, "IncorrectStatus.TrafficMirrorFilter", 400, true},
		},
		"Throttled": {
			reason: "flow control",
			emu: func(o *emulator.Options) {
				o.Faults = []emulator.Fault{{Action: "ListTrafficMirrorFilters", Kind: emulator.FaultThrottle}}
			},
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				_, err := c.ListFilters(context.Background(), cloud.ListFiltersInput{})
				return err
			},
			want: want{cloud.KindThrottled, "Throttling.User", 400, true},
		},
		"Unavailable": {
			reason: "a 503 is the server's",
			emu: func(o *emulator.Options) {
				o.Faults = []emulator.Fault{{Action: "GetTrafficMirrorServiceStatus", Kind: emulator.FaultUnavailable}}
			},
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				_, err := c.GetServiceStatus(context.Background())
				return err
			},
			want: want{cloud.KindServer, "ServiceUnavailable", 503, true},
		},
		"SystemBusy": {
			reason: "SystemBusy is retryable",
			emu: func(o *emulator.Options) {
				o.Faults = []emulator.Fault{{Action: "CreateTrafficMirrorFilter", Kind: emulator.FaultBusy}}
			},
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				_, err := c.CreateFilter(context.Background(), cloud.CreateFilterInput{Name: "f"})
				return err
			},
			want: want{cloud.KindServer, "SystemBusy", 0, true},
		},
		"DryRun": {
			reason: "a dry run that passes answers DryRunOperation",
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				_, err := c.CreateFilter(context.Background(), cloud.CreateFilterInput{
					WriteOptions: cloud.WriteOptions{Token: "tm1-dry", DryRun: true}, Name: "f"})
				return err
			},
			want: want{cloud.KindDryRunPassed, "DryRunOperation", 400, true},
		},
		"Mismatch": {
			reason: "one token, other parameters",
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				ctx := context.Background()
				must(c.CreateFilter(ctx, cloud.CreateFilterInput{WriteOptions: cloud.WriteOptions{Token: "tm1-t"}, Name: "a"}))(t)
				_, err := c.CreateFilter(ctx, cloud.CreateFilterInput{WriteOptions: cloud.WriteOptions{Token: "tm1-t"}, Name: "b"})
				return err
			},
			want: want{cloud.KindMismatch, "IdempotentParameterMismatch", 400, true},
		},
		"Invalid": {
			reason: "a rule priority out of range",
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				_, err := c.CreateFilter(context.Background(), cloud.CreateFilterInput{Name: "f", Ingress: []cloud.Rule{
					{Priority: 99, Action: "accept", Protocol: cloud.ProtoALL, SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0"}}})
				return err
			},
			want: want{cloud.KindInvalid, "", 400, true},
		},
		"Quota": {
			reason: "more filters than the region allows",
			emu:    func(o *emulator.Options) { o.Quotas.FiltersPerRegion = 1 },
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				filter(t, c)
				_, err := c.CreateFilter(context.Background(), cloud.CreateFilterInput{Name: "g"})
				return err
			},
			want: want{cloud.KindQuota, "QuotaExceeded", 400, true},
		},
		"WrongSecret": {
			reason: "a signature made with the wrong secret",
			call: func(t *testing.T, srv *emulator.Server, _ cloud.Client) error {
				_, err := dial(t, srv.URL(), "not-the-secret", time.Second).ListFilters(context.Background(), cloud.ListFiltersInput{})
				return err
			},
			want: want{cloud.KindAuth, "SignatureDoesNotMatch", 400, true},
		},
		"ClosedServer": {
			reason: "nothing listens: a network error, retryable, with the cause kept",
			call: func(t *testing.T, srv *emulator.Server, _ cloud.Client) error {
				c := dial(t, srv.URL(), testSecret, time.Second)
				srv.Close()
				_, err := c.ListFilters(context.Background(), cloud.ListFiltersInput{})
				var ue *url.Error
				if !errors.As(err, &ue) {
					t.Errorf("network error %v does not keep the *url.Error", err)
				}
				return err
			},
			want: want{Kind: cloud.KindServer},
		},
		"Timeout": {
			reason: "an answer that never comes ends at the request timeout",
			emu: func(o *emulator.Options) {
				o.Faults = []emulator.Fault{{Action: "ListTrafficMirrorFilters", Kind: emulator.FaultHang}}
			},
			call: func(t *testing.T, srv *emulator.Server, _ cloud.Client) error {
				start := time.Now()
				_, err := dial(t, srv.URL(), testSecret, 200*time.Millisecond).ListFilters(context.Background(), cloud.ListFiltersInput{})
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("timeout %v is not context.DeadlineExceeded", err)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("the request timeout of 200ms took %s", d)
				}
				return err
			},
			want: want{Kind: cloud.KindServer},
		},
		"Cancelled": {
			reason: "the caller's cancellation ends a request in flight (the SDK has no context)",
			emu: func(o *emulator.Options) {
				o.Faults = []emulator.Fault{{Action: "ListTrafficMirrorSessions", Kind: emulator.FaultHang}}
			},
			call: func(t *testing.T, _ *emulator.Server, c cloud.Client) error {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				_, err := c.ListSessions(ctx, cloud.ListSessionsInput{})
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("cancelled call %v is not the context's error", err)
				}
				return err
			},
			want: want{Kind: cloud.KindServer},
		},
		"CancelledBefore": {
			reason: "a call with a dead context is never sent",
			call: func(t *testing.T, srv *emulator.Server, c cloud.Client) error {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				var err error
				if n := calls(srv, "DeleteTrafficMirrorFilter", func() {
					err = c.DeleteFilter(ctx, "tmf-x", cloud.WriteOptions{})
				}); n != 0 {
					t.Errorf("a cancelled call reached the server %d times", n)
				}
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v is not context.Canceled", err)
				}
				return err
			},
			want: want{Kind: cloud.KindServer},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startEmulator(t, tc.emu)
			c := dial(t, srv.URL(), testSecret, 5*time.Second)
			err := tc.call(t, srv, c)
			var ae *cloud.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("%s\nerror %v (%T) is not a *cloud.APIError", tc.reason, err, err)
			}
			got := want{Kind: ae.Kind, Status: ae.HTTPStatus, RequestID: ae.RequestID != ""}
			if tc.want.Code != "" && strings.HasPrefix(ae.Code, tc.want.Code) {
				got.Code = tc.want.Code
			} else {
				got.Code = ae.Code
			}
			if tc.want.Code == "" && tc.want.Kind == cloud.KindInvalid {
				got.Code = "" // any code of the invalid family
			}
			if tc.want.Status == 0 {
				got.Status = 0 // not pinned (SystemBusy's status is unconfirmed)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nerror %v: -want +got:\n%s", tc.reason, err, diff)
			}
			if ae.Message == "" || containsAny(ae.Message, "code: ", "request id:") {
				t.Errorf("%s\nmessage %q is empty or keeps the SDK's wrapper", tc.reason, ae.Message)
			}
			if ae.Code == "" && ae.Err == nil {
				t.Errorf("%s\na transport error keeps no cause", tc.reason)
			}
		})
	}
}

// TestConflict holds one write in flight and sends another to the same
// filter: one of the two is refused with the conflict kind.
func TestConflict(t *testing.T) {
	srv, c := setup(t, nil)
	ctx := context.Background()
	id := must(c.CreateFilter(ctx, cloud.CreateFilterInput{Name: "f"}))(t)
	release := srv.Hold("UpdateTrafficMirrorFilterAttribute")
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: id, Name: ptr(name)})
		}()
	}
	// Whichever claimed the filter second is refused at once; the other
	// waits for the hold.
	first := <-errs
	release()
	wg.Wait()
	second := <-errs
	if !cloud.IsKind(first, cloud.KindConflict) {
		t.Errorf("the overlapping write: got %v, want a %v error", first, cloud.KindConflict)
	}
	if second != nil {
		t.Errorf("the held write: %v", second)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
