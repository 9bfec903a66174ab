package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tmsync/tmsync/schema"
)

// A schemaNode is one schema object of the embedded JSON Schema, compiled
// for checking the values of a spec file. It knows the draft-07 keywords the
// embedded schema uses and no others: compileSchema refuses a schema with
// any other validation keyword, so the checks cannot silently fall short of
// what the schema says (editors and tmsync schema show the same file).
//
// check follows the order of a JSON Schema validator: a wrong type is the
// only fault of its value; otherwise every failed keyword is one fault.
type schemaNode struct {
	// doc is the schema object as written; diagnostics take their wording
	// from it (allowed fields, ranges, patternErrorMessage).
	doc map[string]any
	// ref is the schema a $ref names; draft-07 ignores the keywords next
	// to it, and compileSchema refuses validation keywords there.
	ref *schemaNode

	types    []string
	enum     []any // the values of enum, or the value of const
	enumKw   string
	required []string
	props    map[string]*schemaNode
	names    *schemaNode // propertyNames
	extra    *schemaNode // additionalProperties as a schema
	closed   bool        // additionalProperties: false
	items    *schemaNode
	oneOf    []*schemaNode

	// Bounds are -1 (or nil) when the schema sets none.
	minItems, maxItems, minProps, maxProps int
	minLen, maxLen                         int
	pattern                                *regexp.Regexp
	minimum, maximum                       *float64
}

// A schemaFault is one failed keyword: what check reports.
type schemaFault struct {
	inst string // JSON pointer of the value, escaped as ptr does
	kw   string // the keyword that failed
	// key is set when the value is a mapping key, checked by
	// propertyNames: the key is what to fix.
	key bool
	sch map[string]any // the schema object holding kw
	// msg says what failed in a JSON Schema validator's words, for a
	// keyword the diagnostics do not word themselves.
	msg string
	// wrapped is set when the fault was found through a $ref or a oneOf
	// below the schema being checked: a validator reports it nested, so it
	// is not the bare type mismatch of a oneOf branch.
	wrapped bool
}

// compiledSchema is the embedded schema, compiled once per process.
var compiledSchema = sync.OnceValues(func() (*schemaNode, error) {
	return compileSchema(schema.JSON)
})

// annotations are the keywords that do not validate.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"definitions": true, "default": true, "examples": true,
	"patternErrorMessage": true, // tmsync's wording of a failed pattern
}

// compileSchema compiles a draft-07 schema whose references all point into
// the document itself.
func compileSchema(data []byte) (*schemaNode, error) {
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	c := schemaCompiler{root: root, done: map[string]*schemaNode{}}
	return c.compile(root, "#")
}

type schemaCompiler struct {
	root map[string]any
	// done holds the schemas compiled so far by location, so a definition
	// referenced many times is compiled once (and a cycle terminates).
	done map[string]*schemaNode
}

func (c *schemaCompiler) compile(v any, at string) (*schemaNode, error) {
	if s, ok := c.done[at]; ok {
		return s, nil
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be an object", at)
	}
	s := &schemaNode{doc: doc, minItems: -1, maxItems: -1, minProps: -1, maxProps: -1, minLen: -1, maxLen: -1}
	c.done[at] = s
	if r, ok := doc["$ref"]; ok {
		ref, _ := r.(string)
		target, err := c.resolve(ref)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		if s.ref, err = c.compile(target, ref); err != nil {
			return nil, err
		}
		for k := range doc {
			if k != "$ref" && !annotations[k] {
				return nil, fmt.Errorf("%s: keyword %s next to $ref is ignored by draft-07", at, k)
			}
		}
		return s, nil
	}
	for _, k := range sortedKeys(doc) {
		val := doc[k]
		var err error
		switch k {
		case "type":
			s.types, err = stringList(val)
		case "enum":
			s.enum, ok = val.([]any)
			s.enumKw = k
			if !ok || len(s.enum) == 0 {
				err = fmt.Errorf("not a non-empty list")
			}
		case "const":
			s.enum, s.enumKw = []any{val}, k
		case "required":
			s.required, err = stringList(val)
		case "properties":
			m, ok := val.(map[string]any)
			if !ok {
				err = fmt.Errorf("not an object")
				break
			}
			s.props = map[string]*schemaNode{}
			for _, name := range sortedKeys(m) {
				if s.props[name], err = c.compile(m[name], at+"/properties/"+name); err != nil {
					return nil, err
				}
			}
		case "propertyNames":
			s.names, err = c.compile(val, at+"/"+k)
		case "additionalProperties":
			if b, ok := val.(bool); ok {
				s.closed = !b
				break
			}
			s.extra, err = c.compile(val, at+"/"+k)
		case "items":
			s.items, err = c.compile(val, at+"/"+k)
		case "minItems":
			s.minItems, err = count(val)
		case "maxItems":
			s.maxItems, err = count(val)
		case "minProperties":
			s.minProps, err = count(val)
		case "maxProperties":
			s.maxProps, err = count(val)
		case "oneOf":
			list, ok := val.([]any)
			if !ok || len(list) == 0 {
				err = fmt.Errorf("not a non-empty list")
				break
			}
			for i, b := range list {
				sub, err := c.compile(b, at+"/oneOf/"+strconv.Itoa(i))
				if err != nil {
					return nil, err
				}
				s.oneOf = append(s.oneOf, sub)
			}
		case "minLength":
			s.minLen, err = count(val)
		case "maxLength":
			s.maxLen, err = count(val)
		case "pattern":
			p, _ := val.(string)
			s.pattern, err = regexp.Compile(p)
		case "minimum", "maximum":
			x, ok := val.(float64)
			if !ok {
				err = fmt.Errorf("not a number")
			} else if k == "minimum" {
				s.minimum = &x
			} else {
				s.maximum = &x
			}
		default:
			if !annotations[k] {
				err = fmt.Errorf("keyword not supported by the spec loader")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", at, k, err)
		}
	}
	return s, nil
}

// resolve returns the schema a reference names: a JSON pointer into the
// document (#/definitions/key).
func (c *schemaCompiler) resolve(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q: only references within the schema are supported", ref)
	}
	var v any = c.root
	for _, t := range strings.Split(ref[2:], "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: not found", ref)
		}
		if v, ok = m[unescape(t)]; !ok {
			return nil, fmt.Errorf("$ref %q: not found", ref)
		}
	}
	return v, nil
}

func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("not a list of strings")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("not a string or a list of strings")
}

func count(v any) (int, error) {
	x, ok := v.(float64)
	if !ok || x < 0 || x != math.Trunc(x) {
		return 0, fmt.Errorf("not a count")
	}
	return int(x), nil
}

// A location is the JSON pointer of a value being checked, as a chain to
// its parent: the pointer is only spelled out for a fault.
type location struct {
	up  *location
	key string
	idx int // the index of an item of a list; -1 for the value of a key
}

func (l *location) String() string {
	if l == nil {
		return ""
	}
	tok := strconv.Itoa(l.idx)
	if l.idx < 0 {
		tok = ptr("", l.key)[1:]
	}
	return l.up.String() + "/" + tok
}

// check appends to out a fault for each keyword v fails. key is set when v
// is a mapping key checked by propertyNames.
func (s *schemaNode) check(v any, at *location, key bool, out *[]schemaFault) {
	if s.ref != nil {
		n := len(*out)
		s.ref.check(v, at, key, out)
		wrap(*out, n)
		return
	}
	fail := func(kw, format string, args ...any) {
		*out = append(*out, schemaFault{inst: at.String(), kw: kw, key: key, sch: s.doc, msg: fmt.Sprintf(format, args...)})
	}
	if len(s.types) > 0 && !hasType(v, s.types) {
		fail("type", "expected %s, but got %s", strings.Join(s.types, " or "), jsonType(v))
		return
	}
	if s.enum != nil && !inEnum(v, s.enum) {
		fail(s.enumKw, "value must be one of the %s values", s.enumKw)
	}
	switch x := v.(type) {
	case map[string]any:
		if s.minProps >= 0 && len(x) < s.minProps {
			fail("minProperties", "minimum %d properties allowed, but found %d properties", s.minProps, len(x))
		}
		if s.maxProps >= 0 && len(x) > s.maxProps {
			fail("maxProperties", "maximum %d properties allowed, but found %d properties", s.maxProps, len(x))
		}
		var missing []string
		for _, r := range s.required {
			if _, ok := x[r]; !ok {
				missing = append(missing, quote(r))
			}
		}
		if len(missing) > 0 {
			fail("required", "missing properties: %s", strings.Join(missing, ", "))
		}
		if s.props == nil && s.names == nil && s.extra == nil && !s.closed {
			break
		}
		n := len(*out)
		if !s.checkFields(x, at, out, nil) {
			// Again with the keys in order, so faults come out the
			// same on every run.
			*out = (*out)[:n]
			s.checkFields(x, at, out, sortedKeys(x))
		}
	case []any:
		if s.minItems >= 0 && len(x) < s.minItems {
			fail("minItems", "minimum %d items required, but found %d items", s.minItems, len(x))
		}
		if s.maxItems >= 0 && len(x) > s.maxItems {
			fail("maxItems", "maximum %d items required, but found %d items", s.maxItems, len(x))
		}
		if s.items != nil {
			for i, item := range x {
				s.items.check(item, &location{up: at, idx: i}, false, out)
			}
		}
	case string:
		if s.minLen >= 0 || s.maxLen >= 0 {
			n := utf8.RuneCountInString(x)
			if s.minLen >= 0 && n < s.minLen {
				fail("minLength", "length must be >= %d, but got %d", s.minLen, n)
			}
			if s.maxLen >= 0 && n > s.maxLen {
				fail("maxLength", "length must be <= %d, but got %d", s.maxLen, n)
			}
		}
		if s.pattern != nil && !s.pattern.MatchString(x) {
			fail("pattern", "does not match pattern %s", quote(s.pattern.String()))
		}
	case int64, float64:
		if s.minimum != nil && compareNumber(x, *s.minimum) < 0 {
			fail("minimum", "must be >= %v but found %v", *s.minimum, x)
		}
		if s.maximum != nil && compareNumber(x, *s.maximum) > 0 {
			fail("maximum", "must be <= %v but found %v", *s.maximum, x)
		}
	}
	if len(s.oneOf) > 0 {
		s.checkOneOf(v, at, key, out, fail)
	}
}

// checkFields checks the fields of mapping x, in the order of keys or, when
// keys is nil, in map order; it returns false when it found a fault.
func (s *schemaNode) checkFields(x map[string]any, at *location, out *[]schemaFault, keys []string) bool {
	n := len(*out)
	var extra []string
	field := func(k string, v any) {
		here := &location{up: at, key: k, idx: -1}
		p, known := s.props[k]
		if known {
			p.check(v, here, false, out)
		}
		if s.names != nil {
			s.names.check(k, here, true, out)
		}
		switch {
		case known:
		case s.closed:
			extra = append(extra, quote(k))
		case s.extra != nil:
			s.extra.check(v, here, false, out)
		}
	}
	if keys == nil {
		for k, v := range x {
			field(k, v)
		}
	} else {
		for _, k := range keys {
			field(k, x[k])
		}
	}
	if len(extra) > 0 {
		*out = append(*out, schemaFault{inst: at.String(), kw: "additionalProperties", key: false, sch: s.doc,
			msg: fmt.Sprintf("additionalProperties %s not allowed", strings.Join(extra, ", "))})
	}
	return len(*out) == n
}

// checkOneOf checks that v passes exactly one of the oneOf schemas. When
// it passes none, the faults of the branches v has the type of are its
// faults; a v of no branch's type has one fault, the oneOf itself.
func (s *schemaNode) checkOneOf(v any, at *location, key bool, out *[]schemaFault, fail func(kw, format string, args ...any)) {
	matched := -1
	var branches [][]schemaFault
	for i, b := range s.oneOf {
		var fs []schemaFault
		b.check(v, at, key, &fs)
		if len(fs) > 0 {
			branches = append(branches, fs)
			continue
		}
		if matched >= 0 {
			fail("oneOf", "valid against schemas at indexes %d and %d", matched, i)
			return
		}
		matched = i
	}
	if matched >= 0 {
		return
	}
	n := len(*out)
	for _, fs := range branches {
		if len(fs) == 1 && fs[0].kw == "type" && !fs[0].wrapped {
			continue // not the branch of v's type
		}
		*out = append(*out, fs...)
	}
	if len(*out) == n {
		fail("oneOf", "oneOf failed")
		return
	}
	wrap(*out, n)
}

// wrap marks the faults from n on as found through a $ref or oneOf.
func wrap(fs []schemaFault, n int) {
	for i := n; i < len(fs); i++ {
		fs[i].wrapped = true
	}
}

// quote quotes s the way the JSON Schema validator's messages do.
func quote(s string) string {
	s = strconv.Quote(s)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, "'", `\'`)
	return "'" + s[1:len(s)-1] + "'"
}

// jsonType names the JSON type of a converted YAML value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

// hasType reports whether v is of one of types; an integer is a number
// without a fractional part, 3.0 included.
func hasType(v any, types []string) bool {
	t := jsonType(v)
	for _, want := range types {
		if want == t {
			return true
		}
		if want == "integer" {
			switch x := v.(type) {
			case int64:
				return true
			case float64:
				if x == math.Trunc(x) {
					return true
				}
			}
		}
	}
	return false
}

// inEnum reports whether v equals one of the values (numbers by value:
// 1 and 1.0 are equal).
func inEnum(v any, values []any) bool {
	for _, e := range values {
		if jsonType(v) != jsonType(e) {
			continue
		}
		switch x := v.(type) {
		case int64, float64:
			if compareNumber(x, e.(float64)) == 0 {
				return true
			}
		case map[string]any, []any:
			// The schema has no enum of mappings or lists.
		default:
			if v == e {
				return true
			}
		}
	}
	return false
}

// compareNumber compares a converted YAML number with a schema bound
// exactly: an int64 is not rounded to a float64 when the bound is whole.
func compareNumber(v any, bound float64) int {
	if i, ok := v.(int64); ok && bound == math.Trunc(bound) && math.Abs(bound) < 1<<62 {
		b := int64(bound)
		switch {
		case i < b:
			return -1
		case i > b:
			return 1
		}
		return 0
	}
	var x float64
	switch n := v.(type) {
	case int64:
		x = float64(n)
	case float64:
		x = n
	}
	switch {
	case x < bound:
		return -1
	case x > bound:
		return 1
	}
	return 0
}
