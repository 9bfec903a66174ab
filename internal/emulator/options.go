package emulator

import (
	"time"
)

// Options configure a Server. The zero value is a usable in-memory emulator
// on a random loopback port with signature checks disabled.
type Options struct {
	// Listen is the TCP address to bind; default "127.0.0.1:0".
	Listen string
	// ReadTimeout is how long a client may take to send a request's
	// headers, and again its body; default DefaultReadTimeout.
	ReadTimeout time.Duration
	// AccessKeys maps AccessKeyId to AccessKeySecret. Empty disables
	// signature checks, as SkipAuth does. All keys belong to one account.
	AccessKeys map[string]string
	// SkipAuth disables signature, timestamp and nonce checks.
	SkipAuth bool
	// StateFile keeps state in a JSON file ("" keeps it in memory). The file
	// is replaced atomically and locked (flock on StateFile+".lock") across
	// each request's read-modify-write, so several processes can share it.
	StateFile string
	// AsyncDelay is how long Creating, Modifying and Deleting last. It is
	// kept as a deadline in the state, not a timer, so restarts keep it.
	AsyncDelay time.Duration
	// Latency is added to every API request before it is committed.
	Latency time.Duration
	// Seed seeds the generator of IDs, VNIs and fault decisions; 0 picks a
	// random seed.
	Seed int64
	// Now is the clock; default time.Now. Tests inject one to move time.
	Now func() time.Time
	// Quotas holds the limits the API does not publish.
	Quotas Quotas
	// Inventory lists the ENIs and SLB instances that exist; nil means any
	// well-formed eni-… or lb-… ID exists.
	Inventory *Inventory
	// KeepDeletedSources keeps the ID of an ENI that leaves the inventory
	// among the sources of the sessions it was a source of (a stale ID);
	// by default it is dropped from them, as when an instance is released.
	KeepDeletedSources bool
	// Faults are the initial injected faults (see ParseFaults).
	Faults []Fault
	// Logf, if set, receives one line per request.
	Logf func(format string, args ...any)
}

// Quotas are the settings for what the API does not publish. Zero values
// take the documented defaults.
type Quotas struct {
	// FiltersPerRegion caps filters per region; default 100, negative = none.
	FiltersPerRegion int
	// SessionsPerRegion caps sessions per region; default 1000, negative = none.
	SessionsPerRegion int
	// SourcesPerSession caps the sources of one session; default 10
	// (the reference conflicts between 1 and 10).
	SourcesPerSession int
	// SessionsPerSource caps the sessions one ENI may be a source of;
	// 0 = unlimited.
	SessionsPerSource int
	// UniqueRulePriorities refuses two rules with one priority in one
	// filter and direction; default true (nil).
	UniqueRulePriorities *bool
	// TokenTTL is how long a ClientToken is remembered; default 24h.
	TokenTTL time.Duration
	// RefusedRequestUsesToken makes a refused request remember its token,
	// so the same token replays the same error; default false.
	RefusedRequestUsesToken bool
	// ServiceOpenByDefault is whether a region's traffic mirror service is
	// open before anyone opens it; default true (nil).
	ServiceOpenByDefault *bool
	// ENIsPerTagQuery is the most ENIs DescribeNetworkInterfaces returns,
	// over all pages, for a query by tag or resource group (TotalCount still
	// counts every match); default 1000, as documented.
	ENIsPerTagQuery int
}

// Bool returns a pointer to v, for the optional switches of Quotas.
func Bool(v bool) *bool { return &v }

// Defaults of the settings.
const (
	DefaultFiltersPerRegion  = 100
	DefaultSessionsPerRegion = 1000
	DefaultSourcesPerSession = 10
	DefaultTokenTTL          = 24 * time.Hour
	DefaultReadTimeout       = 10 * time.Second
	DefaultENIsPerTagQuery   = 1000
)

// limits is Quotas with the defaults applied.
type limits struct {
	filtersPerRegion, sessionsPerRegion  int // < 0: unlimited
	sourcesPerSession, sessionsPerSource int // sessionsPerSource 0: unlimited
	uniqueRulePriorities                 bool
	tokenTTL                             time.Duration
	refusedUsesToken                     bool
	serviceOpen                          bool
	enisPerTagQuery                      int
}

func (q Quotas) limits() limits {
	l := limits{
		filtersPerRegion:     q.FiltersPerRegion,
		sessionsPerRegion:    q.SessionsPerRegion,
		sourcesPerSession:    q.SourcesPerSession,
		sessionsPerSource:    q.SessionsPerSource,
		uniqueRulePriorities: q.UniqueRulePriorities == nil || *q.UniqueRulePriorities,
		tokenTTL:             q.TokenTTL,
		refusedUsesToken:     q.RefusedRequestUsesToken,
		serviceOpen:          q.ServiceOpenByDefault == nil || *q.ServiceOpenByDefault,
		enisPerTagQuery:      q.ENIsPerTagQuery,
	}
	if l.enisPerTagQuery <= 0 {
		l.enisPerTagQuery = DefaultENIsPerTagQuery
	}
	if l.filtersPerRegion == 0 {
		l.filtersPerRegion = DefaultFiltersPerRegion
	}
	if l.sessionsPerRegion == 0 {
		l.sessionsPerRegion = DefaultSessionsPerRegion
	}
	if l.sourcesPerSession <= 0 {
		l.sourcesPerSession = DefaultSourcesPerSession
	}
	if l.tokenTTL <= 0 {
		l.tokenTTL = DefaultTokenTTL
	}
	return l
}

// Stats are the counters of a Server since it started or was reset.
type Stats struct {
	// Calls counts requests per action (unknown actions included).
	Calls map[string]int `json:"calls"`
	// Errors counts error answers per code.
	Errors map[string]int `json:"errors"`
	// Writes is the write log per resource ID, oldest first.
	Writes map[string][]WriteRecord `json:"writes"`
	// TokenReplays counts answers replayed for a known ClientToken.
	TokenReplays int `json:"token_replays"`
	// Creates counts objects really created, per resource type
	// (TrafficMirrorFilter, TrafficMirrorRule, TrafficMirrorSession);
	// replays and dry runs do not count.
	Creates map[string]int `json:"creates"`
}

// A WriteRecord is one write request that named or created a resource.
type WriteRecord struct {
	Action      string    `json:"action"`
	ClientToken string    `json:"client_token,omitempty"`
	RequestID   string    `json:"request_id"`
	Time        time.Time `json:"time"`
	Replayed    bool      `json:"replayed,omitempty"`
	Error       string    `json:"error,omitempty"` // the error code, if refused
}

func newStats() Stats {
	return Stats{
		Calls:   map[string]int{},
		Errors:  map[string]int{},
		Writes:  map[string][]WriteRecord{},
		Creates: map[string]int{},
	}
}

func (st Stats) clone() Stats {
	out := newStats()
	for k, v := range st.Calls {
		out.Calls[k] = v
	}
	for k, v := range st.Errors {
		out.Errors[k] = v
	}
	for k, v := range st.Writes {
		out.Writes[k] = append([]WriteRecord(nil), v...)
	}
	for k, v := range st.Creates {
		out.Creates[k] = v
	}
	out.TokenReplays = st.TokenReplays
	return out
}
