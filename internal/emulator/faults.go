package emulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Fault kinds.
const (
	FaultThrottle    = "throttle"    // answer 400 Throttling.User, change nothing
	FaultUnavailable = "unavailable" // answer 503 ServiceUnavailable, change nothing
	FaultBusy        = "busy"        // answer 503 SystemBusy, change nothing
	FaultRefuse      = "refuse"      // answer 403 Forbidden.RAM, change nothing: a refusal no retry changes
	FaultDrop        = "drop"        // commit, then close the connection without an answer
	FaultHang        = "hang"        // commit, then never answer (until close or client disconnect)
	FaultListLag     = "listlag"     // objects created by the request stay out of List for Duration
	FaultLatency     = "latency"     // wait Duration before committing
	FaultClock       = "clock"       // the request sees the clock moved by Duration
)

var faultKinds = map[string]bool{
	FaultThrottle: true, FaultUnavailable: true, FaultBusy: true, FaultRefuse: true, FaultDrop: true,
	FaultHang: true, FaultListLag: true, FaultLatency: true, FaultClock: true,
}

// A Fault injects a failure into matching requests.
type Fault struct {
	// Action is the API action it applies to; "" or "*" means all.
	Action string `json:"action"`
	// Kind is one of throttle, unavailable, busy, drop, hang, listlag,
	// latency, clock.
	Kind string `json:"kind"`
	// Probability is the chance that a matching request is hit; 0 in a
	// spec string means 1 (always). In Go and JSON 0 also means always.
	Probability float64 `json:"probability"`
	// Count is how many requests it hits before it is used up; 0 = unlimited.
	Count int `json:"count"`
	// Duration is the lag of listlag, the delay of latency and the offset
	// of clock (may be negative).
	Duration time.Duration `json:"duration"`
}

// UnmarshalJSON accepts the duration as a Go duration string ("250ms") or
// as nanoseconds.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var raw struct {
		Action      string          `json:"action"`
		Kind        string          `json:"kind"`
		Probability float64         `json:"probability"`
		Count       int             `json:"count"`
		Duration    json.RawMessage `json:"duration"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*f = Fault{Action: raw.Action, Kind: raw.Kind, Probability: raw.Probability, Count: raw.Count}
	if len(raw.Duration) > 0 && string(raw.Duration) != "null" {
		var s string
		if err := json.Unmarshal(raw.Duration, &s); err == nil {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("fault duration: %w", err)
			}
			f.Duration = d
		} else {
			var n int64
			if err := json.Unmarshal(raw.Duration, &n); err != nil {
				return fmt.Errorf("fault duration: want a string like \"250ms\" or nanoseconds")
			}
			f.Duration = time.Duration(n)
		}
	}
	return f.validate()
}

// MarshalJSON writes the duration as a Go duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Action      string  `json:"action"`
		Kind        string  `json:"kind"`
		Probability float64 `json:"probability"`
		Count       int     `json:"count"`
		Duration    string  `json:"duration,omitempty"`
	}{f.Action, f.Kind, f.Probability, f.Count, durString(f.Duration)})
}

func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func (f Fault) validate() error {
	if !faultKinds[f.Kind] {
		return fmt.Errorf("unknown fault kind %q (want throttle, unavailable, busy, refuse, drop, hang, listlag, latency or clock)", f.Kind)
	}
	if f.Probability < 0 || f.Probability > 1 {
		return fmt.Errorf("fault probability %v is not within 0..1", f.Probability)
	}
	if f.Count < 0 {
		return fmt.Errorf("fault count %d is negative", f.Count)
	}
	if f.Duration < 0 && f.Kind != FaultClock {
		return fmt.Errorf("fault duration %v is negative (only clock may be)", f.Duration)
	}
	if (f.Kind == FaultListLag || f.Kind == FaultLatency || f.Kind == FaultClock) && f.Duration == 0 {
		return fmt.Errorf("fault %s needs a duration", f.Kind)
	}
	return nil
}

// ParseFaults parses a fault spec: faults separated by commas, each
//
//	ACTION:KIND[:PROBABILITY[:COUNT[:DURATION]]]
//
// ACTION is an API action name or * for all; KIND is throttle, unavailable,
// busy, drop, hang, listlag, latency or clock; PROBABILITY is 0..1 (empty or
// 0 means 1); COUNT is how many hits before the fault is used up (empty or 0
// means unlimited); DURATION is a Go duration, needed by listlag, latency
// and clock (clock may be negative). Example:
//
//	CreateTrafficMirrorFilter:drop:1.0:1,*:throttle:0.2,ListTrafficMirrorFilters:latency:1:0:200ms
func ParseFaults(spec string) ([]Fault, error) {
	var out []Fault
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		if len(parts) < 2 || len(parts) > 5 {
			return nil, fmt.Errorf("fault %q: want ACTION:KIND[:PROBABILITY[:COUNT[:DURATION]]]", item)
		}
		f := Fault{Action: strings.TrimSpace(parts[0]), Kind: strings.ToLower(strings.TrimSpace(parts[1]))}
		if len(parts) > 2 && strings.TrimSpace(parts[2]) != "" {
			p, err := strconv.ParseFloat(strings.TrimSpace(parts[2]), 64)
			if err != nil {
				return nil, fmt.Errorf("fault %q: probability: %w", item, err)
			}
			f.Probability = p
		}
		if len(parts) > 3 && strings.TrimSpace(parts[3]) != "" {
			n, err := strconv.Atoi(strings.TrimSpace(parts[3]))
			if err != nil {
				return nil, fmt.Errorf("fault %q: count: %w", item, err)
			}
			f.Count = n
		}
		if len(parts) > 4 && strings.TrimSpace(parts[4]) != "" {
			d, err := time.ParseDuration(strings.TrimSpace(parts[4]))
			if err != nil {
				return nil, fmt.Errorf("fault %q: duration: %w", item, err)
			}
			f.Duration = d
		}
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("fault %q: %w", item, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// faultState is a Fault with its remaining count.
type faultState struct {
	Fault
	left int // remaining hits when Count > 0
}

func (f *faultState) matches(action string) bool {
	if f.Count > 0 && f.left <= 0 {
		return false
	}
	return f.Action == "" || f.Action == "*" || strings.EqualFold(f.Action, action)
}

// fired is what the faults decided for one request.
type fired struct {
	clock   time.Duration
	latency time.Duration
	listLag time.Duration
	errKind string // throttle, unavailable, busy or refuse
	answer  string // drop or hang
}

func (f fired) err() *apiError {
	switch f.errKind {
	case FaultThrottle:
		return &apiError{status: 400, code: "Throttling.User", msg: "Request was denied due to user flow control."}
	case FaultUnavailable:
		return &apiError{status: 503, code: "ServiceUnavailable", msg: "The request has failed due to a temporary failure of the server."}
	case FaultBusy:
		return &apiError{status: 503, code: "SystemBusy", msg: "The system is busy. Please try again later."}
	case FaultRefuse:
		return &apiError{status: 403, code: "Forbidden.RAM", msg: "User not authorized to operate on the specified resource, or this API does not support RAM."}
	}
	return nil
}
