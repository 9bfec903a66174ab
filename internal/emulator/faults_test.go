package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
	"github.com/google/go-cmp/cmp"
)

func TestParseFaults(t *testing.T) {
	cases := map[string]struct {
		reason  string
		spec    string
		want    []Fault
		wantErr bool
	}{
		"example": {reason: "the documented example",
			spec: "CreateTrafficMirrorFilter:drop:1.0:1,*:throttle:0.2",
			want: []Fault{{Action: "CreateTrafficMirrorFilter", Kind: "drop", Probability: 1, Count: 1}, {Action: "*", Kind: "throttle", Probability: 0.2}}},
		"durations": {reason: "empty fields keep their defaults",
			spec: " ListTrafficMirrorFilters:latency:::200ms , *:clock:1:0:-20m,CreateTrafficMirrorSession:listlag:::2s",
			want: []Fault{{Action: "ListTrafficMirrorFilters", Kind: "latency", Duration: 200 * time.Millisecond},
				{Action: "*", Kind: "clock", Probability: 1, Duration: -20 * time.Minute},
				{Action: "CreateTrafficMirrorSession", Kind: "listlag", Duration: 2 * time.Second}}},
		"empty":          {reason: "no faults", spec: "", want: nil},
		"unknown kind":   {reason: "kinds are a closed set", spec: "*:explode", wantErr: true},
		"probability":    {reason: "0..1", spec: "*:throttle:1.5", wantErr: true},
		"count":          {reason: "a number", spec: "*:throttle:1:x", wantErr: true},
		"no duration":    {reason: "latency needs one", spec: "*:latency", wantErr: true},
		"negative delay": {reason: "only clock may go back", spec: "*:latency:1:0:-1s", wantErr: true},
		"too many parts": {reason: "five fields at most", spec: "a:drop:1:1:1s:x", wantErr: true},
		"one part":       {reason: "action and kind are needed", spec: "drop", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseFaults(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s: ParseFaults(%q) error = %v, want error %v", tc.reason, tc.spec, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func countFilters(t *testing.T, c *vpc.Client) int {
	t.Helper()
	r, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion), MaxResults: i32(100)})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return len(r.Body.TrafficMirrorFilters)
}

func TestFaultErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		reason     string
		kind       string
		wantCode   string
		wantStatus int
	}{
		"throttle":    {reason: "user flow control", kind: FaultThrottle, wantCode: "Throttling.User", wantStatus: 400},
		"unavailable": {reason: "a temporary failure", kind: FaultUnavailable, wantCode: "ServiceUnavailable", wantStatus: 503},
		"busy":        {reason: "a busy backend", kind: FaultBusy, wantCode: "SystemBusy", wantStatus: 503},
	} {
		t.Run(name, func(t *testing.T) {
			srv := start(t, Options{Faults: []Fault{{Action: "CreateTrafficMirrorFilter", Kind: tc.kind, Count: 1}}})
			c := sdk(t, srv)
			_, err := c.CreateTrafficMirrorFilter(createFilterReq("t1", "a"))
			if got, status := code(err); got != tc.wantCode || status != tc.wantStatus {
				t.Errorf("%s: got %s %d, want %s %d", tc.reason, got, status, tc.wantCode, tc.wantStatus)
			}
			if n := countFilters(t, c); n != 0 {
				t.Errorf("a refused request created %d filters", n)
			}
			if _, err := c.CreateTrafficMirrorFilter(createFilterReq("t1", "a")); err != nil {
				t.Errorf("the retry after a used-up fault: %v", err)
			}
			if got := srv.Faults(); len(got) != 1 || got[0].Count != 0 {
				t.Errorf("Faults() = %+v, want the count used up", got)
			}
		})
	}
}

func TestFaultDrop(t *testing.T) {
	srv := start(t, Options{Faults: []Fault{{Action: "CreateTrafficMirrorFilter", Kind: FaultDrop, Count: 1}}})
	c := sdk(t, srv)
	_, err := c.CreateTrafficMirrorFilter(createFilterReq("tok-drop", "a"))
	var se *tea.SDKError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("a dropped answer = %v, want a transport error", err)
	}
	r, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion)})
	if err != nil || len(r.Body.TrafficMirrorFilters) != 1 {
		t.Fatalf("after a dropped create: %v, %v; want the filter made", r, err)
	}
	again, err := c.CreateTrafficMirrorFilter(createFilterReq("tok-drop", "a"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tea.StringValue(again.Body.TrafficMirrorFilterId), tea.StringValue(r.Body.TrafficMirrorFilters[0].TrafficMirrorFilterId); got != want {
		t.Errorf("retry with the token answered %s, want %s", got, want)
	}
	if n := countFilters(t, c); n != 1 || srv.Stats().TokenReplays != 1 {
		t.Errorf("%d filters, %d replays; want 1, 1", n, srv.Stats().TokenReplays)
	}
}

func TestFaultHang(t *testing.T) {
	srv := start(t, Options{SkipAuth: true, Faults: []Fault{{Action: "CreateTrafficMirrorFilter", Kind: FaultHang, Count: 1}}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	q := url.Values{"Action": {"CreateTrafficMirrorFilter"}, "Version": {"2016-04-28"}, "RegionId": {testRegion}, "ClientToken": {"tok-hang"}}
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL()+"/?"+q.Encode(), nil)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a hanging answer = %v, want the client's deadline", err)
	}
	c := sdk(t, srv)
	if n := countFilters(t, c); n != 1 {
		t.Errorf("after a hang %d filters, want the change made", n)
	}
	// The hang ends when the server closes, too.
	srv.SetFaults([]Fault{{Action: "ListTrafficMirrorFilters", Kind: FaultHang}})
	done := make(chan error, 1)
	go func() {
		_, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion)})
		done <- err
	}()
	eventually(t, "the list to arrive", func() bool { return srv.Stats().Calls["ListTrafficMirrorFilters"] == 2 })
	srv.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("a hanging list answered")
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Close did not end the hanging request")
	}
}

func TestFaultListLag(t *testing.T) {
	clk := newClock()
	srv := start(t, Options{Now: clk.Now, Faults: []Fault{{Action: "CreateTrafficMirrorFilter", Kind: FaultListLag, Duration: time.Minute}}})
	c := sdk(t, srv)
	r, err := c.CreateTrafficMirrorFilter(createFilterReq("", "a"))
	if err != nil {
		t.Fatal(err)
	}
	id := tea.StringValue(r.Body.TrafficMirrorFilterId)
	if f := listFilter(t, c, id); f != nil {
		t.Errorf("a lagging filter showed at once")
	}
	// It exists, though: writes see it.
	if _, err := c.TagResources(&vpc.TagResourcesRequest{RegionId: s(testRegion), ResourceType: s("TrafficMirrorFilter"),
		ResourceId: []*string{s(id)}, Tag: []*vpc.TagResourcesRequestTag{{Key: s("a"), Value: s("b")}}}); err != nil {
		t.Errorf("tag a lagging filter: %v", err)
	}
	clk.Advance(time.Minute)
	if f := listFilter(t, c, id); f == nil {
		t.Errorf("the filter is still hidden after the lag")
	}
}

func TestFaultLatencyAndClock(t *testing.T) {
	srv := start(t, Options{Faults: []Fault{
		{Action: "ListTrafficMirrorFilters", Kind: FaultLatency, Duration: 50 * time.Millisecond},
		{Action: "ListTrafficMirrorSessions", Kind: FaultClock, Duration: 20 * time.Minute},
	}})
	c := sdk(t, srv)
	t0 := time.Now()
	if _, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion)}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Errorf("a request with 50ms of latency took %v", d)
	}
	_, err := c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{RegionId: s(testRegion)})
	if got, _ := code(err); got != "InvalidTimeStamp.Expired" {
		t.Errorf("a request 20 minutes off the server's clock = %s", got)
	}
}

func TestFaultProbabilityIsSeeded(t *testing.T) {
	pattern := func() []bool {
		srv := start(t, Options{SkipAuth: true, Seed: 42, Faults: []Fault{{Action: "*", Kind: FaultThrottle, Probability: 0.5}}})
		rc := newRaw(srv)
		var out []bool
		for i := 0; i < 100; i++ {
			st, _, _ := rc.call("GetTrafficMirrorServiceStatus", map[string]string{})
			out = append(out, st == 400)
		}
		return out
	}
	a, b := pattern(), pattern()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("one seed, two patterns (-first +second):\n%s", diff)
	}
	n := 0
	for _, hit := range a {
		if hit {
			n++
		}
	}
	if n < 25 || n > 75 {
		t.Errorf("probability 0.5 hit %d of 100", n)
	}
}
