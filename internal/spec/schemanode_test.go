package spec

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tmsync/tmsync/internal/workload"
	"github.com/tmsync/tmsync/schema"
)

// The schema check is held to a JSON Schema validator: for any spec file,
// check must report exactly the failed keywords that
// github.com/santhosh-tekuri/jsonschema reports, at the same values, about
// the same schema objects. Diagnostics are worded from those alone.

// oracleFaults validates v with the library and returns its failed
// keywords as faults.
func oracleFaults(t testing.TB, v any) []schemaFault {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource(schema.URL, bytes.NewReader(schema.JSON)); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schema.URL)
	if err != nil {
		t.Fatal(err)
	}
	err = sch.Validate(v)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		t.Fatalf("Validate: %v", err)
	}
	var out []schemaFault
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, schemaFault{
				inst: e.InstanceLocation,
				kw:   e.KeywordLocation[strings.LastIndexByte(e.KeywordLocation, '/')+1:],
				key:  strings.Contains(e.KeywordLocation, "/propertyNames/"),
				sch:  oracleSchemaAt(t, e.AbsoluteKeywordLocation),
				msg:  e.Message,
			})
			return
		}
		causes := e.Causes
		if strings.HasSuffix(e.KeywordLocation, "/oneOf") {
			// Of a failed oneOf, the faults of the branches the value
			// has the type of; the oneOf itself when there are none.
			var own []*jsonschema.ValidationError
			for _, c := range causes {
				if len(c.Causes) > 0 || !strings.HasSuffix(c.KeywordLocation, "/type") {
					own = append(own, c)
				}
			}
			if len(own) == 0 {
				e.Causes = nil
				walk(e)
				return
			}
			causes = own
		}
		for _, c := range causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// oracleSchemaAt returns the schema object holding the keyword at an
// absolute keyword location (URL#/json/pointer/keyword).
func oracleSchemaAt(t testing.TB, loc string) map[string]any {
	var v any
	if err := json.Unmarshal(schema.JSON, &v); err != nil {
		t.Fatal(err)
	}
	_, frag, _ := strings.Cut(loc, "#")
	toks := strings.Split(frag, "/")
	for _, tok := range toks[:len(toks)-1] {
		if tok == "" {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			v = x[unescape(tok)]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil {
				t.Fatalf("%s: %v", loc, err)
			}
			v = x[i]
		}
	}
	return v.(map[string]any)
}

// faultText renders faults sorted, each schema object as its JSON, for
// comparing the two checks.
func faultText(t testing.TB, fs []schemaFault) []string {
	var out []string
	for _, f := range fs {
		sch, err := json.Marshal(f.sch)
		if err != nil {
			t.Fatal(err)
		}
		msg := f.msg
		switch f.kw {
		case "additionalProperties", "enum", "const":
			// Worded by the diagnostics alone; the validator lists
			// the fields in map order and the values as it holds them.
			msg = ""
		}
		out = append(out, f.inst+" "+f.kw+" key="+strconv.FormatBool(f.key)+" "+string(sch)+" "+msg)
	}
	sort.Strings(out)
	return out
}

// valueOf parses data as one spec file, as Load does; false when it is
// not a mapping the schema gets to check.
func valueOf(t testing.TB, data []byte) (map[string]any, bool) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f := &file{path: path, arg: path, explicit: true}
	var d diags
	if !f.read(&d) {
		return nil, false
	}
	return f.value, true
}

func compareWithOracle(t testing.TB, name string, data []byte) {
	t.Helper()
	v, ok := valueOf(t, data)
	if !ok {
		return
	}
	sch, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	var got []schemaFault
	sch.check(v, nil, false, &got)
	for i, f := range got {
		// The library reports an empty key at its mapping (it leaves the
		// empty token out of the pointer); tmsync points at the key.
		if f.key && strings.HasSuffix(f.inst, "/") {
			got[i].inst = strings.TrimSuffix(f.inst, "/")
		}
	}
	if diff := cmp.Diff(faultText(t, oracleFaults(t, v)), faultText(t, got)); diff != "" {
		t.Errorf("%s: schema faults differ from the JSON Schema validator's: -want +got:\n%s", name, diff)
	}
}

// schemaSeeds are spec files for both tests below: the examples, the
// invalid cases, the FuzzLoad corpus and values at the edges of the
// schema's keywords.
func schemaSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	seeds := map[string][]byte{
		"numbers": []byte("version: 1.0\nstack: a\nregion: cn-hangzhou\nlimits: {sourcesPerSession: 3.0, sessionsPerSource: 1.5}\n" +
			"filters:\n  f:\n    ingress:\n      - {priority: 1e1, action: accept, protocol: TCP, destinationPortRange: 443}\n" +
			"      - {priority: 0x2, action: ACCEPT, protocol: tcp, sourcePortRange: 99999999999999999999}\n" +
			"      - {priority: 11, action: drop, protocol: UDP, destinationPortRange: -1}\n" +
			"sessions:\n  s:\n    filter: f\n    target: {type: SLB, id: lb-1}\n    sources: []\n    priority: 32767\n" +
			"    packetLength: 63.5\n    virtualNetworkId: -0\n    enabled: null\n"),
		"keys": []byte("stack: A\nregion: x\nservice: {enabled: false, other: 1}\ntags: {'': a, " +
			strings.Repeat("k", 129) + ": " + strings.Repeat("v", 129) + ", n: 1, b: true, z: ~, l: [1]}\n" +
			"filters: {'a/b': [], 'x~y': {tags: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, o: 15, p: 16, q: 17, r: 18}}}\n" +
			"sessions: {'-bad': {target: {}}, ok: {name: 1, description: '', filter: tmf-1, target: {type: NetworkInterface, id: eni-1}, sources: [eni-2, 3], priority: 1}}\n" +
			"moved: [{from: filter.a}, {from: x, to: session.b, extra: 1}, 3]\npreviousStacks: [ok, Bad, 1]\nextra: 1\n"),
		"sources": []byte("stack: a\nregion: cn-hangzhou\nsessions:\n" +
			"  a: {sources: {ids: [3]}}\n  b: {sources: {}}\n  c: {sources: x}\n  d: {sources: []}\n" +
			"  e: {sources: {select: [{}], extra: 1}}\n  f: {sources: {select: [{tags: {}, vpcId: x}]}}\n" +
			"  g: {sources: [eni-1, 2, eni-3], target: {type: SLB, select: {vSwitchId: 1}}}\n  h: {sources: ~}\n"),
		"types": []byte("stack: [a]\nregion: {r: 1}\nprofile: ''\nfilters: []\nsessions: 1\nmoved: {}\npreviousStacks: a\nlimits: 1\nversion: '1'\n"),
	}
	rng := rand.New(rand.NewSource(1))
	big, err := workload.Generate(rng, "bench", "cn-hangzhou", workload.Sizes{
		Filters: 50, Sessions: 50, RulesMin: 0, RulesMax: 12, SourcesMin: 0, SourcesMax: 12}).YAML()
	if err != nil {
		t.Fatal(err)
	}
	seeds["generated"] = big
	var paths []string
	for _, glob := range []string{"../../examples/*/*.yaml", "testdata/invalid/*.yaml", "testdata/invalid/*/*.yaml"} {
		ps, _ := filepath.Glob(glob)
		paths = append(paths, ps...)
	}
	for _, p := range paths {
		if filepath.Base(p) == "alias-bomb.yaml" {
			continue // refused before the schema check, after a second
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds[p] = data
	}
	corpus, _ := filepath.Glob("testdata/fuzz/FuzzLoad/*")
	for _, p := range corpus {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 3)
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a []byte fuzz entry", p)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		seeds[p] = []byte(s)
	}
	return seeds
}

// TestSchemaCheckMatchesValidator compares the schema check with the JSON
// Schema validator on every seed.
func TestSchemaCheckMatchesValidator(t *testing.T) {
	for name, data := range schemaSeeds(t) {
		compareWithOracle(t, name, data)
	}
}

// FuzzSchemaCheck compares the schema check with the JSON Schema
// validator on arbitrary spec files.
func FuzzSchemaCheck(f *testing.F) {
	for _, data := range schemaSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithOracle(t, "input", data)
	})
}

// TestCompileSchemaRefuses checks that a schema with a keyword the check
// does not know is refused rather than half enforced.
func TestCompileSchemaRefuses(t *testing.T) {
	cases := map[string]struct {
		reason string
		schema string
	}{
		"UnknownKeyword": {
			reason: "uniqueItems is not checked, so a schema using it must not compile",
			schema: `{"type": "array", "uniqueItems": true}`,
		},
		"NestedUnknownKeyword": {
			reason: "keywords are checked in every subschema",
			schema: `{"properties": {"a": {"oneOf": [{"anyOf": [{"type": "string"}]}]}}}`,
		},
		"RefSibling": {
			reason: "draft-07 ignores keywords next to $ref; the schema must not rely on them",
			schema: `{"definitions": {"k": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/k", "maxLength": 3}}}`,
		},
		"ExternalRef": {
			reason: "only references within the schema are resolved",
			schema: `{"$ref": "other.json#/definitions/k"}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := compileSchema([]byte(tc.schema)); err == nil {
				t.Errorf("%s\ncompileSchema(%s) = nil error", tc.reason, tc.schema)
			}
		})
	}
	if _, err := compiledSchema(); err != nil {
		t.Errorf("the embedded schema does not compile: %v", err)
	}
}
