package emulator

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
)

// TestSharedStateFile runs two servers (as two processes would) on one
// state file and creates 500 filters through each at once: the file lock
// must make every read-modify-write see the other's writes.
func TestSharedStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	opts := Options{SkipAuth: true, StateFile: path, Quotas: Quotas{FiltersPerRegion: -1}}
	a, b := start(t, opts), start(t, opts)
	const perServer, workers = 500, 4
	var wg sync.WaitGroup
	errs := make(chan string, 2*perServer)
	for _, srv := range []*Server{a, b} {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(srv *Server, w int) {
				defer wg.Done()
				rc := newRaw(srv)
				for i := w; i < perServer; i += workers {
					st, m, _ := rc.call("CreateTrafficMirrorFilter", map[string]string{"RegionId": testRegion,
						"ClientToken": fmt.Sprintf("%s-%d", srv.Endpoint(), i)})
					if st != 200 {
						errs <- fmt.Sprintf("create = %d %v", st, m)
					}
				}
			}(srv, w)
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	for _, srv := range []*Server{a, b} {
		c := sdk(t, srv)
		seen := map[string]bool{}
		tok := ""
		for {
			req := &vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion), MaxResults: i32(100)}
			if tok != "" {
				req.NextToken = s(tok)
			}
			r, err := c.ListTrafficMirrorFilters(req)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range r.Body.TrafficMirrorFilters {
				seen[tea.StringValue(f.TrafficMirrorFilterId)] = true
			}
			if tok = tea.StringValue(r.Body.NextToken); tok == "" {
				break
			}
		}
		if len(seen) != 2*perServer {
			t.Errorf("server %s lists %d filters, want %d", srv.Endpoint(), len(seen), 2*perServer)
		}
	}
	if na, nb := a.Stats().Creates[typeFilter], b.Stats().Creates[typeFilter]; na != perServer || nb != perServer {
		t.Errorf("Creates = %d and %d, want %d each", na, nb, perServer)
	}
}

// TestRestart closes a server in the middle of transitions and starts
// another on its state file: tokens, deadlines and page tokens survive.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	clk := newClock()
	opts := Options{StateFile: path, Now: clk.Now, AsyncDelay: time.Minute}
	first := start(t, opts)
	c := sdk(t, first)
	r, err := c.CreateTrafficMirrorFilter(createFilterReq("tok-restart", "a"))
	if err != nil {
		t.Fatal(err)
	}
	creating := tea.StringValue(r.Body.TrafficMirrorFilterId)
	r2, err := c.CreateTrafficMirrorFilter(createFilterReq("", "b"))
	if err != nil {
		t.Fatal(err)
	}
	deleting := tea.StringValue(r2.Body.TrafficMirrorFilterId)
	clk.Advance(time.Minute)
	if _, err := c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(deleting)}); err != nil {
		t.Fatal(err)
	}
	lr, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion), MaxResults: i32(1)})
	if err != nil {
		t.Fatal(err)
	}
	pageToken := tea.StringValue(lr.Body.NextToken)
	// A third filter, created just before the restart, is still Creating.
	clk.Advance(10 * time.Second)
	r3, err := c.CreateTrafficMirrorFilter(createFilterReq("tok-late", "c"))
	if err != nil {
		t.Fatal(err)
	}
	late := tea.StringValue(r3.Body.TrafficMirrorFilterId)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	var raw map[string]any
	if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &raw) != nil || raw["format"] != float64(stateFormat) {
		t.Fatalf("state file: %v %v", err, raw["format"])
	}

	second := start(t, opts)
	c = sdk(t, second)
	status := func(id string) string {
		f := listFilter(t, c, id)
		if f == nil {
			return "gone"
		}
		return tea.StringValue(f.TrafficMirrorFilterStatus)
	}
	if got := status(late); got != "Creating" {
		t.Errorf("in-flight create after restart = %s, want Creating", got)
	}
	if got := status(deleting); got != "Deleting" {
		t.Errorf("in-flight delete after restart = %s, want Deleting", got)
	}
	again, err := c.CreateTrafficMirrorFilter(createFilterReq("tok-late", "c"))
	if err != nil || tea.StringValue(again.Body.TrafficMirrorFilterId) != late {
		t.Errorf("token after restart = %v, %v; want %s replayed", again, err, late)
	}
	if _, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion), MaxResults: i32(1), NextToken: s(pageToken)}); err != nil {
		t.Errorf("a page token from before the restart: %v", err)
	}
	clk.Advance(time.Minute)
	if got := status(late); got != "Created" {
		t.Errorf("after the deadline = %s, want Created", got)
	}
	if got := status(deleting); got != "gone" {
		t.Errorf("after the deadline = %s, want gone", got)
	}
	if got := status(creating); got != "Created" {
		t.Errorf("settled filter = %s", got)
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	srv := start(t, Options{SkipAuth: true, StateFile: filepath.Join(dir, "ok.json")})
	_ = srv
	if _, err := NewServer(Options{StateFile: bad}); err == nil {
		t.Errorf("a corrupt state file must refuse to start")
	}
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"format": 99}`), 0o600)
	if _, err := NewServer(Options{StateFile: future}); err == nil {
		t.Errorf("a state file of a newer format must refuse to start")
	}
}
