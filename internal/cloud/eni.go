package cloud

import "context"

// ENI types and the statuses in which an ENI can be a mirror source.
const (
	ENIPrimary   = "Primary"
	ENISecondary = "Secondary"

	ENIInUse     = "InUse"
	ENIAvailable = "Available"
)

// An ENI is an elastic network interface as ECS DescribeNetworkInterfaces
// shows it: what source selectors match on.
type ENI struct {
	ID               string   `json:"id"`
	Type             string   `json:"type"`   // ENIPrimary or ENISecondary
	Status           string   `json:"status"` // Available, Attaching, InUse, Detaching, Deleting
	VPCID            string   `json:"vpcId,omitempty"`
	VSwitchID        string   `json:"vSwitchId,omitempty"`
	InstanceID       string   `json:"instanceId,omitempty"`
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	Tags             Tags     `json:"tags,omitempty"`
}

// Mirrorable reports whether e can be a mirror source now: in use or
// available.
func (e ENI) Mirrorable() bool { return e.Status == ENIInUse || e.Status == ENIAvailable }

// ENIQuery narrows DescribeNetworkInterfaces with the filters the API
// applies on its side; the zero value lists every ENI of the region. IDs
// are sent 100 a call.
type ENIQuery struct {
	IDs             []string
	VPCID           string
	VSwitchID       string
	InstanceID      string // one instance: the API takes one
	SecurityGroupID string // finds secondary ENIs only (the API's rule)
	Type            string // ENIPrimary, ENISecondary or "" for both
	Tags            Tags   // all must match
}

// An ENIReader lists ENIs; Client implementations that reach ECS implement
// it. Describe returns every page (500 a page, the most the API allows).
// A query by tag that the API answers with at most 1,000 ENIs while more
// match (TotalCount says so) is an error of KindTruncated, never a silent
// part of the fleet.
type ENIReader interface {
	DescribeNetworkInterfaces(ctx context.Context, q ENIQuery) ([]ENI, error)
}
