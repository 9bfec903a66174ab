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
	root    *ynode
	// value is the JSON form of the document, for the schema and decoding.
	value map[string]any
	// index maps the keys of a large mapping of root to their entry, so
	// finding a node by pointer does not scan it; built on first use.
	index map[*ynode]map[string]int
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
	n, _, _ := f.find(ptr)
	if n == nil {
		return Pos{File: f.path, Line: 1, Col: 1}
	}
	return Pos{File: f.path, Line: n.Line, Col: n.Column}
}

// keyPos returns the position of the mapping key whose value is at ptr,
// falling back to the value.
func (f *file) keyPos(ptr string) Pos {
	if _, k, ok := f.find(ptr); ok && k != nil {
		return Pos{File: f.path, Line: k.Line, Col: k.Column}
	}
	return f.pos(ptr)
}

// node returns the node of the value at ptr, or nil.
func (f *file) node(ptr string) *ynode {
	if n, _, ok := f.find(ptr); ok {
		return n
	}
	return nil
}

// find follows ptr from the root as the converter made the value: aliases
// lead to their anchor's nodes (where to edit them), a key written twice
// is its first, merge keys and keys that are no scalar are not there. It
// returns the node of the value at ptr and, when that value is in a
// mapping, the node of its key; or, when ptr goes further than the
// document, the closest ancestor's node and ok false.
func (f *file) find(ptr string) (n, key *ynode, ok bool) {
	n = f.root
	for rest := ptr; rest != ""; {
		if n == nil || rest[0] != '/' {
			return n, nil, false
		}
		tok := rest[1:]
		if i := strings.IndexByte(tok, '/'); i >= 0 {
			tok, rest = tok[:i], tok[i:]
		} else {
			rest = ""
		}
		var next *ynode
		switch n.Kind {
		case yaml.MappingNode:
			if i := f.entry(n, unescape(tok)); i >= 0 {
				key, next = n.Content[i], n.Content[i+1]
			}
		case yaml.SequenceNode:
			key = nil
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) && strconv.Itoa(i) == tok {
				next = n.Content[i]
			}
		}
		if next == nil {
			return n, nil, false
		}
		for next.Kind == yaml.AliasNode && next.Alias != nil {
			next = next.Alias
		}
		n = next
	}
	return n, key, true
}

// A seqPos finds the positions of the items of the sequence at a pointer,
// as file.pos does, finding the sequence once for all of them.
type seqPos struct {
	f *file
	p string
	n *ynode // the sequence, or nil when p is none
}

func (f *file) seq(p string) seqPos {
	n, _, ok := f.find(p)
	if !ok || n.Kind != yaml.SequenceNode {
		n = nil
	}
	return seqPos{f: f, p: p, n: n}
}

// pos returns the position of item i: f.pos(ptr(s.p, i)).
func (s seqPos) pos(i int) Pos {
	if s.n == nil {
		return s.f.pos(ptr(s.p, i))
	}
	n := s.n
	if i < len(n.Content) {
		n = n.Content[i]
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
	}
	return Pos{File: s.f.path, Line: n.Line, Col: n.Column}
}

// entry returns the index in m.Content of the first key k of mapping m,
// or -1.
func (f *file) entry(m *ynode, k string) int {
	if len(m.Content) < 32 {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if isKey(m.Content[i]) && m.Content[i].Value == k {
				return i
			}
		}
		return -1
	}
	idx, ok := f.index[m]
	if !ok {
		idx = make(map[string]int, len(m.Content)/2)
		for i := 0; i+1 < len(m.Content); i += 2 {
			if _, dup := idx[m.Content[i].Value]; !dup && isKey(m.Content[i]) {
				idx[m.Content[i].Value] = i
			}
		}
		if f.index == nil {
			f.index = map[*ynode]map[string]int{}
		}
		f.index[m] = idx
	}
	if i, ok := idx[k]; ok {
		return i
	}
	return -1
}

// isKey reports whether k is a key the converter keeps: a scalar, not a
// merge key.
func isKey(k *ynode) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge"
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
	// be a pipe or still growing. Stat only sizes the buffer.
	buf := bytes.NewBuffer(nil)
	if st, err := fh.Stat(); err == nil && st.Size() < lim.fileBytes {
		buf.Grow(int(st.Size()) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(fh, lim.fileBytes+1))
	data := buf.Bytes()
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
	// Most spec files are plain block YAML, which fastYAML reads as
	// yaml.v3 would; anything else, errors included, is yaml.v3's.
	root, ok := fastYAML(data)
	if ok && !f.explicit && !looksLikeSpec(root) {
		f.skipped = true
		return false
	}
	if !ok {
		if root = f.parse(data, d); root == nil {
			return false
		}
	}
	f.root = root
	f.bad = map[string]bool{}
	f.badKeys = map[string]bool{}
	f.merged = map[string]bool{}
	c := converter{f: f, d: d}
	v, err := c.value(root, 0)
	if err != nil {
		d.add(Pos{File: f.path, Line: c.at.Line, Col: c.at.Column}, err.(*limitError).hint, "%v", err)
		return false
	}
	f.value = v.(map[string]any)
	return true
}

// parse parses data with yaml.v3 and returns the root of its one document,
// a mapping; or nil when it has reported why there is none, or skipped a
// file that is not a spec.
func (f *file) parse(data []byte, d *diags) *ynode {
	whole := Pos{File: f.path}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := decode(dec, &doc); err != nil {
		if err == io.EOF {
			f.reportEmpty(d)
			return nil
		}
		p, msg := whole, err.Error()
		if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			p, msg = Pos{File: f.path, Line: line, Col: 1}, m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		d.add(p, "fix the YAML syntax at or after this line; check the indentation", "invalid YAML: %s", msg)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		f.reportEmpty(d)
		return nil
	}
	root := fromYAML(doc.Content[0], map[*yaml.Node]*ynode{})
	if !f.explicit && !looksLikeSpec(root) {
		f.skipped = true
		return nil
	}
	var next yaml.Node
	if err := decode(dec, &next); err != io.EOF {
		p := whole
		if err == nil {
			p = Pos{File: f.path, Line: next.Line, Col: next.Column}
		}
		d.add(p, "put each document in its own file; files with the same stack are merged",
			"a spec file holds one YAML document; this is the second")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.add(Pos{File: f.path, Line: root.Line, Col: root.Column},
			"write a mapping with at least stack and region",
			"a spec file must be a YAML mapping, not a %s", kindName(root))
		return nil
	}
	return root
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
func looksLikeSpec(n *ynode) bool {
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

func kindName(n *ynode) string {
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
// node budget. A value's node is found again by its pointer (file.find).
type converter struct {
	f     *file
	d     *diags
	count int
	at    *ynode // the node where a limit was hit
	// alias is the outermost alias being expanded: where a document blows
	// up, and so where to point.
	alias *ynode
	// path leads from the root to the value being converted; its pointer
	// is only spelled out for a diagnostic.
	path []location
}

// ptr returns the JSON pointer of the value being converted.
func (c *converter) ptr() string {
	var b strings.Builder
	for _, l := range c.path {
		if l.idx >= 0 {
			b.WriteString("/" + strconv.Itoa(l.idx))
		} else {
			b.WriteString(ptr("", l.key))
		}
	}
	return b.String()
}

func (c *converter) value(n *ynode, depth int) (any, error) {
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
		v, err := c.value(n.Alias, depth+1)
		if outer && err == nil {
			c.alias = nil
		}
		return v, err
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			c.path = append(c.path, location{idx: i})
			v, err := c.value(item, depth+1)
			c.path = c.path[:len(c.path)-1]
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
				c.f.bad[c.ptr()] = true
				continue
			}
			if k.ShortTag() == "!!merge" {
				c.d.add(kp, "write the fields out; anchors and aliases (&a, *a) of whole values work",
					"merge keys (<<) are not supported")
				c.f.bad[c.ptr()] = true
				c.f.merged[c.ptr()] = true
				continue
			}
			if _, dup := out[k.Value]; dup {
				first := n.Content[c.f.entry(n, k.Value)]
				c.d.add(kp, "remove one of them or rename it",
					"duplicate key %q (first at line %d)", k.Value, first.Line)
				c.f.bad[ptr(c.ptr(), k.Value)] = true
				continue
			}
			c.path = append(c.path, location{key: k.Value, idx: -1})
			v, err := c.value(vn, depth+1)
			c.path = c.path[:len(c.path)-1]
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
func scalar(n *ynode) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		switch n.Value {
		case "true":
			return true
		case "false":
			return false
		}
		var b bool
		if n.decode(&b) == nil {
			return b
		}
	case "!!int":
		if n.Style == 0 && decimal(n.Value) {
			i, err := strconv.ParseInt(n.Value, 10, 64)
			if err == nil {
				return i
			}
		}
		var i int64
		if n.decode(&i) == nil {
			return i
		}
	case "!!float":
		var x float64
		if n.decode(&x) == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return x
		}
	}
	return n.Value
}

// A ynode is a node of a parsed file as the loader keeps it: what it reads
// of yaml.v3's node, in half its size (no comments, no anchor names). Tag
// is the short tag yaml.v3 resolves (Node.ShortTag); an alias points at
// its anchor's node.
type ynode struct {
	Kind         yaml.Kind
	Style        yaml.Style
	Line, Column int
	Tag, Value   string
	Content      []*ynode
	Alias        *ynode
}

// ShortTag is the node's resolved tag, as yaml.Node.ShortTag.
func (n *ynode) ShortTag() string { return n.Tag }

// decode decodes a scalar node into v as yaml.v3 does.
func (n *ynode) decode(v any) error {
	y := yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value}
	return y.Decode(v)
}

// fromYAML copies a yaml.v3 tree into ynodes; seen maps each node copied
// to its copy, so that an alias points at its anchor's copy (also when
// the anchor's value holds the alias).
func fromYAML(n *yaml.Node, seen map[*yaml.Node]*ynode) *ynode {
	if c, ok := seen[n]; ok {
		return c
	}
	c := &ynode{Kind: n.Kind, Style: n.Style, Tag: n.ShortTag(), Value: n.Value, Line: n.Line, Column: n.Column}
	seen[n] = c
	if n.Alias != nil {
		c.Alias = fromYAML(n.Alias, seen)
	}
	if len(n.Content) > 0 {
		c.Content = make([]*ynode, len(n.Content))
		for i, x := range n.Content {
			c.Content[i] = fromYAML(x, seen)
		}
	}
	return c
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
