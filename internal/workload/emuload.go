package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tmsync/tmsync/internal/emulator"
)

// A Load is an emulator holding a region of filters and sessions, and
// plain HTTP clients that measure how many requests a second it serves.
// The requests are unsigned (the emulator has no access keys) and built
// by hand, so that the clients cost little next to the server: what is
// measured is the emulator.
type Load struct {
	srv      *emulator.Server
	url      string
	hc       *http.Client
	region   string
	filters  []string
	sessions []string
	seq      atomic.Int64
}

// LoadConfig sets up a Load.
type LoadConfig struct {
	// Filters and Sessions are made before measuring; filters have 1 to
	// 10 rules, sessions 1 to 10 sources.
	Filters, Sessions int
	// StateFile keeps the emulator's state in a file (as --endpoint local
	// does); empty keeps it in memory.
	StateFile string
	Seed      int64
}

// NewLoad starts an emulator and fills its region. Objects settle at
// once: the emulator runs with no latency and no asynchronous delay.
func NewLoad(cfg LoadConfig) (*Load, error) {
	srv, err := emulator.NewServer(emulator.Options{Seed: cfg.Seed + 1, StateFile: cfg.StateFile,
		Quotas: emulator.Quotas{FiltersPerRegion: -1, SessionsPerRegion: -1}})
	if err != nil {
		return nil, err
	}
	l := &Load{srv: srv, url: srv.URL() + "/", region: "cn-hangzhou",
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}}
	rng := rand.New(rand.NewSource(cfg.Seed))
	for range cfg.Filters {
		p := l.params("CreateTrafficMirrorFilter")
		p.Set("ClientToken", l.token())
		n := 1 + rng.Intn(10)
		for i := range n {
			dir := "IngressRules"
			if i%2 == 1 {
				dir = "EgressRules"
			}
			r := RandomRule(rng, i/2+1)
			pre := fmt.Sprintf("%s.%d.", dir, i/2+1)
			p.Set(pre+"Priority", strconv.Itoa(r.Priority))
			p.Set(pre+"Action", r.Action)
			p.Set(pre+"Protocol", r.Protocol)
			if r.IPVersion != "" {
				p.Set(pre+"IpVersion", r.IPVersion)
			}
			p.Set(pre+"DestinationCidrBlock", r.DestCIDR)
			if r.DestPort != "" {
				port := r.DestPort
				if !strings.Contains(port, "/") {
					port += "/" + port
				}
				p.Set(pre+"DestinationPortRange", port)
			}
		}
		var out struct{ TrafficMirrorFilterId string }
		if err := l.call(p, &out); err != nil {
			l.Close()
			return nil, fmt.Errorf("create filter: %w", err)
		}
		l.filters = append(l.filters, out.TrafficMirrorFilterId)
	}
	for i := range cfg.Sessions {
		if len(l.filters) == 0 {
			break
		}
		p := l.params("CreateTrafficMirrorSession")
		p.Set("ClientToken", l.token())
		p.Set("TrafficMirrorFilterId", l.filters[rng.Intn(len(l.filters))])
		p.Set("TrafficMirrorTargetId", fmt.Sprintf("eni-tgt%05d", i%97))
		p.Set("TrafficMirrorTargetType", "NetworkInterface")
		p.Set("Priority", strconv.Itoa(i+1))
		for j, src := range RandomSources(rng, 1+rng.Intn(10)) {
			p.Set(fmt.Sprintf("TrafficMirrorSourceIds.%d", j+1), src)
		}
		var out struct{ TrafficMirrorSessionId string }
		if err := l.call(p, &out); err != nil {
			l.Close()
			return nil, fmt.Errorf("create session: %w", err)
		}
		l.sessions = append(l.sessions, out.TrafficMirrorSessionId)
	}
	return l, nil
}

// Close stops the emulator.
func (l *Load) Close() {
	l.hc.CloseIdleConnections()
	l.srv.Close()
}

func (l *Load) params(action string) url.Values {
	return url.Values{"Action": {action}, "Version": {"2016-04-28"}, "RegionId": {l.region}}
}

// token returns a ClientToken used once, as tmsync sends with every write.
func (l *Load) token() string { return "load-" + strconv.FormatInt(l.seq.Add(1), 10) }

// call sends one request and decodes a success answer into out.
func (l *Load) call(p url.Values, out any) error {
	resp, err := l.hc.Post(l.url, "application/x-www-form-urlencoded", strings.NewReader(p.Encode()))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", p.Get("Action"), resp.StatusCode, body)
	}
	switch out := out.(type) {
	case nil:
		return nil
	case *string:
		// The NextToken of a List page, found without decoding the
		// page: the client should cost little next to the server.
		*out = ""
		const key = `"NextToken":"`
		if i := bytes.Index(body, []byte(key)); i >= 0 {
			rest := body[i+len(key):]
			if j := bytes.IndexByte(rest, '"'); j >= 0 {
				*out = string(rest[:j])
			}
		}
		return nil
	}
	return json.Unmarshal(body, out)
}

// run sends n requests from workers clients; next makes the i-th request
// of a worker.
func (l *Load) run(ctx context.Context, n, workers int, next func(worker, i int) (url.Values, any)) error {
	var wg sync.WaitGroup
	var sent atomic.Int64
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; sent.Add(1) <= int64(n); i++ {
				if ctx.Err() != nil {
					errs <- ctx.Err()
					return
				}
				p, out := next(w, i)
				if err := l.call(p, out); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// Lists sends n List requests of 100 objects a page from workers clients,
// each walking the filter pages, then the session pages, over and over.
func (l *Load) Lists(ctx context.Context, n, workers int) error {
	type cursor struct {
		action, next string
	}
	cursors := make([]cursor, workers)
	next := make([]string, workers)
	return l.run(ctx, n, workers, func(w, i int) (url.Values, any) {
		c := &cursors[w]
		if i > 0 {
			c.next = next[w]
		}
		if c.action == "" || (i > 0 && c.next == "") {
			if c.action == "ListTrafficMirrorFilters" {
				c.action = "ListTrafficMirrorSessions"
			} else {
				c.action = "ListTrafficMirrorFilters"
			}
			c.next = ""
		}
		p := l.params(c.action)
		p.Set("MaxResults", "100")
		if c.next != "" {
			p.Set("NextToken", c.next)
		}
		return p, &next[w]
	})
}

// Writes sends n writes from workers clients, each with a token of its
// own: updates of a filter's description and a session's name, taking
// turns, each worker on objects of its own (a write to an object another
// is writing would be refused as a conflict).
func (l *Load) Writes(ctx context.Context, n, workers int) error {
	if len(l.filters) < workers || len(l.sessions) < workers {
		return fmt.Errorf("writes need at least %d filters and sessions", workers)
	}
	return l.run(ctx, n, workers, func(w, i int) (url.Values, any) {
		k := (i/2*workers + w)
		var p url.Values
		if i%2 == 0 {
			p = l.params("UpdateTrafficMirrorFilterAttribute")
			p.Set("TrafficMirrorFilterId", l.filters[k%(len(l.filters)/workers*workers)])
			p.Set("TrafficMirrorFilterDescription", "load "+strconv.Itoa(i))
		} else {
			p = l.params("UpdateTrafficMirrorSessionAttribute")
			p.Set("TrafficMirrorSessionId", l.sessions[k%(len(l.sessions)/workers*workers)])
			p.Set("TrafficMirrorSessionName", "load-"+strconv.Itoa(i))
		}
		p.Set("ClientToken", l.token())
		return p, nil
	})
}
