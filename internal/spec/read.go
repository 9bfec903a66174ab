package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// limits bound what one Load reads, so hostile input fails fast with a
// diagnostic instead of exhausting memory. Tests shrink them.
type limits struct {
	fileBytes  int64 // one file
	stackBytes int64 // all files of one stack
	files      int   // files in one run
	depth      int   // nesting of mappings and sequences
	// nodes bounds the YAML nodes of one file after alias expansion; it
	// stops "billion laughs" documents, whose size is in their aliases.
	nodes int
}

var lim = limits{
	fileBytes:  16 << 20,
	stackBytes: 64 << 20,
	files:      10000,
	depth:      64,
	nodes:      200000,
}

// A file is one parsed spec file.
type file struct {
	path string
	size int64
	// explicit is true when the path was given to -f itself rather than
	// found by walking a directory.
	explicit bool
	// arg is the -f argument the file came from.
	arg string
	// skipped is set when a file found in a directory is not a spec.
	skipped bool
	root    *yaml.Node
	// value is the JSON form of the document, for the schema and decoding.
	value map[string]any
	// nodes maps a JSON pointer to the node of its value, keys to the node
	// of its mapping key; diagnostics take their positions from them.
	nodes map[string]*yaml.Node
	keys  map[string]*yaml.Node
	// merged holds the mappings that had a merge key: fields missing
	// there are a consequence of the refused key, not another mistake.
	merged map[string]bool
	// bad holds the pointers of values the schema rejected; semantic
	// checks skip objects under them so one mistake is reported once.
	bad map[string]bool
	// badKeys holds the pointers of mapping keys the schema rejected:
	// the key and its value are skipped, the mapping's other keys are
	// still checked.
	badKeys map[string]bool
}

// pos returns the position of the value at pointer ptr, or of its closest
// ancestor that has one.
func (f *file) pos(ptr string) Pos {
	for {
		if n, ok := f.nodes[ptr]; ok {
			return Pos{File: f.path, Line: n.Line, Col: n.Column}
		}
		if ptr == "" {
			return Pos{File: f.path, Line: 1, Col: 1}
		}
		ptr = ptr[:strings.LastIndexByte(ptr, '/')]
	}
}

// keyPos returns the position of the mapping key whose value is at ptr,
// falling back to the value.
func (f *file) keyPos(ptr string) Pos {
	if n, ok := f.keys[ptr]; ok {
		return Pos{File: f.path, Line: n.Line, Col: n.Column}
	}
	return f.pos(ptr)
}

// tainted reports whether the schema rejected the value at ptr or anything
// inside it, or the key of ptr or of a mapping it is in.
func (f *file) tainted(ptr string) bool {
	for p := range f.bad {
		if p == ptr || strings.HasPrefix(p, ptr+"/") {
			return true
		}
	}
	for k := range f.badKeys {
		if k == ptr || strings.HasPrefix(ptr, k+"/") {
			return true
		}
	}
	return false
}

// ptr joins JSON pointer tokens the way the schema validator escapes them,
// so pointers from both sides compare equal.
func ptr(base string, tokens ...any) string {
	for _, t := range tokens {
		var s string
		switch t := t.(type) {
		case int:
			s = strconv.Itoa(t)
		case string:
			s = strings.ReplaceAll(t, "~", "~0")
			s = url.PathEscape(strings.ReplaceAll(s, "/", "~1"))
		default:
			panic(fmt.Sprintf("ptr: token %T", t))
		}
		base += "/" + s
	}
	return base
}

// collect expands paths into the spec files to read: files as given,
// directories walked recursively for *.yaml and *.yml (hidden directories
// such as .git and .tmsync are skipped). Each path must yield a file.
func collect(paths []string, d *diags) []*file {
	var out []*file
	seen := map[string]bool{}
	add := func(p, arg string, explicit bool) bool {
		key := filepath.Clean(p)
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if seen[key] {
			return true
		}
		seen[key] = true
		if len(out) == lim.files {
			d.add(Pos{File: p}, "split the spec into smaller runs or point -f at fewer directories",
				"more than %d spec files given", lim.files)
			return false
		}
		out = append(out, &file{path: p, arg: arg, explicit: explicit})
		return true
	}
	if len(paths) == 0 {
		d.add(Pos{}, "pass spec files or directories with -f", "no spec files given")
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			d.add(Pos{File: p}, "check the path given to -f", "cannot read: %v", unwrapPathErr(err))
			continue
		}
		if !st.IsDir() {
			if !add(p, p, true) {
				return out
			}
			continue
		}
		found := 0
		full := false
		err = filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
			if err != nil {
				d.add(Pos{File: q}, "check the directory's permissions", "cannot read: %v", unwrapPathErr(err))
				return nil
			}
			if e.IsDir() {
				if q != p && strings.HasPrefix(e.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			// Any YAML-named entry is a candidate, also one that is not a
			// regular file: read refuses it by name rather than skip it.
			if !isYAML(e.Name()) {
				return nil
			}
			found++
			if !add(q, p, false) {
				full = true
				return filepath.SkipAll
			}
			return nil
		})
		if full {
			return out
		}
		if err == nil && found == 0 {
			d.add(Pos{File: p}, "point -f at .yaml or .yml files, or at a directory holding them",
				"no YAML files in this directory")
		}
	}
	return out
}

// byteSize renders a limit: whole MiB when it is one, else bytes.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// modeName names the type of a file that is not regular.
func modeName(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	case t&fs.ModeDir != 0:
		return "a directory"
	}
	return "of type " + m.Type().String()
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// read reads and parses f. It returns false when f is not a tmsync spec
// found by walking a directory (a CI workflow next to the specs, say), which
// is skipped; every problem is reported to d.
func (f *file) read(d *diags) (ok bool) {
	whole := Pos{File: f.path}
	// Opening a named pipe waits for a writer, and a device may never end:
	// only regular files (also through a symlink) are opened.
	if st, err := os.Stat(f.path); err == nil && !st.Mode().IsRegular() {
		d.add(whole, "-f reads regular files and directories; write the spec to a file first",
			"not a regular file (%s)", modeName(st.Mode()))
		return false
	}
	fh, err := os.Open(f.path)
	if err != nil {
		d.add(whole, "check the path given to -f", "cannot read: %v", unwrapPathErr(err))
		return false
	}
	defer fh.Close()
	// Read one byte past the limit rather than trusting Stat: the file may
	// be a pipe or still growing.
	data, err := io.ReadAll(io.LimitReader(fh, lim.fileBytes+1))
	if err != nil {
		d.add(whole, "check the path given to -f", "cannot read: %v", unwrapPathErr(err))
		return false
	}
	if int64(len(data)) > lim.fileBytes {
		d.add(whole, "split the stack into several smaller files",
			"file is larger than %s", byteSize(lim.fileBytes))
		return false
	}
	f.size = int64(len(data))
	// yaml.v3 keeps every node in memory; a cheap upper bound on the node
	// count refuses pathological files before the parser allocates them.
	if n := separators(data); n > lim.nodes {
		d.add(whole, "split the stack into several smaller files",
			"file has too many YAML values (more than %d)", lim.nodes)
		return false
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := decode(dec, &doc); err != nil {
		if err == io.EOF {
			return f.reportEmpty(d)
		}
		p, msg := whole, err.Error()
		if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			p, msg = Pos{File: f.path, Line: line, Col: 1}, m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		d.add(p, "fix the YAML syntax at or after this line; check the indentation", "invalid YAML: %s", msg)
		return false
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		return f.reportEmpty(d)
	}
	root := doc.Content[0]
	if !f.explicit && !looksLikeSpec(root) {
		f.skipped = true
		return false
	}
	var next yaml.Node
	if err := decode(dec, &next); err != io.EOF {
		p := whole
		if err == nil {
			p = Pos{File: f.path, Line: next.Line, Col: next.Column}
		}
		d.add(p, "put each document in its own file; files with the same stack are merged",
			"a spec file holds one YAML document; this is the second")
		return false
	}
	if root.Kind != yaml.MappingNode {
		d.add(Pos{File: f.path, Line: root.Line, Col: root.Column},
			"write a mapping with at least stack and region",
			"a spec file must be a YAML mapping, not a %s", kindName(root))
		return false
	}
	f.root = root
	f.nodes = map[string]*yaml.Node{}
	f.keys = map[string]*yaml.Node{}
	f.bad = map[string]bool{}
	f.badKeys = map[string]bool{}
	f.merged = map[string]bool{}
	c := converter{f: f, d: d}
	v, err := c.value(root, "", 0)
	if err != nil {
		d.add(Pos{File: f.path, Line: c.at.Line, Col: c.at.Column}, err.(*limitError).hint, "%v", err)
		return false
	}
	f.value = v.(map[string]any)
	return true
}

func (f *file) reportEmpty(d *diags) bool {
	f.skipped = !f.explicit
	if f.explicit {
		d.add(Pos{File: f.path}, "add at least stack and region, or leave the file out",
			"file has no YAML document")
	}
	return false
}

// decode runs the YAML parser, turning its panics into errors: whatever the
// input, the loader must answer with a diagnostic.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// separators counts the bytes that can start or separate YAML nodes. Every
// node but the first needs one, so it bounds the node count from above.
func separators(data []byte) int {
	n := 0
	for _, b := range data {
		switch b {
		case ',', '\n', '[', '{', '-', ':', '?', '*', '&':
			n++
		}
	}
	return n
}

// looksLikeSpec tells a tmsync file from other YAML found in a directory:
// it is a mapping naming a stack, filters or sessions.
func looksLikeSpec(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "stack", "filters", "sessions":
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

type limitError struct{ msg, hint string }

func (e *limitError) Error() string { return e.msg }

// A converter turns a YAML node tree into JSON values (map[string]any,
// []any, string, int64, float64, bool, nil), expanding aliases within the
// node budget and recording each value's node.
type converter struct {
	f     *file
	d     *diags
	count int
	at    *yaml.Node // the node where a limit was hit
	// alias is the outermost alias being expanded: where a document blows
	// up, and so where to point.
	alias *yaml.Node
}

func (c *converter) value(n *yaml.Node, p string, depth int) (any, error) {
	c.count++
	if c.count > lim.nodes {
		c.at = n
		if c.alias != nil {
			c.at = c.alias
		}
		return nil, &limitError{
			msg:  fmt.Sprintf("document expands to more than %d YAML values (aliases included)", lim.nodes),
			hint: "use fewer aliases (*name) or split the file",
		}
	}
	if depth > lim.depth {
		c.at = n
		return nil, &limitError{
			msg:  fmt.Sprintf("values nested deeper than %d levels", lim.depth),
			hint: "a spec nests a few levels only; check the indentation",
		}
	}
	if n.Kind == yaml.AliasNode {
		// Values under an alias keep their anchor's positions: that is
		// where to edit them.
		outer := c.alias == nil
		if outer {
			c.alias = n
		}
		v, err := c.value(n.Alias, p, depth+1)
		if outer && err == nil {
			c.alias = nil
		}
		return v, err
	}
	if _, seen := c.f.nodes[p]; !seen {
		c.f.nodes[p] = n
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], p, depth)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			v, err := c.value(item, ptr(p, i), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			c.count++
			kp := Pos{File: c.f.path, Line: k.Line, Col: k.Column}
			if k.Kind != yaml.ScalarNode {
				c.d.add(kp, "use a plain string as the key", "a mapping key must be a string, not a %s", kindName(k))
				c.f.bad[p] = true
				continue
			}
			if k.ShortTag() == "!!merge" {
				c.d.add(kp, "write the fields out; anchors and aliases (&a, *a) of whole values work",
					"merge keys (<<) are not supported")
				c.f.bad[p] = true
				c.f.merged[p] = true
				continue
			}
			if _, dup := out[k.Value]; dup {
				first := c.f.keys[ptr(p, k.Value)]
				c.d.add(kp, "remove one of them or rename it",
					"duplicate key %q (first at line %d)", k.Value, first.Line)
				c.f.bad[ptr(p, k.Value)] = true
				continue
			}
			cp := ptr(p, k.Value)
			c.f.keys[cp] = k
			v, err := c.value(vn, cp, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	return scalar(n), nil
}

// scalar returns the JSON value of a scalar node by its resolved YAML tag.
// Values JSON cannot hold (infinities, huge integers, timestamps) stay
// strings, so the schema reports them as the wrong type.
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var x float64
		if n.Decode(&x) == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return x
		}
	}
	return n.Value
}

// sortedKeys returns the keys of m in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
