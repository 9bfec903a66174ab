package addr

import (
	"fmt"
	"strconv"
	"strings"
)

// The directions of a rule, as cloud.Ingress and cloud.Egress.
const (
	ingress = "ingress"
	egress  = "egress"
)

// A Kind is the kind of object an address names.
type Kind uint8

// The kinds of objects.
const (
	KindFilter Kind = iota + 1
	KindRule
	KindSession
	KindService
	// KindStack names a whole stack, in problems only.
	KindStack
)

var kindNames = [...]string{KindFilter: "filter", KindRule: "rule", KindSession: "session",
	KindService: "service", KindStack: "stack"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) {
	if k == 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("no such kind %d", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown object type %q", b)
}

// An Addr is the stable address of an object (contract C5):
// filter.<key>, filter.<key>.<ingress|egress>[priority=<p>],
// session.<key>, service.<region> or stack.<name>. Addresses are compared
// as values; String and ParseAddr are each other's inverse.
type Addr struct {
	Kind Kind
	// Key is the filter or session key, the region of the service, or the
	// stack name.
	Key string
	// Dir and Priority place a rule in its filter.
	Dir      string
	Priority int
}

// Filter returns the address of filter key.
func Filter(key string) Addr { return Addr{Kind: KindFilter, Key: key} }

// Rule returns the address of the rule of filter key in direction dir
// at priority p.
func Rule(key, dir string, p int) Addr {
	return Addr{Kind: KindRule, Key: key, Dir: dir, Priority: p}
}

// Session returns the address of session key.
func Session(key string) Addr { return Addr{Kind: KindSession, Key: key} }

// Service returns the address of the service of region.
func Service(region string) Addr { return Addr{Kind: KindService, Key: region} }

// Stack returns the address of stack name.
func Stack(name string) Addr { return Addr{Kind: KindStack, Key: name} }

// IsZero reports whether a is the zero address.
func (a Addr) IsZero() bool { return a == Addr{} }

// Unit returns the object that is never written in parallel with a: the
// filter of a rule, else a itself.
func (a Addr) Unit() Addr {
	if a.Kind == KindRule {
		return Filter(a.Key)
	}
	return a
}

func (a Addr) String() string {
	switch a.Kind {
	case KindRule:
		return fmt.Sprintf("filter.%s.%s[priority=%d]", a.Key, a.Dir, a.Priority)
	case 0:
		return ""
	}
	return a.Kind.String() + "." + a.Key
}

// Parse parses the String form of an address.
func Parse(s string) (Addr, error) {
	kind, rest, ok := strings.Cut(s, ".")
	if !ok || rest == "" {
		return Addr{}, fmt.Errorf("address %q: want <type>.<key>", s)
	}
	var k Kind
	if err := k.UnmarshalText([]byte(kind)); err != nil || k == KindRule {
		return Addr{}, fmt.Errorf("address %q: unknown type %q", s, kind)
	}
	if k != KindFilter || !strings.HasSuffix(rest, "]") {
		if strings.ContainsAny(rest, "[]/ ") {
			return Addr{}, fmt.Errorf("address %q: unexpected characters in %q", s, rest)
		}
		return Addr{Kind: k, Key: rest}, nil
	}
	// filter.<key>.<dir>[priority=<p>]
	head, tail, _ := strings.Cut(rest[:len(rest)-1], "[priority=")
	i := strings.LastIndexByte(head, '.')
	if i <= 0 {
		return Addr{}, fmt.Errorf("address %q: want filter.<key>.<direction>[priority=<n>]", s)
	}
	key, dir := head[:i], head[i+1:]
	if dir != ingress && dir != egress {
		return Addr{}, fmt.Errorf("address %q: direction %q is not ingress or egress", s, dir)
	}
	p, err := strconv.Atoi(tail)
	if err != nil || p < 0 || strconv.Itoa(p) != tail {
		return Addr{}, fmt.Errorf("address %q: bad priority %q", s, tail)
	}
	return Rule(key, dir, p), nil
}

// MarshalText writes a's String form.
func (a Addr) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses a's String form.
func (a *Addr) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*a = Addr{}
		return nil
	}
	x, err := Parse(string(b))
	if err != nil {
		return err
	}
	*a = x
	return nil
}
