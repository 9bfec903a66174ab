package views

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/views -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./internal/views -update if the change is right:\n%s", path, diff)
	}
}

func scenarioNames() []string {
	var names []string
	for name := range scenarios {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

type renderer struct {
	ext    string
	render func(buf *bytes.Buffer, p *plan.Plan) error
}

var renderers = []renderer{
	{"txt", func(b *bytes.Buffer, p *plan.Plan) error { return Text(b, p, TextOptions{}) }},
	{"json", func(b *bytes.Buffer, p *plan.Plan) error { return JSON(b, p) }},
	{"md", func(b *bytes.Buffer, p *plan.Plan) error { return Markdown(b, p, MarkdownOptions{}) }},
}

func TestGolden(t *testing.T) {
	for _, name := range scenarioNames() {
		sc := scenarios[name]
		t.Run(name, func(t *testing.T) {
			p := sc.plan(t)
			for _, r := range renderers {
				var buf bytes.Buffer
				if err := r.render(&buf, p); err != nil {
					t.Fatalf("%s: %s: %v", sc.reason, r.ext, err)
				}
				golden(t, name+"."+r.ext+".golden", buf.Bytes())
			}
		})
	}
}

func TestGoldenColor(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, scenarios["update_drift"].plan(t), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "update_drift.color.txt.golden", buf.Bytes())
}

func TestGoldenMulti(t *testing.T) {
	ps := []*plan.Plan{scenarios["delete"].plan(t), scenarios["no_changes"].plan(t)}
	ps[1].Stack = "dns" // two stacks of one region, as tmsync plan -f dir makes them
	var txt, js, md bytes.Buffer
	if err := TextMulti(&txt, ps, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := JSONMulti(&js, ps); err != nil {
		t.Fatal(err)
	}
	if err := MarkdownMulti(&md, ps, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "multi.txt.golden", txt.Bytes())
	golden(t, "multi.json.golden", js.Bytes())
	golden(t, "multi.md.golden", md.Bytes())
}

func TestGoldenTruncated(t *testing.T) {
	var buf bytes.Buffer
	if err := Markdown(&buf, scenarios["create"].plan(t), MarkdownOptions{MaxBytes: 1200}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1200 {
		t.Errorf("output is %d bytes, over MaxBytes 1200", buf.Len())
	}
	golden(t, "create.truncated.md.golden", buf.Bytes())
}

// TestOnePlanIsMultiOfOne checks that the multi-stack views of one plan are
// the single-stack views, so callers need not tell the cases apart.
func TestOnePlanIsMultiOfOne(t *testing.T) {
	p := scenarios["update_drift"].plan(t)
	var a, b bytes.Buffer
	Text(&a, p, TextOptions{})
	TextMulti(&b, []*plan.Plan{p}, TextOptions{})
	if diff := cmp.Diff(a.String(), b.String()); diff != "" {
		t.Errorf("TextMulti of one plan differs from Text (-Text +TextMulti):\n%s", diff)
	}
	a.Reset()
	b.Reset()
	Markdown(&a, p, MarkdownOptions{})
	MarkdownMulti(&b, []*plan.Plan{p}, MarkdownOptions{})
	if diff := cmp.Diff(a.String(), b.String()); diff != "" {
		t.Errorf("MarkdownMulti of one plan differs from Markdown (-Markdown +MarkdownMulti):\n%s", diff)
	}
}

// TestSavedPlanRendersTheSame checks that a plan read back from JSON (as a
// saved plan file holds it) renders exactly as the fresh plan: its ints,
// string lists and tag maps come back as float64, []any and map[string]any.
func TestSavedPlanRendersTheSame(t *testing.T) {
	for _, name := range scenarioNames() {
		t.Run(name, func(t *testing.T) {
			p := scenarios[name].plan(t)
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var back plan.Plan
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			for _, r := range renderers {
				var fresh, saved bytes.Buffer
				if err := r.render(&fresh, p); err != nil {
					t.Fatal(err)
				}
				if err := r.render(&saved, &back); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(fresh.String(), saved.String()); diff != "" {
					t.Errorf("%s view of the saved plan differs (-fresh +saved):\n%s", r.ext, diff)
				}
			}
		})
	}
}

func TestTextLastLine(t *testing.T) {
	cases := map[string]struct {
		reason   string
		scenario string
		want     string
	}{
		"create": {
			reason:   "the service open counts as an add, as do the filter, its rules and the session",
			scenario: "create", want: "Plan: 6 to add, 0 to change, 0 to destroy.",
		},
		"delete": {
			reason:   "a filter and a session leave",
			scenario: "delete", want: "Plan: 0 to add, 0 to change, 2 to destroy.",
		},
		"no changes": {
			reason:   "an empty plan says so, even with unmanaged objects listed above",
			scenario: "no_changes", want: "No changes.",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Text(&buf, scenarios[tc.scenario].plan(t), TextOptions{}); err != nil {
				t.Fatal(err)
			}
			ls := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if diff := cmp.Diff(tc.want, ls[len(ls)-1]); diff != "" {
				t.Errorf("%s: last line (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTextHasNoColorUnlessAsked(t *testing.T) {
	for _, name := range scenarioNames() {
		var buf bytes.Buffer
		if err := Text(&buf, scenarios[name].plan(t), TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "\x1b") {
			t.Errorf("%s: text without Color has an escape sequence", name)
		}
	}
}

func TestJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, scenarios["create"].plan(t)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"changes", "endpoint", "format_version", "gaps", "notes", "plan_id", "region", "stack", "steps", "summary", "traffic", "unmanaged"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	for _, k := range []string{"gaps", "notes", "unmanaged", "traffic"} {
		if string(doc[k]) != "[]" {
			t.Errorf("%s = %s, want [] for an empty list", k, doc[k])
		}
	}
}

var (
	summaries   = regexp.MustCompile(`<details><summary><code>\+ filter\.`)
	cutCount    = regexp.MustCompile(`(\d+) of (\d+) changes not shown`)
	fenceOpen   = regexp.MustCompile("(?m)^```diff$")
	fenceClosed = regexp.MustCompile("(?m)^```$")
)

// TestMarkdownStaysUnderMaxBytes renders a plan of 300 filters (600
// changes) under several caps: never over the cap, blocks never cut in the
// middle, and a note that counts exactly what was cut.
func TestMarkdownStaysUnderMaxBytes(t *testing.T) {
	p := bigPlan(t, 300)
	cases := map[string]struct {
		reason   string
		max      int
		wantNote bool
	}{
		"default":   {reason: "the default cap, GitHub's limit", max: 0, wantNote: true},
		"10k":       {reason: "a smaller cap cuts more", max: 10000, wantNote: true},
		"heads":     {reason: "room for the heads and the note only", max: 1200, wantNote: true},
		"tiny":      {reason: "not even the heads fit: a hard cut at a line end, still noted", max: 300},
		"too small": {reason: "not even the note fits: still never over the cap", max: 40},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Markdown(&buf, p, MarkdownOptions{MaxBytes: tc.max}); err != nil {
				t.Fatal(err)
			}
			limit := tc.max
			if limit == 0 {
				limit = DefaultMaxBytes
			}
			out := buf.String()
			if len(out) > limit {
				t.Fatalf("%s: %d bytes, over the cap of %d", tc.reason, len(out), limit)
			}
			if strings.Count(out, "<details>") != strings.Count(out, "</details>") ||
				len(fenceOpen.FindAllString(out, -1)) != len(fenceClosed.FindAllString(out, -1)) {
				t.Errorf("%s: unbalanced <details> or code fences", tc.reason)
			}
			if !tc.wantNote {
				return
			}
			m := cutCount.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("%s: no note of what was cut in:\n%s", tc.reason, tail(out))
			}
			cut, _ := strconv.Atoi(m[1])
			shown := 2 * len(summaries.FindAllString(out, -1))
			if diff := cmp.Diff([]int{600, 600}, []int{cut + shown, atoi(m[2])}); diff != "" {
				t.Errorf("%s: %d cut + %d shown, of %s (-want +got):\n%s", tc.reason, cut, shown, m[2], diff)
			}
			if !strings.Contains(out, "to create") {
				t.Errorf("%s: the note does not say which kind of changes were cut:\n%s", tc.reason, tail(out))
			}
		})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func tail(s string) string {
	if len(s) > 800 {
		return "…" + s[len(s)-800:]
	}
	return s
}

func TestMarkdownEscapes(t *testing.T) {
	cases := map[string]struct {
		reason string
		got    string
		want   string
	}{
		"fence": {
			reason: "a value holding ``` gets a longer fence",
			got:    codeFence("description: \"see ```code```\""), want: "````",
		},
		"plain fence": {reason: "no backticks, the usual fence", got: codeFence("name: \"web\""), want: "```"},
		"html":        {reason: "names in a <summary> cannot open tags", got: htmlText("a<b>&c"), want: "a&lt;b&gt;&amp;c"},
		"mention":     {reason: "notes cannot ping people", got: mdText("by @octocat"), want: "by @\u200boctocat"},
		"code":        {reason: "inline code cannot be closed early", got: mdCode("a`b"), want: "`a'b`"},
		"control":     {reason: "no escape sequences from live names reach the terminal", got: clean("x\x1b[31my"), want: "x\uFFFD[31my"},
		"quote":       {reason: "quoted values escape control characters", got: short("x\x1by"), want: `"x\u001by"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestColorEnabled(t *testing.T) {
	cases := map[string]struct {
		reason   string
		flag     bool
		env      map[string]string
		terminal bool
		want     bool
	}{
		"terminal":       {reason: "a terminal gets colour", terminal: true, want: true},
		"pipe":           {reason: "a pipe or file does not", terminal: false},
		"flag":           {reason: "--no-color wins over a terminal", flag: true, terminal: true},
		"NO_COLOR":       {reason: "NO_COLOR set to anything turns colour off", env: map[string]string{"NO_COLOR": "1"}, terminal: true},
		"empty NO_COLOR": {reason: "NO_COLOR set but empty does not", env: map[string]string{"NO_COLOR": ""}, terminal: true, want: true},
		"dumb":           {reason: "a dumb terminal has no colours", env: map[string]string{"TERM": "dumb"}, terminal: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			if got := colorEnabled(tc.flag, getenv, tc.terminal); got != tc.want {
				t.Errorf("%s: colorEnabled = %v, want %v", tc.reason, got, tc.want)
			}
		})
	}

	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ColorEnabled(f, false) {
		t.Errorf("ColorEnabled(regular file) = true, want false: a file is not a terminal")
	}
	if ColorEnabled(nil, false) {
		t.Errorf("ColorEnabled(nil) = true, want false")
	}
}

func TestLineDiff(t *testing.T) {
	cases := map[string]struct {
		reason string
		f      field
		want   []diffLine
	}{
		"list": {
			reason: "one source replaced in a list: only that line changes",
			f: field{before: []any{"eni-a", "eni-b", "eni-c"}, after: []any{"eni-a", "eni-x", "eni-c"},
				hasBefore: true, hasAfter: true},
			want: []diffLine{{' ', `"eni-a"`}, {'-', `"eni-b"`}, {'+', `"eni-x"`}, {' ', `"eni-c"`}},
		},
		"create": {
			reason: "a value only after: every line added",
			f:      field{after: "one\ntwo", hasAfter: true},
			want:   []diffLine{{'+', `"one"`}, {'+', `"two"`}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := lineDiff(tc.f)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(diffLine{})); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTitle(t *testing.T) {
	p := scenarios[scenarioNames()[0]].plan(t)
	var text, md bytes.Buffer
	if err := Text(&text, p, TextOptions{Title: "tmsync drift"}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, p, MarkdownOptions{Title: "tmsync drift"}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		if !strings.Contains(out, "tmsync drift: stack") || strings.Contains(out, "tmsync plan") {
			t.Errorf("%s view does not use the title:\n%s", name, out)
		}
	}
}
