package plan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tmsync/tmsync/internal/addr"
)

// Addresses are those of package addr; the plan names objects by them.
type (
	Addr = addr.Addr
	Kind = addr.Kind
)

// The kinds of objects.
const (
	KindFilter  = addr.KindFilter
	KindRule    = addr.KindRule
	KindSession = addr.KindSession
	KindService = addr.KindService
	KindStack   = addr.KindStack
)

// Constructors of addresses.
var (
	FilterAddr  = addr.Filter
	RuleAddr    = addr.Rule
	SessionAddr = addr.Session
	ServiceAddr = addr.Service
	StackAddr   = addr.Stack
	ParseAddr   = addr.Parse
)

// A StepID names a step: its address, its op and its number among the
// steps of that address and op, written <address>/<op>/<n>.
type StepID struct {
	Addr Addr
	Op   OpKind
	N    int
}

// IsZero reports whether id names no step.
func (id StepID) IsZero() bool { return id == StepID{} }

func (id StepID) String() string {
	if id.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s/%s/%d", id.Addr, id.Op, id.N)
}

// ParseStepID parses the String form of a step ID.
func ParseStepID(s string) (StepID, error) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return StepID{}, fmt.Errorf("step %q: want <address>/<op>/<n>", s)
	}
	j := strings.LastIndexByte(s[:i], '/')
	if j < 0 {
		return StepID{}, fmt.Errorf("step %q: want <address>/<op>/<n>", s)
	}
	a, err := ParseAddr(s[:j])
	if err != nil {
		return StepID{}, fmt.Errorf("step %q: %w", s, err)
	}
	var op OpKind
	if err := op.UnmarshalText([]byte(s[j+1 : i])); err != nil {
		return StepID{}, fmt.Errorf("step %q: %w", s, err)
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 1 || strconv.Itoa(n) != s[i+1:] {
		return StepID{}, fmt.Errorf("step %q: bad number %q", s, s[i+1:])
	}
	return StepID{Addr: a, Op: op, N: n}, nil
}

// MarshalText writes id's String form.
func (id StepID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses id's String form.
func (id *StepID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = StepID{}
		return nil
	}
	x, err := ParseStepID(string(b))
	if err != nil {
		return err
	}
	*id = x
	return nil
}

// A Ref names an object a step writes or uses: its live ID, or the step
// that creates it in this plan.
type Ref struct {
	ID   string `json:"id,omitempty"`
	Step StepID `json:"step,omitzero"`
}

// Known reports whether the ID is known at plan time.
func (r Ref) Known() bool { return r.ID != "" }

func (r Ref) String() string {
	if r.ID != "" {
		return r.ID
	}
	return "(new " + r.Step.Addr.String() + ")"
}

// Less orders step IDs by their string form, the order plans list them in.
func (id StepID) Less(o StepID) bool { return id.String() < o.String() }

// SortStepIDs sorts ids by Less.
func SortStepIDs(ids []StepID) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
}
