package aliyun

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tmsync/tmsync/internal/cloud"
)

// TestMalformedAnswers covers answers the emulator never gives because the
// real API does not either, but a proxy or a broken gateway can: the SDK
// returns no error and a nil body for an empty 200, and a raw decode error
// for a non-JSON page. One handler serves them all; the wire itself is
// tested against the emulator.
func TestMalformedAnswers(t *testing.T) {
	var leaked atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(callHeader) != "" {
			leaked.Store(true)
		}
		switch r.Header.Get("X-Acs-Action") {
		case "ListTrafficMirrorFilters", "DeleteTrafficMirrorSession":
			w.WriteHeader(http.StatusOK) // and no body
		case "GetTrafficMirrorServiceStatus":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
		case "CreateTrafficMirrorFilter":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"RequestId":"R1"}`)) // no filter ID
		case "CreateTrafficMirrorFilterRules":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"RequestId":"R2","IngressRules":[{"InstanceId":"tmr-1"}],"EgressRules":[]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("not found"))
		}
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, "AK", "secret", 0)
	ctx := context.Background()

	type want struct {
		Kind   cloud.ErrorKind
		Status int
	}
	cases := map[string]struct {
		reason string
		call   func() error
		want   want
	}{
		"EmptyList": {
			reason: "an empty 200 must not nil-deref; it is the server's fault",
			call:   func() error { _, err := c.ListFilters(ctx, cloud.ListFiltersInput{}); return err },
			want:   want{cloud.KindServer, 200},
		},
		"EmptyWrite": {
			reason: "an empty 200 to a write is not a success either",
			call:   func() error { return c.DeleteSession(ctx, "tms-1", cloud.WriteOptions{Token: "t"}) },
			want:   want{cloud.KindServer, 200},
		},
		"HTMLGateway": {
			reason: "a non-JSON 502 is a server error, not an SDK decode error",
			call:   func() error { _, err := c.GetServiceStatus(ctx); return err },
			want:   want{cloud.KindServer, 502},
		},
		"HTML404": {
			reason: "a 404 page from something that is not the API is not a not-found of an object",
			call:   func() error { return c.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: "tmf-1", Name: ptr("x")}) },
			want:   want{cloud.KindServer, 404},
		},
		"NoID": {
			reason: "a create answer without the new ID cannot be used",
			call:   func() error { _, err := c.CreateFilter(ctx, cloud.CreateFilterInput{Name: "f"}); return err },
			want:   want{cloud.KindServer, 0},
		},
		"ShortRuleIDs": {
			reason: "rule IDs are matched by position, so a short list is refused",
			call: func() error {
				_, _, err := c.CreateRules(ctx, cloud.CreateRulesInput{FilterID: "tmf-1",
					Ingress: []cloud.Rule{{Priority: 1, Action: "accept", Protocol: "ALL"}},
					Egress:  []cloud.Rule{{Priority: 1, Action: "accept", Protocol: "ALL"}}})
				return err
			},
			want: want{cloud.KindServer, 0},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			var ae *cloud.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("%s\nerror %v (%T) is not a *cloud.APIError", tc.reason, err, err)
			}
			if diff := cmp.Diff(tc.want, want{ae.Kind, ae.HTTPStatus}); diff != "" {
				t.Errorf("%s\nerror %v: -want +got:\n%s", tc.reason, err, diff)
			}
		})
	}
	if leaked.Load() {
		t.Errorf("the %s header reached the server", callHeader)
	}
}

// TestServerDate checks that the API's clock is read even from an error
// answer: a skewed client gets exactly that.
func TestServerDate(t *testing.T) {
	date := time.Date(2026, 11, 27, 4, 12, 40, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", date.Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"RequestId":"R","Code":"InvalidTimeStamp.Expired","Message":"Specified time stamp or date value is expired."}`))
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, "AK", "secret", 0)
	got, err := c.ServerDate(context.Background())
	if err != nil {
		t.Fatalf("ServerDate: %v", err)
	}
	if diff := cmp.Diff(date, got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("ServerDate: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(date, c.LastServerDate(), cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("LastServerDate: -want +got:\n%s", diff)
	}
	_, err = c.GetServiceStatus(context.Background())
	if !cloud.IsKind(err, cloud.KindAuth) {
		t.Errorf("GetServiceStatus with a skewed clock: got %v, want a %v error", err, cloud.KindAuth)
	}
}

// newTestClient returns a client of endpoint signed with a static key.
func newTestClient(t *testing.T, endpoint, id, secret string, timeout time.Duration) *Client {
	t.Helper()
	cred, err := StaticCredential(id, secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(context.Background(), Config{Region: "cn-hongkong", Endpoint: endpoint, Credential: cred, RequestTimeout: timeout})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
