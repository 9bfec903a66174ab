package spec

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// fastYAML parses the plain block YAML that spec files are written in
// into the node tree yaml.v3 makes of it (as ynodes), several times
// faster: block mappings and sequences, one-line plain and quoted scalars,
// comments. Anything else (flow collections, anchors, aliases, tags, block
// scalars, scalars over several lines or with escapes, tabs, carriage
// returns, document markers, a root that is no mapping) and every syntax
// error returns false, and the caller parses with yaml.v3: what a file
// means, and how its errors read, is yaml.v3's. FuzzFastYAML holds the two
// to the same trees.
func fastYAML(data []byte) (*ynode, bool) {
	p := fastParser{data: data, text: string(data), split: true}
	if !p.scan() || len(p.lines) == 0 {
		return nil, false
	}
	first := p.lines[0]
	if p.seqEntry(first) {
		return nil, false
	}
	root, ok := p.mapping(first.indent, first.start+first.indent)
	if !ok || p.i != len(p.lines) {
		return nil, false
	}
	return root, true
}

// fastMaxDepth bounds the nesting the fast parser follows; deeper files
// are left to yaml.v3 and the loader's own depth limit.
const fastMaxDepth = 100

// fastMaxKey is the longest key the fast parser takes: yaml.v3 refuses a
// key of more than 1024 characters on its line.
const fastMaxKey = 1000

type fastParser struct {
	data []byte
	// text is data as one string: scalars are cut from it, not copied
	// one by one.
	text  string
	lines []fastLine // lines with content: no blank or comment-only lines
	i     int        // the next line to parse
	depth int
	slab  []ynode // nodes are allocated from here, a chunk at a time
	// tag resolves the tag of a plain scalar as yaml.v3 does.
	tag yaml.Node
	// split lets a large mapping be parsed in two halves at once; the
	// halves' own parsers do not split again.
	split bool
}

// A fastLine is one line with content.
type fastLine struct {
	start, end int // byte offsets in data, end at the line break
	indent     int // leading spaces
	num        int // 1-based line number
	ascii      bool
}

// scan splits data into lines and checks that every character is one the
// fast parser handles the way yaml.v3 does.
func (p *fastParser) scan() bool {
	data := p.data
	p.lines = make([]fastLine, 0, bytes.Count(data, []byte("\n"))+1)
	num := 0
	for start := 0; start < len(data); {
		num++
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		line := data[start:end]
		ascii := true
		for i := 0; i < len(line); {
			b := line[i]
			if b < utf8.RuneSelf {
				if b < 0x20 || b == 0x7f {
					return false // tabs, carriage returns, control characters
				}
				i++
				continue
			}
			ascii = false
			r, n := utf8.DecodeRune(line[i:])
			if !printable(r) || (r == utf8.RuneError && n == 1) {
				return false
			}
			i += n
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		rest := line[indent:]
		switch {
		case len(rest) == 0 || rest[0] == '#':
			// blank or comment only
		case indent == 0 && (bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("...")) || rest[0] == '%'):
			return false // document markers and directives
		default:
			p.lines = append(p.lines, fastLine{start: start, end: end, indent: indent, num: num, ascii: ascii})
		}
		start = end + 1
	}
	return true
}

// printable reports whether yaml.v3 reads r as an ordinary character:
// not a line break of its own (NEL, LS, PS), a byte order mark or a
// character it refuses.
func printable(r rune) bool {
	switch {
	case r >= 0xa0 && r <= 0xd7ff:
		return r != 0x2028 && r != 0x2029
	case r >= 0xe000 && r <= 0xfffd:
		return r != 0xfeff
	case r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

func (p *fastParser) node(kind yaml.Kind, tag, value string, l fastLine, off int) *ynode {
	if len(p.slab) == 0 {
		p.slab = make([]ynode, 256)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.Kind, n.Tag, n.Value = kind, tag, value
	n.Line, n.Column = l.num, p.col(l, off)
	return n
}

// col is the 1-based column of byte offset off of line l, in characters
// as yaml.v3 counts them.
func (p *fastParser) col(l fastLine, off int) int {
	if l.ascii {
		return off - l.start + 1
	}
	return utf8.RuneCount(p.data[l.start:off]) + 1
}

// seqEntry reports whether line l starts a sequence entry: "-" then a
// space or the end of the line.
func (p *fastParser) seqEntry(l fastLine) bool {
	o := l.start + l.indent
	return p.data[o] == '-' && (o+1 == l.end || p.data[o+1] == ' ')
}

// skipSpaces returns the first offset from off on line l that is no space.
func (p *fastParser) skipSpaces(l fastLine, off int) int {
	for off < l.end && p.data[off] == ' ' {
		off++
	}
	return off
}

// empty reports whether line l has nothing but a comment from off on
// (off follows a space, or is the end of the line).
func (p *fastParser) empty(l fastLine, off int) bool {
	return off == l.end || p.data[off] == '#'
}

// mapping parses a block mapping whose keys are at indent, the first at
// byte offset off of the current line.
func (p *fastParser) mapping(indent, off int) (*ynode, bool) {
	if p.depth++; p.depth > fastMaxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	l := p.lines[p.i]
	if p.split && off == l.start+l.indent {
		if m, ok, done := p.mappingHalves(indent); done {
			return m, ok
		}
	}
	m := p.node(yaml.MappingNode, "!!map", "", l, off)
	for {
		key, after, ok := p.key(l, off)
		if !ok {
			return nil, false
		}
		var val *ynode
		if v := p.skipSpaces(l, after); p.empty(l, v) {
			p.i++
			switch {
			case p.i < len(p.lines) && p.lines[p.i].indent > indent:
				val, ok = p.block()
			case p.i < len(p.lines) && p.lines[p.i].indent == indent && p.seqEntry(p.lines[p.i]):
				val, ok = p.sequence(indent)
			default:
				val = p.node(yaml.ScalarNode, "!!null", "", l, after)
			}
			if !ok {
				return nil, false
			}
		} else {
			if val, ok = p.scalar(l, v); !ok {
				return nil, false
			}
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].indent > indent {
				return nil, false // a scalar continued on the next line
			}
		}
		m.Content = append(m.Content, key, val)
		if p.i == len(p.lines) {
			return m, true
		}
		l = p.lines[p.i]
		switch {
		case l.indent < indent:
			return m, true
		case l.indent > indent || p.seqEntry(l):
			return nil, false
		}
		off = l.start + indent
	}
}

// fastSplitLines is the size, in lines, from which a mapping's entries are
// parsed in two halves at once (tests lower it).
var fastSplitLines = 4096

// mappingHalves parses a large block mapping at indent that starts on the
// current line in two halves at once, each by a parser of its own: an entry
// of a block mapping is read from its own lines only. done is false when
// the mapping is too small, or its entries too uneven, to split: then one
// of its entries may be split when it is parsed.
func (p *fastParser) mappingHalves(indent int) (m *ynode, ok, done bool) {
	if p.depth > 4 {
		return nil, false, false
	}
	end := p.i + 1
	for end < len(p.lines) && p.lines[end].indent >= indent {
		end++
	}
	span := end - p.i
	if span < fastSplitLines {
		return nil, false, false
	}
	// The second half starts at an entry: a line at indent that is no
	// sequence entry (those of a sequence written at the key's indent).
	mid := p.i + span/2
	for mid < end && (p.lines[mid].indent != indent || p.seqEntry(p.lines[mid])) {
		mid++
	}
	if mid == end || mid-p.i > span*3/5 {
		return nil, false, false
	}
	half := func(from, to int) *fastParser {
		return &fastParser{data: p.data, text: p.text, lines: p.lines[:to], i: from, depth: p.depth - 1}
	}
	a, b := half(p.i, mid), half(mid, end)
	var mb *ynode
	var okb bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l := b.lines[b.i]
		mb, okb = b.mapping(indent, l.start+indent)
		okb = okb && b.i == end
	}()
	l := a.lines[a.i]
	m, ok = a.mapping(indent, l.start+indent)
	ok = ok && a.i == mid
	wg.Wait()
	if !ok || !okb {
		return nil, false, true
	}
	m.Content = append(m.Content, mb.Content...)
	p.i = end
	return m, true, true
}

// sequence parses a block sequence whose entries are at indent, the first
// on the current line.
func (p *fastParser) sequence(indent int) (*ynode, bool) {
	if p.depth++; p.depth > fastMaxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	l := p.lines[p.i]
	s := p.node(yaml.SequenceNode, "!!seq", "", l, l.start+indent)
	for {
		dash := l.start + indent
		v := p.skipSpaces(l, dash+1)
		var item *ynode
		ok := true
		switch {
		case p.empty(l, v):
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].indent > indent {
				item, ok = p.block()
			} else {
				item = p.node(yaml.ScalarNode, "!!null", "", l, dash+1)
			}
		case p.data[v] == '-' && (v+1 == l.end || p.data[v+1] == ' '):
			return nil, false // a sequence in a sequence entry
		case p.isKey(l, v):
			// A mapping in the entry: its keys line up with the first.
			item, ok = p.mapping(v-l.start, v)
		default:
			if item, ok = p.scalar(l, v); ok {
				p.i++
				if p.i < len(p.lines) && p.lines[p.i].indent > indent {
					return nil, false
				}
			}
		}
		if !ok {
			return nil, false
		}
		s.Content = append(s.Content, item)
		if p.i == len(p.lines) {
			return s, true
		}
		l = p.lines[p.i]
		switch {
		case l.indent < indent:
			return s, true
		case l.indent > indent:
			return nil, false
		case !p.seqEntry(l):
			return s, true // the next key of the mapping the sequence is a value of
		}
	}
}

// block parses the mapping or sequence that starts on the current line.
func (p *fastParser) block() (*ynode, bool) {
	l := p.lines[p.i]
	if p.seqEntry(l) {
		return p.sequence(l.indent)
	}
	return p.mapping(l.indent, l.start+l.indent)
}

// isKey reports whether a mapping key starts at off of line l.
func (p *fastParser) isKey(l fastLine, off int) bool {
	_, _, ok := p.key(l, off)
	return ok
}

// key parses the mapping key at off of line l and its ':', which must be
// followed by a space or the end of the line; after is the offset
// following the ':'.
func (p *fastParser) key(l fastLine, off int) (key *ynode, after int, ok bool) {
	d := p.data
	var end int // the end of the key's text
	switch d[off] {
	case '"', '\'':
		q := p.quoteEnd(l, off)
		if q < 0 {
			return nil, 0, false
		}
		end = q + 1
	default:
		colon := -1
		for i := off; i < l.end; i++ {
			if d[i] == ':' && (i+1 == l.end || d[i+1] == ' ') {
				colon = i
				break
			}
		}
		if colon < 0 {
			return nil, 0, false
		}
		end = colon
	}
	if end >= l.end || d[end] != ':' || (end+1 < l.end && d[end+1] != ' ') || end-off > fastMaxKey {
		return nil, 0, false
	}
	k, ok := p.scalarText(l, off, end, true)
	if !ok {
		return nil, 0, false
	}
	return k, end + 1, true
}

// scalar parses the scalar at off of line l, which takes the rest of the
// line but for a comment.
func (p *fastParser) scalar(l fastLine, off int) (*ynode, bool) {
	d := p.data
	end := l.end
	if d[off] == '"' || d[off] == '\'' {
		q := p.quoteEnd(l, off)
		if q < 0 {
			return nil, false
		}
		end = q + 1
		if rest := p.skipSpaces(l, end); rest != l.end && (rest == end || d[rest] != '#') {
			return nil, false // more than a comment after the quote
		}
	} else {
		for i := off + 1; i < l.end; i++ {
			if d[i] == '#' && d[i-1] == ' ' {
				end = i
				break
			}
		}
		for end > off && d[end-1] == ' ' {
			end--
		}
	}
	return p.scalarText(l, off, end, false)
}

// quoteEnd returns the offset of the quote that closes the one at off on
// the same line, or -1 for a quoted scalar the fast parser leaves to
// yaml.v3 (escapes, a doubled quote in single quotes, a line break).
func (p *fastParser) quoteEnd(l fastLine, off int) int {
	d := p.data
	q := d[off]
	for i := off + 1; i < l.end; i++ {
		switch d[i] {
		case '\\':
			if q == '"' {
				return -1
			}
		case q:
			if q == '\'' && i+1 < l.end && d[i+1] == '\'' {
				return -1
			}
			return i
		}
	}
	return -1
}

// scalarText makes the scalar node of d[off:end], quoted or plain.
func (p *fastParser) scalarText(l fastLine, off, end int, isKey bool) (*ynode, bool) {
	d := p.data
	if end <= off {
		return nil, false
	}
	switch d[off] {
	case '"', '\'':
		n := p.node(yaml.ScalarNode, "!!str", p.text[off+1:end-1], l, off)
		n.Style = yaml.DoubleQuotedStyle
		if d[off] == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
		return n, true
	}
	s := d[off:end]
	if !plainStart(s) || bytes.Contains(s, []byte(": ")) || s[len(s)-1] == ':' || s[len(s)-1] == ' ' ||
		bytes.Contains(s, []byte(" #")) || (isKey && bytes.IndexByte(s, ':') >= 0) {
		return nil, false
	}
	v := p.text[off:end]
	return p.node(yaml.ScalarNode, p.plainTag(v), v, l, off), true
}

// plainTag is the tag yaml.v3 gives the plain scalar v. The common cases
// are answered here the way its resolver answers them; the rest are asked
// of it.
func (p *fastParser) plainTag(v string) string {
	switch c := v[0]; {
	case v == "<<":
		return "!!merge"
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		// No number or timestamp has a '/' (CIDRs, port ranges).
		if strings.IndexByte(v, '/') >= 0 {
			return "!!str"
		}
		if decimal(v) {
			return "!!int"
		}
	case strings.IndexByte("yYnNtTfFoO~", c) < 0:
		// The resolver reads only scalars starting with one of these, a
		// sign, a digit or a dot as anything but a string.
		return "!!str"
	}
	p.tag.Kind, p.tag.Value = yaml.ScalarNode, v
	return p.tag.ShortTag()
}

// decimal reports whether v is an integer in decimal that fits an int64:
// an optional sign, then 0 or up to 18 digits not starting with 0 (a
// leading 0 reads as octal, or as a float when it is none).
func decimal(v string) bool {
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	if v == "0" {
		return true
	}
	if len(v) == 0 || len(v) > 18 || v[0] == '0' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// plainStart reports whether s may start a plain scalar: no indicator
// first, but for a - followed by more than a space (-1, -1/-1).
func plainStart(s []byte) bool {
	switch s[0] {
	case '-':
		return len(s) > 1 && s[1] != ' '
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}
