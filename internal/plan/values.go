package plan

import (
	"encoding/json"
	"fmt"

	"github.com/tmsync/tmsync/internal/cloud"
)

// Values are the reviewable values of one object, named as in the spec.
// Exactly one field is set, by the kind of the object.
type Values struct {
	Filter  *FilterValues
	Rule    *cloud.Rule
	Session *SessionValues
	Service *ServiceValues
}

// FilterValues are a filter's own attributes. A field the spec leaves unset
// is not managed: nil on both sides.
type FilterValues struct {
	ID              string     `json:"id,omitempty"`
	Name            *string    `json:"name,omitempty"`
	Description     *string    `json:"description,omitempty"`
	ResourceGroupID *string    `json:"resourceGroupId,omitempty"`
	Tags            cloud.Tags `json:"tags"`
	// Protect is the spec's protect, or for a live object what its
	// tmsync:applied value records.
	Protect bool `json:"protect,omitempty"`
}

// SessionValues are a session's attributes. Filter is filter.<key> for a
// filter of the stack (or "(new filter.<key>)" for one created by the
// plan) and an ID otherwise.
type SessionValues struct {
	ID              string        `json:"id,omitempty"`
	Name            *string       `json:"name,omitempty"`
	Description     *string       `json:"description,omitempty"`
	Filter          string        `json:"filter"`
	Target          SessionTarget `json:"target"`
	Sources         []string      `json:"sources"`
	Priority        int           `json:"priority"`
	PacketLength    int           `json:"packetLength"`
	VNI             *int          `json:"virtualNetworkId,omitempty"`
	Enabled         bool          `json:"enabled"`
	ResourceGroupID *string       `json:"resourceGroupId,omitempty"`
	Tags            cloud.Tags    `json:"tags"`
	// Protect is as in FilterValues.
	Protect bool `json:"protect,omitempty"`
}

// SessionTarget is where a session mirrors to.
type SessionTarget struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// ServiceValues are the state of a region's service.
type ServiceValues struct {
	Enabled bool `json:"enabled"`
}

func (v *Values) one() any {
	switch {
	case v.Filter != nil:
		return v.Filter
	case v.Rule != nil:
		return v.Rule
	case v.Session != nil:
		return v.Session
	case v.Service != nil:
		return v.Service
	}
	return nil
}

// MarshalJSON writes the one set field as an object.
func (v Values) MarshalJSON() ([]byte, error) {
	x := v.one()
	if x == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON is refused: a Change reads its values by its type.
func (v *Values) UnmarshalJSON([]byte) error {
	return fmt.Errorf("values need the type of their change")
}

// UnmarshalJSON reads a change, decoding its values by its type.
func (c *Change) UnmarshalJSON(b []byte) error {
	var j struct {
		Addr    Addr            `json:"address"`
		Type    Kind            `json:"type"`
		Action  Action          `json:"action"`
		Reasons []Reason        `json:"reason"`
		ID      string          `json:"id,omitempty"`
		Before  json.RawMessage `json:"before"`
		After   json.RawMessage `json:"after"`
		Sources []SourceChange  `json:"sources,omitempty"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	before, err := decodeValues(j.Type, j.Before)
	if err != nil {
		return fmt.Errorf("%s: before: %w", j.Addr, err)
	}
	after, err := decodeValues(j.Type, j.After)
	if err != nil {
		return fmt.Errorf("%s: after: %w", j.Addr, err)
	}
	*c = Change{Addr: j.Addr, Type: j.Type, Action: j.Action, Reasons: j.Reasons, ID: j.ID, Before: before, After: after,
		Sources: j.Sources}
	return nil
}

func decodeValues(k Kind, b json.RawMessage) (*Values, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	v := &Values{}
	var dst any
	switch k {
	case KindFilter:
		v.Filter = &FilterValues{}
		dst = v.Filter
	case KindRule:
		v.Rule = &cloud.Rule{}
		dst = v.Rule
	case KindSession:
		v.Session = &SessionValues{}
		dst = v.Session
	case KindService:
		v.Service = &ServiceValues{}
		dst = v.Service
	default:
		return nil, fmt.Errorf("unknown type %s", k)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return nil, err
	}
	return v, nil
}

func strPtr(s string) *string { return &s }
func intPtr(i int) *int       { return &i }
func boolPtr(b bool) *bool    { return &b }

// managed returns &v when the spec manages the field (set is true), else nil.
func managed(set bool, v string) *string {
	if !set {
		return nil
	}
	return &v
}

// ruleValues is the reviewable form of a rule; the address says its
// direction and filter.
func ruleValues(r cloud.Rule) *Values {
	r.FilterID, r.Direction, r.Status = "", "", ""
	if !cloud.HasPorts(r.Protocol) {
		r.SourcePort, r.DestPort = "", ""
	}
	return &Values{Rule: &r}
}
