package workload

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// A Stack is a spec as a user writes it, small enough to mutate at random
// and to write out as the YAML tmsync reads. Maps are keyed by filter and
// session key.
type Stack struct {
	Name     string
	Region   string
	Filters  map[string]*Filter
	Sessions map[string]*Session
	// Moved re-keys objects in place, as the spec's moved block.
	Moved []Move
}

// A Filter is one filter of a Stack.
type Filter struct {
	Name        string
	Description string
	Tags        map[string]string
	Ingress     []Rule
	Egress      []Rule
}

// A Rule is one rule, in the spec's friendly form; empty fields are left out.
type Rule struct {
	Priority   int
	Action     string
	Protocol   string
	IPVersion  string
	SourceCIDR string
	DestCIDR   string
	SourcePort string
	DestPort   string
}

// A Session is one session of a Stack.
type Session struct {
	Name         string
	Description  string
	Filter       string // a filter key of the stack
	TargetType   string
	TargetID     string
	Sources      []string
	Priority     int
	Enabled      bool
	PacketLength int
	Tags         map[string]string
}

// A Move is one entry of the moved block.
type Move struct{ From, To string }

// Rules returns the rules of dir ("ingress" or "egress").
func (f *Filter) Rules(dir string) []Rule {
	if dir == "egress" {
		return f.Egress
	}
	return f.Ingress
}

// SetRules replaces the rules of dir.
func (f *Filter) SetRules(dir string, rs []Rule) {
	if dir == "egress" {
		f.Egress = rs
	} else {
		f.Ingress = rs
	}
}

// RuleCount is the number of rules of both directions.
func (f *Filter) RuleCount() int { return len(f.Ingress) + len(f.Egress) }

// Clone returns a deep copy of s.
func (s *Stack) Clone() *Stack {
	c := &Stack{Name: s.Name, Region: s.Region, Filters: map[string]*Filter{}, Sessions: map[string]*Session{},
		Moved: append([]Move(nil), s.Moved...)}
	for k, f := range s.Filters {
		g := *f
		g.Tags = cloneTags(f.Tags)
		g.Ingress = append([]Rule(nil), f.Ingress...)
		g.Egress = append([]Rule(nil), f.Egress...)
		c.Filters[k] = &g
	}
	for k, x := range s.Sessions {
		y := *x
		y.Tags = cloneTags(x.Tags)
		y.Sources = append([]string(nil), x.Sources...)
		c.Sessions[k] = &y
	}
	return c
}

func cloneTags(t map[string]string) map[string]string {
	if t == nil {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// FilterKeys returns the filter keys, sorted.
func (s *Stack) FilterKeys() []string { return sortedKeys(s.Filters) }

// SessionKeys returns the session keys, sorted.
func (s *Stack) SessionKeys() []string { return sortedKeys(s.Sessions) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// RuleTotal is the number of rules of every filter.
func (s *Stack) RuleTotal() int {
	n := 0
	for _, f := range s.Filters {
		n += f.RuleCount()
	}
	return n
}

// The YAML shapes, with the spec's field names. Pointers and omitempty keep
// what the model leaves unset out of the file, so the spec's defaults apply.
type yamlStack struct {
	Version  int                    `yaml:"version"`
	Stack    string                 `yaml:"stack"`
	Region   string                 `yaml:"region"`
	Service  map[string]bool        `yaml:"service"`
	Limits   map[string]int         `yaml:"limits,omitempty"`
	Filters  map[string]yamlFilter  `yaml:"filters,omitempty"`
	Sessions map[string]yamlSession `yaml:"sessions,omitempty"`
	Moved    []map[string]string    `yaml:"moved,omitempty"`
}

type yamlFilter struct {
	Name        string            `yaml:"name,omitempty"`
	Description string            `yaml:"description,omitempty"`
	Tags        map[string]string `yaml:"tags,omitempty"`
	Ingress     []yamlRule        `yaml:"ingress,omitempty"`
	Egress      []yamlRule        `yaml:"egress,omitempty"`
}

type yamlRule struct {
	Priority   int    `yaml:"priority"`
	Action     string `yaml:"action"`
	Protocol   string `yaml:"protocol"`
	IPVersion  string `yaml:"ipVersion,omitempty"`
	SourceCIDR string `yaml:"sourceCidrBlock,omitempty"`
	DestCIDR   string `yaml:"destinationCidrBlock,omitempty"`
	SourcePort string `yaml:"sourcePortRange,omitempty"`
	DestPort   string `yaml:"destinationPortRange,omitempty"`
}

type yamlSession struct {
	Name         string            `yaml:"name,omitempty"`
	Description  string            `yaml:"description,omitempty"`
	Filter       string            `yaml:"filter"`
	Target       map[string]string `yaml:"target"`
	Sources      []string          `yaml:"sources"`
	Priority     int               `yaml:"priority"`
	Enabled      bool              `yaml:"enabled"`
	PacketLength int               `yaml:"packetLength,omitempty"`
	Tags         map[string]string `yaml:"tags,omitempty"`
}

func yamlRules(rs []Rule) []yamlRule {
	out := make([]yamlRule, 0, len(rs))
	for _, r := range rs {
		out = append(out, yamlRule(r))
	}
	return out
}

// YAML returns s as one spec file.
func (s *Stack) YAML() ([]byte, error) {
	y := yamlStack{Version: 1, Stack: s.Name, Region: s.Region, Service: map[string]bool{"enabled": true},
		Limits: map[string]int{"sourcesPerSession": 10}}
	if len(s.Filters) > 0 {
		y.Filters = map[string]yamlFilter{}
	}
	for k, f := range s.Filters {
		y.Filters[k] = yamlFilter{Name: f.Name, Description: f.Description, Tags: f.Tags,
			Ingress: yamlRules(f.Ingress), Egress: yamlRules(f.Egress)}
	}
	if len(s.Sessions) > 0 {
		y.Sessions = map[string]yamlSession{}
	}
	for k, x := range s.Sessions {
		y.Sessions[k] = yamlSession{Name: x.Name, Description: x.Description, Filter: x.Filter,
			Target: map[string]string{"type": x.TargetType, "id": x.TargetID}, Sources: x.Sources,
			Priority: x.Priority, Enabled: x.Enabled, PacketLength: x.PacketLength, Tags: x.Tags}
	}
	for _, m := range s.Moved {
		y.Moved = append(y.Moved, map[string]string{"from": m.From, "to": m.To})
	}
	return yaml.Marshal(y)
}

// WriteDir writes s as dir/stack.yaml, replacing what was there, and
// returns the file's path.
func (s *Stack) WriteDir(dir string) (string, error) {
	b, err := s.YAML()
	if err != nil {
		return "", fmt.Errorf("spec of %s: %w", s.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "stack.yaml")
	return path, os.WriteFile(path, b, 0o644)
}

// Sizes of a generated stack.
type Sizes struct {
	Filters  int
	Sessions int
	// RulesMin..RulesMax rules per filter (both directions together);
	// SourcesMin..SourcesMax sources per session.
	RulesMin, RulesMax     int
	SourcesMin, SourcesMax int
}

// Generate returns a stack of the given sizes, the same for the same rng
// state: rules 1-10 per filter split over both directions, sessions on
// random filters with distinct priorities 1..S, sources from a pool of ENIs
// that are never targets.
func Generate(rng *rand.Rand, name, region string, sz Sizes) *Stack {
	s := &Stack{Name: name, Region: region, Filters: map[string]*Filter{}, Sessions: map[string]*Session{}}
	var fkeys []string
	for i := 0; i < sz.Filters; i++ {
		key := fmt.Sprintf("f%05d", i)
		fkeys = append(fkeys, key)
		f := &Filter{}
		n := between(rng, sz.RulesMin, sz.RulesMax)
		in := rng.Intn(n + 1)
		if in > 10 {
			in = 10
		}
		if n-in > 10 {
			in = n - 10
		}
		f.Ingress = RandomRules(rng, in)
		f.Egress = RandomRules(rng, n-in)
		s.Filters[key] = f
	}
	for i := 0; i < sz.Sessions && len(fkeys) > 0; i++ {
		key := fmt.Sprintf("s%05d", i)
		s.Sessions[key] = &Session{
			Filter:     fkeys[rng.Intn(len(fkeys))],
			TargetType: "NetworkInterface", TargetID: fmt.Sprintf("eni-tgt%05d", i%97),
			Sources:  RandomSources(rng, between(rng, sz.SourcesMin, sz.SourcesMax)),
			Priority: i + 1, Enabled: true,
		}
	}
	return s
}

func between(rng *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + rng.Intn(hi-lo+1)
}

// SourcePool is how many distinct source ENIs RandomSources draws from.
const SourcePool = 5000

// RandomSources returns n distinct source ENIs, sorted.
func RandomSources(rng *rand.Rand, n int) []string {
	seen := map[int]bool{}
	var out []string
	for len(out) < n {
		i := rng.Intn(SourcePool)
		if !seen[i] {
			seen[i] = true
			out = append(out, fmt.Sprintf("eni-src%05d", i))
		}
	}
	sort.Strings(out)
	return out
}

// RandomRules returns n rules with distinct priorities 1..n in random order.
func RandomRules(rng *rand.Rand, n int) []Rule {
	out := make([]Rule, 0, n)
	for _, p := range rng.Perm(n) {
		out = append(out, RandomRule(rng, p+1))
	}
	return out
}

// RandomRule returns a valid rule of priority prio: any protocol, mostly
// IPv4, ports only where the protocol has them.
func RandomRule(rng *rand.Rand, prio int) Rule {
	r := Rule{Priority: prio, Action: "accept", Protocol: []string{"TCP", "UDP", "ALL", "ICMP"}[rng.Intn(4)]}
	if rng.Intn(4) == 0 {
		r.Action = "drop"
	}
	if rng.Intn(8) == 0 {
		r.IPVersion = "IPv6"
		r.DestCIDR = fmt.Sprintf("2001:db8:%x::/48", rng.Intn(0xffff))
	} else {
		r.DestCIDR = fmt.Sprintf("10.%d.%d.0/24", rng.Intn(256), rng.Intn(256))
		if rng.Intn(3) == 0 {
			r.SourceCIDR = fmt.Sprintf("172.%d.0.0/16", 16+rng.Intn(16))
		}
	}
	if r.Protocol == "TCP" || r.Protocol == "UDP" {
		p := 1 + rng.Intn(60000)
		if rng.Intn(2) == 0 {
			r.DestPort = fmt.Sprint(p)
		} else {
			r.DestPort = fmt.Sprintf("%d/%d", p, p+rng.Intn(100))
		}
	}
	return r
}
