package cloud

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readClient answers the reads of a snapshot with its function fields; any
// other call panics (the embedded interface is nil).
type readClient struct {
	Client
	mu           sync.Mutex
	calls        []string
	enabled      bool
	listFilters  func(context.Context) ([]Filter, error)
	listSessions func(context.Context) ([]Session, error)
}

func (c *readClient) called(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, name)
}

func (c *readClient) Region() string { return "cn-hangzhou" }

func (c *readClient) GetServiceStatus(context.Context) (bool, error) {
	c.called("GetServiceStatus")
	return c.enabled, nil
}

func (c *readClient) ListFilters(ctx context.Context, _ ListFiltersInput) ([]Filter, error) {
	c.called("ListFilters")
	return c.listFilters(ctx)
}

func (c *readClient) ListSessions(ctx context.Context, _ ListSessionsInput) ([]Session, error) {
	c.called("ListSessions")
	return c.listSessions(ctx)
}

// TestReadSnapshot checks that the service status is read first, that
// filters and sessions are then read side by side, and that the first error
// ends both reads.
func TestReadSnapshot(t *testing.T) {
	errBoom := errors.New("boom")
	// rendezvous makes each list wait for the other to start: read one
	// after the other, they would wait out the timeout and fail.
	rendezvous := func() (filters func(context.Context) ([]Filter, error), sessions func(context.Context) ([]Session, error)) {
		f, s := make(chan struct{}), make(chan struct{})
		meet := func(mine, other chan struct{}) error {
			close(mine)
			select {
			case <-other:
				return nil
			case <-time.After(5 * time.Second):
				return errors.New("the other list did not start: the lists are not read side by side")
			}
		}
		filters = func(context.Context) ([]Filter, error) {
			if err := meet(f, s); err != nil {
				return nil, err
			}
			return []Filter{{ID: "tmf-1"}}, nil
		}
		sessions = func(context.Context) ([]Session, error) {
			if err := meet(s, f); err != nil {
				return nil, err
			}
			return []Session{{ID: "tms-1"}}, nil
		}
		return filters, sessions
	}
	// waitCancel is a list that ends only when its context does.
	waitCancel := func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return errors.New("not cancelled after the other list failed")
		}
	}
	cases := map[string]struct {
		reason  string
		enabled bool
		setup   func(c *readClient)
		want    *Snapshot
		err     error
	}{
		"SideBySide": {
			reason:  "Filters and sessions are read at the same time, after the service status.",
			enabled: true,
			setup:   func(c *readClient) { c.listFilters, c.listSessions = rendezvous() },
			want: &Snapshot{Region: "cn-hangzhou", ServiceEnabled: true,
				Filters: []Filter{{ID: "tmf-1"}}, Sessions: []Session{{ID: "tms-1"}}},
		},
		"ServiceClosed": {
			reason: "A region whose service is closed has nothing to list.",
			setup:  func(*readClient) {},
			want:   &Snapshot{Region: "cn-hangzhou"},
		},
		"FiltersFail": {
			reason:  "A failed filter read ends the session read and is the error returned.",
			enabled: true,
			setup: func(c *readClient) {
				c.listFilters = func(context.Context) ([]Filter, error) { return nil, errBoom }
				c.listSessions = func(ctx context.Context) ([]Session, error) { return nil, waitCancel(ctx) }
			},
			err: errBoom,
		},
		"SessionsFail": {
			reason:  "A failed session read ends the filter read and is the error returned.",
			enabled: true,
			setup: func(c *readClient) {
				c.listFilters = func(ctx context.Context) ([]Filter, error) { return nil, waitCancel(ctx) }
				c.listSessions = func(context.Context) ([]Session, error) { return nil, errBoom }
			},
			err: errBoom,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &readClient{enabled: tc.enabled}
			tc.setup(c)
			got, err := ReadSnapshot(context.Background(), c)
			if !errors.Is(err, tc.err) {
				t.Fatalf("%s\nReadSnapshot(): error %v, want %v", tc.reason, err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nReadSnapshot(): -want +got:\n%s", tc.reason, diff)
			}
			if len(c.calls) == 0 || c.calls[0] != "GetServiceStatus" {
				t.Errorf("%s\nReadSnapshot(): calls %v, want GetServiceStatus first", tc.reason, c.calls)
			}
		})
	}
}
