package spec

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkSchema validates f against the embedded schema and reports each
// failed keyword at the node it is about, marking that node bad.
func checkSchema(f *file, sch *schemaNode, d *diags) {
	var faults []schemaFault
	sch.check(f.value, nil, false, &faults)
	for _, e := range faults {
		f.schemaDiag(e, d)
	}
}

func (f *file) schemaDiag(e schemaFault, d *diags) {
	inst, kw, sch := e.inst, e.kw, e.sch
	path := display(inst)
	val, _ := f.get(inst)

	if e.key {
		// The key is what to fix: only it (and its value) is left out of
		// the checks that follow, not the mapping's other keys.
		f.badKeys[inst] = true
		key := lastToken(inst)
		hint := "rename the key"
		if m, ok := sch["patternErrorMessage"].(string); ok {
			hint = m
		}
		msg := fmt.Sprintf("key %q is not valid", key)
		switch kw {
		case "maxLength":
			msg = fmt.Sprintf("key %q is longer than %v characters", key, sch["maxLength"])
			hint = "shorten the key"
		case "minLength":
			msg = "key must not be empty"
		}
		d.add(f.keyPos(inst), hint, "%s: %s", display(parent(inst)), msg)
		return
	}

	f.bad[inst] = true
	at := f.pos(inst)
	if f.merged[inst] && (kw == "required" || kw == "additionalProperties") {
		return
	}
	switch kw {
	case "additionalProperties":
		obj, _ := val.(map[string]any)
		props, _ := sch["properties"].(map[string]any)
		allowed := sortedKeys(props)
		for _, k := range sortedKeys(obj) {
			if _, ok := props[k]; ok {
				continue
			}
			hint := "remove it or fix its spelling; allowed here: " + strings.Join(allowed, ", ")
			if s := closest(k, allowed); s != "" {
				hint = fmt.Sprintf("did you mean %s? allowed here: %s", s, strings.Join(allowed, ", "))
			}
			d.add(f.keyPos(ptr(inst, k)), hint, "%sunknown field %q", lead(inst), k)
		}
		return
	case "required":
		obj, _ := val.(map[string]any)
		req, _ := sch["required"].([]any)
		for _, r := range req {
			k := r.(string)
			if _, ok := obj[k]; !ok {
				where := "at the top of the file"
				if inst != "" {
					where = "to " + display(inst)
				}
				d.add(f.keyPos(inst), "add "+k+": "+where, "%smissing field %q", lead(inst), k)
			}
		}
		return
	case "oneOf":
		var types []any
		for _, alt := range sch["oneOf"].([]any) {
			if m, ok := alt.(map[string]any); ok && m["type"] != nil {
				types = append(types, m["type"])
			}
		}
		want := typeNames(types)
		d.add(at, "write "+want, "%s must be %s, not %s", path, want, describe(val))
	case "type":
		want := typeNames(sch["type"])
		hint := "write " + want
		if n := f.node(inst); n != nil && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 &&
			strings.Contains(want, "integer") {
			if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
				hint = "write the number without quotes"
			}
		}
		d.add(at, hint, "%s must be %s, not %s", path, want, describe(val))
	case "enum", "const":
		opts := enumValues(sch)
		hint := "use one of: " + strings.Join(opts, ", ")
		if s, ok := val.(string); ok {
			for _, o := range opts {
				if strings.EqualFold(o, s) {
					hint = "write " + o + " (case matters)"
				}
			}
		}
		if len(opts) == 1 {
			d.add(at, describeSchema(sch, hint), "%s must be %s, not %s", path, opts[0], describe(val))
			return
		}
		d.add(at, hint, "%s: %s is not one of %s", path, describe(val), strings.Join(opts, ", "))
	case "minimum", "maximum":
		d.add(at, fmt.Sprintf("use a value from %v to %v", num(sch["minimum"]), num(sch["maximum"])),
			"%s: %s is out of range %v-%v", path, describe(val), num(sch["minimum"]), num(sch["maximum"]))
	case "minLength":
		d.add(at, "write a value or remove the field", "%s must not be empty", path)
	case "maxLength":
		d.add(at, fmt.Sprintf("shorten it to at most %v characters", num(sch["maxLength"])),
			"%s is longer than %v characters", path, num(sch["maxLength"]))
	case "pattern":
		hint, _ := sch["patternErrorMessage"].(string)
		d.add(at, hint, "%s: %s is not valid", path, describe(val))
	case "maxItems":
		n := 0
		if l, ok := val.([]any); ok {
			n = len(l)
		}
		d.add(at, fmt.Sprintf("remove entries until at most %v are left", num(sch["maxItems"])),
			"%s has %d entries; at most %v are allowed", path, n, num(sch["maxItems"]))
	case "minItems":
		d.add(at, fmt.Sprintf("give at least %v", num(sch["minItems"])), "%s must not be empty", path)
	case "maxProperties":
		n := 0
		if m, ok := val.(map[string]any); ok {
			n = len(m)
		}
		d.add(at, fmt.Sprintf("remove entries until at most %v are left", num(sch["maxProperties"])),
			"%s has %d entries; at most %v are allowed", path, n, num(sch["maxProperties"]))
	default:
		d.add(at, "see docs/spec.md or run tmsync schema", "%s: %s", path, e.msg)
	}
}

// describeSchema returns the schema's description as a hint when it has one.
func describeSchema(sch map[string]any, fallback string) string {
	if p, ok := sch["description"].(string); ok {
		return p
	}
	return fallback
}

// get returns the value at JSON pointer p in f.
func (f *file) get(p string) (any, bool) {
	var v any = f.value
	if p == "" {
		return v, true
	}
	for _, t := range strings.Split(p[1:], "/") {
		t = unescape(t)
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[t]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func unescape(t string) string {
	if u, err := url.PathUnescape(t); err == nil {
		t = u
	}
	t = strings.ReplaceAll(t, "~1", "/")
	return strings.ReplaceAll(t, "~0", "~")
}

func lastToken(p string) string { return unescape(p[strings.LastIndexByte(p, '/')+1:]) }

func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// lead is the path of p followed by ": ", or nothing for the whole file.
func lead(p string) string {
	if p == "" {
		return ""
	}
	return display(p) + ": "
}

// display turns a JSON pointer into the dotted path users read in YAML:
// /filters/web/ingress/0/priority is filters.web.ingress[0].priority.
func display(p string) string {
	if p == "" {
		return "file"
	}
	var b strings.Builder
	for _, t := range strings.Split(p[1:], "/") {
		t = unescape(t)
		if _, err := strconv.Atoi(t); err == nil {
			fmt.Fprintf(&b, "[%s]", t)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

func typeNames(t any) string {
	var names []string
	switch x := t.(type) {
	case string:
		names = []string{x}
	case []any:
		for _, n := range x {
			names = append(names, n.(string))
		}
	}
	for i, n := range names {
		switch n {
		case "object":
			names[i] = "a mapping"
		case "array":
			names[i] = "a list"
		case "integer":
			names[i] = "an integer"
		default:
			names[i] = "a " + n
		}
	}
	return strings.Join(names, " or ")
}

// describe names a value in a message: strings quoted, mappings and lists
// by kind.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "empty"
	case string:
		if len(x) > 40 {
			x = x[:37] + "..."
		}
		return strconv.Quote(x)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

func enumValues(sch map[string]any) []string {
	var opts []any
	if c, ok := sch["const"]; ok {
		opts = []any{c}
	} else {
		opts, _ = sch["enum"].([]any)
	}
	out := make([]string, 0, len(opts))
	for _, o := range opts {
		out = append(out, fmt.Sprint(o))
	}
	return out
}

func num(v any) any {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return int64(f)
	}
	return v
}

// closest returns the candidate nearest to s by edit distance, if it is
// near enough to be a typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if d := distance(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
