package spec

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/tmsync/tmsync/schema"
)

// A ValueError says a value given outside a spec file (a command-line flag
// such as --stack or --region) breaks the rules a spec file follows. Hint
// says what to write instead.
type ValueError struct {
	// What names the value: "stack name" or "region".
	What  string
	Value string
	// Problem says what is wrong, after the value: "is not valid".
	Problem string
	Hint    string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%s %q %s", e.What, e.Value, e.Problem)
}

// fragments are the parts of the schema a name given outside a spec is
// checked with, compiled once per process: the same grammar as a spec's
// stack: and region: values, from the same file.
var fragments = sync.OnceValues(func() (map[string]*schemaNode, error) {
	var root map[string]any
	if err := json.Unmarshal(schema.JSON, &root); err != nil {
		return nil, err
	}
	c := schemaCompiler{root: root, done: map[string]*schemaNode{}}
	out := map[string]*schemaNode{}
	for _, ptr := range []string{"/definitions/key", "/properties/region"} {
		v, err := c.resolve("#" + ptr)
		if err != nil {
			return nil, err
		}
		if out[ptr], err = c.compile(v, "#"+ptr); err != nil {
			return nil, err
		}
	}
	return out, nil
})

// matches reports whether v passes the schema at ptr, and the schema's own
// words for what to write when it does not.
func matches(ptr, v string) (bool, string) {
	frs, err := fragments()
	if err != nil {
		// The schema is embedded and compiled by every test of the
		// package; it cannot fail at run time.
		panic(fmt.Sprintf("embedded schema: %v", err))
	}
	var faults []schemaFault
	frs[ptr].check(v, nil, false, &faults)
	if len(faults) == 0 {
		return true, ""
	}
	hint, _ := frs[ptr].doc["patternErrorMessage"].(string)
	return false, hint
}

// CheckStackName returns a *ValueError when name is not a stack name a
// spec file could declare (C1).
func CheckStackName(name string) error {
	if ok, hint := matches("/definitions/key", name); !ok {
		return &ValueError{What: "stack name", Value: name, Problem: "is not valid", Hint: hint}
	}
	return nil
}

// CheckRegion returns a *ValueError when id is not a region a spec file
// loaded with o could name: a well-formed region ID and, unless
// o.AnyRegion, an Alibaba Cloud region. A region without Traffic Mirror
// passes; only a spec gets a warning for it.
func CheckRegion(id string, o LoadOptions) error {
	if ok, hint := matches("/properties/region", id); !ok {
		return &ValueError{What: "region", Value: id, Problem: "is not a region ID", Hint: hint}
	}
	if !o.AnyRegion {
		if msg, hint := unknownRegion(id); msg != "" {
			return &ValueError{What: "region", Value: id, Problem: msg, Hint: hint}
		}
	}
	return nil
}

// unknownRegion says why id is not an Alibaba Cloud region, with a
// suggestion, or returns "" when it is one.
func unknownRegion(id string) (problem, hint string) {
	if KnownRegion(id) {
		return "", ""
	}
	hint = "write an Alibaba Cloud region ID such as cn-hangzhou or ap-southeast-1"
	if c := closest(id, regions); c != "" {
		hint = fmt.Sprintf("did you mean %s?", c)
	}
	return "is not an Alibaba Cloud region", hint
}
