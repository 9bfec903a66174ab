package spec

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tmsync/tmsync/internal/workload"
)

// treeText renders a node tree: kind, style, tag, value and position of
// every node.
func treeText(n *ynode) string {
	var b strings.Builder
	var walk func(n *ynode, depth int)
	walk = func(n *ynode, depth int) {
		fmt.Fprintf(&b, "%s%d %d %q %q %d:%d alias=%v\n", strings.Repeat(" ", depth),
			n.Kind, n.Style, n.Tag, n.Value, n.Line, n.Column, n.Alias != nil)
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// checkFastYAML fails when fastYAML takes data but reads it otherwise than
// yaml.v3 does; it reads data once whole and once with split mappings.
func checkFastYAML(t *testing.T, name string, data []byte) (taken bool) {
	t.Helper()
	got, ok := fastYAML(data)
	old := fastSplitLines
	fastSplitLines = 2
	split, okSplit := fastYAML(data)
	fastSplitLines = old
	if ok != okSplit || (ok && treeText(got) != treeText(split)) {
		t.Fatalf("%s: fastYAML reads otherwise with mappings split in halves (%v, %v):\n%s", name, ok, okSplit, data)
	}
	if !ok {
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: fastYAML took what yaml.v3 refuses (%v):\n%s", name, err, data)
	}
	if err := dec.Decode(&next); err != io.EOF {
		t.Fatalf("%s: fastYAML took one document, yaml.v3 reads more (%v):\n%s", name, err, data)
	}
	if len(doc.Content) != 1 {
		t.Fatalf("%s: yaml.v3 reads %d roots:\n%s", name, len(doc.Content), data)
	}
	if want, got := treeText(fromYAML(doc.Content[0], map[*yaml.Node]*ynode{})), treeText(got); want != got {
		t.Fatalf("%s: fastYAML reads otherwise than yaml.v3:\n%s\nyaml.v3:\n%s\nfastYAML:\n%s", name, data, want, got)
	}
	return true
}

// fastYAMLSeeds are the spec seeds and the shapes of block YAML at the
// edges of what fastYAML takes.
func fastYAMLSeeds(t testing.TB) map[string][]byte {
	seeds := schemaSeeds(t)
	for name, s := range map[string]string{
		"empty-values":    "a:\nb: \nc: x # hi\nl:\n- \n-\n- \"q\"\n- k:\n  j: 1\nm:\n  - y\n  -   z\ne: 's'\nn: ~\ng: -1/-1\n",
		"indentless":      "a:\n- k: 1\n  j: 2\n- k: 3\nb:\n  - - x\n",
		"nested-seq":      "a:\n  -\n    - x\n  - y\n",
		"comments":        "# head\na: 1 # line\n\n  # indented comment\nb:\n  # inside\n  c: 2\n# foot\n",
		"quotes":          "\"a b\": 'c d'\n'e': \"f#g\" # c\nh: 'it''s'\ni: \"x\\ty\"\nj: \"\" \nk: ''\n",
		"plain-edges":     "a: b:c\nd: e #f\ng: h#i\nj: -k\nl: [m]\nn: o, p\nq: r: s\nt: u:\nv: 'w'x\n",
		"keys":            "1: a\ntrue: b\n~: c\n-1: d\n<<: e\n? f\n: g\n'h': i\nj k: l\nm :n\n",
		"scalars":         "a: 0x1F\nb: 1_000\nc: .inf\nd: 2001-12-14\ne: 010\nf: +1\ng: 1e3\nh: TRUE\ni: yes\nj: null\nk: Null\nl: 3.\n",
		"indents":         "a:\n    b: 1\n    c:\n      - d\n      -  e\n    f: 2\ng: 3\n",
		"bad-indent":      "a:\n  b: 1\n c: 2\n",
		"continued":       "a: b\n  c\nd: e\n",
		"unicode":         "名前: 値 # コメント\n\"é\": 1\nd: ü\n",
		"root-seq":        "- a\n- b\n",
		"root-scalar":     "a\n",
		"root-indented":   "  a: 1\n  b: 2\n",
		"markers":         "---\na: 1\n...\n",
		"no-final-break":  "a: 1\nb:",
		"tabs":            "a:\t1\n",
		"crlf":            "a: 1\r\nb: 2\r\n",
		"anchors":         "a: &x 1\nb: *x\nc: !!str 3\nd: |\n  e\n",
		"flow":            "a: {b: 1}\nc: [d]\n",
		"seq-after-value": "a: 1\n- b\n",
		"dash-key":        "-a: 1\n- b: 2\n",
		"long-key":        strings.Repeat("k", 1500) + ": 1\n",
	} {
		seeds[name] = []byte(s)
	}
	rng := rand.New(rand.NewSource(2))
	for i, sz := range []workload.Sizes{{Filters: 3, Sessions: 3, RulesMin: 0, RulesMax: 4, SourcesMin: 1, SourcesMax: 3}} {
		data, err := workload.Generate(rng, "gen", "cn-hangzhou", sz).YAML()
		if err != nil {
			t.Fatal(err)
		}
		seeds[fmt.Sprintf("workload-%d", i)] = data
	}
	return seeds
}

// TestFastYAML checks fastYAML against yaml.v3 on every seed, and that it
// takes the files spec writers and tmsync itself write.
func TestFastYAML(t *testing.T) {
	taken := map[string]bool{}
	for name, data := range fastYAMLSeeds(t) {
		taken[name] = checkFastYAML(t, name, data)
	}
	for _, name := range []string{"workload-0", "empty-values", "comments", "indents", "unicode", "no-final-break",
		"../../examples/quickstart/mirror.yaml"} {
		if _, ok := taken[name]; !ok {
			t.Errorf("seed %s is missing", name)
		} else if !taken[name] {
			t.Errorf("fastYAML leaves %s to yaml.v3; it is meant to read it", name)
		}
	}
	for _, name := range []string{"tabs", "crlf", "anchors", "flow", "markers", "root-seq", "root-scalar",
		"continued", "bad-indent", "seq-after-value", "long-key"} {
		if taken[name] {
			t.Errorf("fastYAML reads %s; it must leave it to yaml.v3", name)
		}
	}
}

// FuzzFastYAML checks fastYAML against yaml.v3 on arbitrary input.
func FuzzFastYAML(f *testing.F) {
	for _, data := range fastYAMLSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastYAML(t, "input", data)
	})
}

// TestFastYAMLBench checks that the benchmark's file takes the fast path.
func TestFastYAMLBench(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	st := workload.Generate(rand.New(rand.NewSource(1)), "bench", "cn-hangzhou", workload.Sizes{
		Filters: 20, Sessions: 20, RulesMin: 10, RulesMax: 10, SourcesMin: 1, SourcesMax: 10})
	p, err := st.WriteDir(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !checkFastYAML(t, p, data) {
		t.Errorf("fastYAML leaves a generated stack to yaml.v3")
	}
}

// TestFastYAMLRandom checks fastYAML against yaml.v3 on random documents:
// trees of block mappings and sequences written with random indents,
// comments and blank lines, of keys and scalars where the two could part,
// then the same lines indented at random.
func TestFastYAMLRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	taken, total := 0, 0
	for i := 0; i < 4000; i++ {
		var b strings.Builder
		g := yamlGen{rng: rng, w: &b, tricky: i%2 == 1}
		g.mapping(0, 0)
		doc := b.String()
		total++
		if checkFastYAML(t, fmt.Sprintf("tree %d", i), []byte(doc)) {
			taken++
		}
		// The same lines, some indented otherwise.
		lines := strings.Split(doc, "\n")
		for j := range lines {
			if rng.Intn(6) == 0 {
				lines[j] = strings.Repeat(" ", rng.Intn(4)) + lines[j]
			}
		}
		total++
		if checkFastYAML(t, fmt.Sprintf("shifted %d", i), []byte(strings.Join(lines, "\n"))) {
			taken++
		}
	}
	t.Logf("fastYAML took %d of %d random documents", taken, total)
	if taken < total/4 {
		t.Errorf("fastYAML took %d of %d random documents; the test checks too little", taken, total)
	}
}

// The keys and scalars of random documents: those fastYAML takes first,
// then those it leaves to yaml.v3 (from genTricky on).
var (
	genKeys = []string{"a", "b c", "1", "~", "é", "-a", "'q'", `"q"`, "k#", "true", "key", "名前", "x.y", "a-b", "0x1",
		"<<", "a:b", "?", "'it''s'", `"a\"b"`}
	genValues = []string{"x", "-1", "-1/-1", "a#b", "a #b", "0x1F", "1_0", ".5", "'s'", `"d"`, "yes", "2001-12-14", "é ü",
		"a,b", "null", "10.0.0.0/8", "2001:db8::/32", "eni-1", "x # c", "'q' # c", "TCP", "accept", "443", "1e3", "~",
		"''", `""`, "a[1]", "<<", "09", "0123", "+1", "-0", "-", "+", ".", "1/2", "0/0", "123456789012345678",
		"1234567890123456789", "+.inf", "-.5", "0b101", "-0o17", "1__0", "2001-12-14 21:59:43.10", "2001-12-14t21:59:43Z",
		"'it''s'", `"a\tb"`, `"a\"b"`, "{y}", "&a x", "*a", "x: y", "x:", "- x"}
)

const genTrickyKeys, genTrickyValues = 15, 47

type yamlGen struct {
	rng *rand.Rand
	w   *strings.Builder
	// tricky draws keys and scalars fastYAML leaves to yaml.v3 too.
	tricky bool
}

func (g *yamlGen) key() string {
	n := genTrickyKeys
	if g.tricky {
		n = len(genKeys)
	}
	return genKeys[g.rng.Intn(n)]
}

func (g *yamlGen) pad(n int) string { return strings.Repeat(" ", n) }

func (g *yamlGen) noise(indent int) {
	switch g.rng.Intn(12) {
	case 0:
		fmt.Fprintf(g.w, "%s# note\n", g.pad(g.rng.Intn(indent+3)))
	case 1:
		g.w.WriteString("\n")
	case 2:
		g.w.WriteString(g.pad(g.rng.Intn(3)) + "\n")
	}
}

func (g *yamlGen) scalar() string {
	n := genTrickyValues
	if g.tricky {
		n = len(genValues)
	}
	v := genValues[g.rng.Intn(n)]
	if g.rng.Intn(8) == 0 {
		v += " # c"
	}
	return v
}

// value writes a value after "key:" or "-" at indent: a scalar on the
// line, or a block on the next lines.
func (g *yamlGen) value(indent, depth int, indentless bool) {
	switch r := g.rng.Intn(6); {
	case depth > 3 || r < 3:
		if g.rng.Intn(10) == 0 {
			g.w.WriteString("\n") // empty: null
			return
		}
		g.w.WriteString(g.pad(1+g.rng.Intn(2)) + g.scalar() + "\n")
	case r == 3:
		g.w.WriteString("\n")
		g.mapping(indent+1+g.rng.Intn(4), depth+1)
	default:
		g.w.WriteString("\n")
		in := indent + 1 + g.rng.Intn(4)
		if indentless {
			in = indent
		}
		g.sequence(in, depth+1)
	}
}

func (g *yamlGen) mapping(indent, depth int) {
	for n := 1 + g.rng.Intn(4); n > 0; n-- {
		g.noise(indent)
		fmt.Fprintf(g.w, "%s%s:", g.pad(indent), g.key())
		g.value(indent, depth, g.rng.Intn(2) == 0)
	}
}

func (g *yamlGen) sequence(indent, depth int) {
	for n := 1 + g.rng.Intn(4); n > 0; n-- {
		g.noise(indent)
		fmt.Fprintf(g.w, "%s-", g.pad(indent))
		if depth <= 3 && g.rng.Intn(3) == 0 {
			// A mapping in the entry, its keys lined up with the first.
			sp := 1 + g.rng.Intn(3)
			fmt.Fprintf(g.w, "%s%s:", g.pad(sp), g.key())
			g.value(indent+1+sp, depth+1, false)
			for m := g.rng.Intn(3); m > 0; m-- {
				fmt.Fprintf(g.w, "%s%s:", g.pad(indent+1+sp), g.key())
				g.value(indent+1+sp, depth+1, false)
			}
			continue
		}
		g.value(indent, depth, false)
	}
}
