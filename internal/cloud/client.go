package cloud

import (
	"context"
	"sync"
)

// WriteOptions go with every write the API takes a token for.
type WriteOptions struct {
	// Token is the ClientToken: the same on every retry of one step.
	Token string
	// DryRun asks the API to check the request and change nothing; a
	// request that passes returns an error of KindDryRunPassed.
	DryRun bool
}

// ListFiltersInput narrows ListFilters; the zero value lists every filter.
type ListFiltersInput struct {
	IDs  []string // sent in batches of 100
	Name string
	Tags Tags
}

// ListSessionsInput narrows ListSessions; the zero value lists every session.
type ListSessionsInput struct {
	IDs      []string // sent in batches of 100
	Name     string
	FilterID string
	Tags     Tags
}

// CreateFilterInput creates a filter with its rules and tags in one call.
type CreateFilterInput struct {
	WriteOptions
	Name            string
	Description     string
	ResourceGroupID string
	Tags            Tags
	Ingress         []Rule
	Egress          []Rule
}

// UpdateFilterInput changes a filter's name or description; nil is unchanged.
type UpdateFilterInput struct {
	WriteOptions
	ID          string
	Name        *string
	Description *string
}

// CreateRulesInput adds rules to a filter in one call.
type CreateRulesInput struct {
	WriteOptions
	FilterID string
	Ingress  []Rule
	Egress   []Rule
}

// A RulePatch is an in-place change of a rule; nil fields are unchanged.
type RulePatch struct {
	Priority   *int    `json:"priority,omitempty"`
	Action     *string `json:"action,omitempty"`
	Protocol   *string `json:"protocol,omitempty"`
	SourceCIDR *string `json:"sourceCidrBlock,omitempty"`
	DestCIDR   *string `json:"destinationCidrBlock,omitempty"`
	SourcePort *string `json:"sourcePortRange,omitempty"`
	DestPort   *string `json:"destinationPortRange,omitempty"`
}

// UpdateRuleInput changes one rule in place.
type UpdateRuleInput struct {
	WriteOptions
	RuleID string
	RulePatch
}

// SessionSettings are what a session is created with, but its filter.
type SessionSettings struct {
	Name            string   `json:"name,omitempty"`
	Description     string   `json:"description,omitempty"`
	SourceIDs       []string `json:"sourceIds"`
	TargetID        string   `json:"targetId"`
	TargetType      string   `json:"targetType"`
	Priority        int      `json:"priority"`
	VNI             *int     `json:"virtualNetworkId,omitempty"` // nil lets the API choose
	PacketLength    int      `json:"packetLength"`
	Enabled         bool     `json:"enabled"`
	ResourceGroupID string   `json:"resourceGroupId,omitempty"`
	Tags            Tags     `json:"tags,omitempty"`
}

// CreateSessionInput creates a session with its tags in one call.
type CreateSessionInput struct {
	WriteOptions
	FilterID string
	SessionSettings
}

// A SessionPatch is an in-place change of a session's attributes but its
// filter; nil fields are unchanged.
type SessionPatch struct {
	Name         *string `json:"name,omitempty"`
	Description  *string `json:"description,omitempty"`
	TargetID     *string `json:"targetId,omitempty"`
	TargetType   *string `json:"targetType,omitempty"`
	Priority     *int    `json:"priority,omitempty"`
	VNI          *int    `json:"virtualNetworkId,omitempty"`
	PacketLength *int    `json:"packetLength,omitempty"`
	Enabled      *bool   `json:"enabled,omitempty"`
}

// UpdateSessionInput changes a session in place; a nil FilterID is
// unchanged.
type UpdateSessionInput struct {
	WriteOptions
	ID       string
	FilterID *string
	SessionPatch
}

// A Client is the Traffic Mirror API of one account and region, in plain Go
// values. Implementations classify every API error into an *APIError.
// List calls return every page (100 a page) and send ID filters in batches
// of 100.
type Client interface {
	Region() string
	// Endpoint names what the client talks to, for headers and saved plans.
	Endpoint() string

	ListFilters(ctx context.Context, in ListFiltersInput) ([]Filter, error)
	ListSessions(ctx context.Context, in ListSessionsInput) ([]Session, error)
	GetServiceStatus(ctx context.Context) (bool, error)
	OpenService(ctx context.Context, opts WriteOptions) error

	CreateFilter(ctx context.Context, in CreateFilterInput) (string, error)
	UpdateFilter(ctx context.Context, in UpdateFilterInput) error
	DeleteFilter(ctx context.Context, id string, opts WriteOptions) error

	// CreateRules returns the new rule IDs of each direction in request order.
	CreateRules(ctx context.Context, in CreateRulesInput) (ingress, egress []string, err error)
	UpdateRule(ctx context.Context, in UpdateRuleInput) error
	DeleteRules(ctx context.Context, filterID string, ruleIDs []string, opts WriteOptions) error

	CreateSession(ctx context.Context, in CreateSessionInput) (string, error)
	UpdateSession(ctx context.Context, in UpdateSessionInput) error
	DeleteSession(ctx context.Context, id string, opts WriteOptions) error
	AddSources(ctx context.Context, sessionID string, sourceIDs []string, opts WriteOptions) error
	RemoveSources(ctx context.Context, sessionID string, sourceIDs []string, opts WriteOptions) error

	// The generic tag and resource-group calls take no token: they are
	// idempotent by value. resourceType is ResourceFilter or ResourceSession.
	TagResources(ctx context.Context, resourceType string, ids []string, tags Tags) error
	UntagResources(ctx context.Context, resourceType string, ids []string, keys []string) error
	ListTagResources(ctx context.Context, resourceType string, ids []string) (map[string]Tags, error)
	MoveResourceGroup(ctx context.Context, resourceType, id, resourceGroupID string) error
}

// ReadSnapshot reads the live state of c's region in one pass: the service
// status, then every filter and every session. Filters and sessions are two
// chains of pages, read side by side; the first error ends both and is the
// one returned.
func ReadSnapshot(ctx context.Context, c Client) (*Snapshot, error) {
	enabled, err := c.GetServiceStatus(ctx)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Region: c.Region(), ServiceEnabled: enabled}
	if !enabled {
		// Nothing can exist in a region whose service was never opened.
		return snap, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var err error
		if snap.Sessions, err = c.ListSessions(ctx, ListSessionsInput{}); err != nil {
			fail(err)
		}
	}()
	if snap.Filters, err = c.ListFilters(ctx, ListFiltersInput{}); err != nil {
		fail(err)
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return snap, nil
}
