package export

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestKeyFromName(t *testing.T) {
	cases := map[string]struct {
		reason string
		name   string
		want   string
	}{
		"plain":      {reason: "A name that is a key stays.", name: "web-ids", want: "web-ids"},
		"upper":      {reason: "Upper case is lowered.", name: "WEB", want: "web"},
		"camel":      {reason: "A lower-case letter meeting an upper-case one gets a dash.", name: "webToIDS", want: "web-to-ids"},
		"digits":     {reason: "Digits meeting upper case split too.", name: "IPv6Filter", want: "ipv6-filter"},
		"spaces":     {reason: "Runs of other characters become one dash.", name: "web tier  /  IDS_mirror", want: "web-tier-ids-mirror"},
		"edges":      {reason: "Dashes are trimmed at both ends.", name: "--web--", want: "web"},
		"non-ascii":  {reason: "Non-ASCII text is dropped like punctuation.", name: "镜像-web-过滤", want: "web"},
		"only-cjk":   {reason: "A name with no ASCII letter or digit yields no key.", name: "镜像过滤器", want: ""},
		"empty":      {reason: "An unnamed object yields no key.", name: "", want: ""},
		"long":       {reason: "Keys are cut to 63 characters, without a trailing dash.", name: "a234567890-b234567890-c234567890-d234567890-e234567890-f2345678-long", want: "a234567890-b234567890-c234567890-d234567890-e234567890-f2345678"},
		"cut-dash":   {reason: "A cut that ends on a dash drops it.", name: "a23456789012345678901234567890123456789012345678901234567890-2-3", want: "a23456789012345678901234567890123456789012345678901234567890-2"},
		"accented":   {reason: "Accented letters are not ASCII.", name: "café", want: "caf"},
		"dots":       {reason: "Dots separate words.", name: "prod.web.v2", want: "prod-web-v2"},
		"leading-09": {reason: "A key may start with a digit.", name: "01 web", want: "01-web"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := KeyFromName(tc.name)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nKeyFromName(%q): -want +got:\n%s", tc.reason, tc.name, diff)
			}
			if got != "" && !ValidKey(got) {
				t.Errorf("%s\nKeyFromName(%q) = %q is not a valid key", tc.reason, tc.name, got)
			}
		})
	}
}

func TestAssignKeys(t *testing.T) {
	cases := map[string]struct {
		reason string
		reqs   []keyRequest
		want   map[string]string
	}{
		"duplicates": {
			reason: "Duplicate names get -2, -3 in ID order.",
			reqs:   []keyRequest{{id: "tmf-c", name: "web"}, {id: "tmf-a", name: "web"}, {id: "tmf-b", name: "Web"}},
			want:   map[string]string{"tmf-a": "web", "tmf-b": "web-2", "tmf-c": "web-3"},
		},
		"suffix-names": {
			reason: "A name that is itself a suffixed form keeps its key; the duplicate goes around it.",
			reqs:   []keyRequest{{id: "tmf-a", name: "web"}, {id: "tmf-b", name: "web"}, {id: "tmf-z", name: "web-2"}},
			want:   map[string]string{"tmf-a": "web", "tmf-b": "web-3", "tmf-z": "web-2"},
		},
		"preferred": {
			reason: "An owned object keeps the key it carries, even against a lower ID.",
			reqs:   []keyRequest{{id: "tmf-a", name: "web"}, {id: "tmf-b", name: "x", preferred: "web"}},
			want:   map[string]string{"tmf-a": "web-2", "tmf-b": "web"},
		},
		"fallback": {
			reason: "Unnamed and non-ASCII names fall back to the kind and the ID.",
			reqs:   []keyRequest{{id: "tmf-bp1abc", name: ""}, {id: "tmf-bp1def", name: "镜像"}},
			want:   map[string]string{"tmf-bp1abc": "filter-bp1abc", "tmf-bp1def": "filter-bp1def"},
		},
		"long-duplicates": {
			reason: "Suffixes fit in 63 characters.",
			reqs: []keyRequest{
				{id: "tmf-a", name: "a23456789012345678901234567890123456789012345678901234567890123"},
				{id: "tmf-b", name: "a23456789012345678901234567890123456789012345678901234567890123"},
			},
			want: map[string]string{
				"tmf-a": "a23456789012345678901234567890123456789012345678901234567890123",
				"tmf-b": "a234567890123456789012345678901234567890123456789012345678901-2",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sort.Slice(tc.reqs, func(i, j int) bool { return tc.reqs[i].id < tc.reqs[j].id })
			got := assignKeys("filter", tc.reqs)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nassignKeys: -want +got:\n%s", tc.reason, diff)
			}
			for _, k := range got {
				if !ValidKey(k) {
					t.Errorf("%s\nkey %q is not valid", tc.reason, k)
				}
			}
		})
	}
}

func rule(dir string, prio int, action, proto, src, dst, sport, dport string) cloud.Rule {
	ipv := cloud.IPv4
	if len(src) > 0 && (src[0] == ':' || src[0] == 'f') {
		ipv = cloud.IPv6
	}
	return cloud.Rule{ID: "tmr-" + dir[:1] + string(rune('a'+prio)), Direction: dir, Priority: prio, Action: action, Protocol: proto,
		IPVersion: ipv, SourceCIDR: src, DestCIDR: dst, SourcePort: sport, DestPort: dport, Status: cloud.StatusCreated}
}

// brownfield is a region set up by hand: unnamed, duplicate and non-ASCII
// names, a shared filter, -1/-1 ports, host bits, system tags, another
// stack's objects and a filter that no spec can hold.
func brownfield() *cloud.Snapshot {
	all := "0.0.0.0/0"
	rg := "rg-acfmdefault01"
	return &cloud.Snapshot{Region: "cn-hangzhou", ServiceEnabled: true,
		Filters: []cloud.Filter{
			{ID: "tmf-web1", Name: "web", ResourceGroupID: rg, Status: cloud.StatusCreated,
				Tags: cloud.Tags{"owner": "secops", "acs:system": "x", "cost-center": "0042"},
				Ingress: []cloud.Rule{
					rule("ingress", 2, "accept", "TCP", all, "10.0.0.0/8", "-1/-1", "443/443"),
					rule("ingress", 1, "drop", "ALL", "10.1.2.3/16", all, "-1/-1", "-1/-1"),
				},
				Egress: []cloud.Rule{rule("egress", 1, "accept", "UDP", all, all, "1/65535", "8000/8080")}},
			{ID: "tmf-web2", Name: "web", ResourceGroupID: rg, Status: cloud.StatusCreated,
				Ingress: []cloud.Rule{rule("ingress", 1, "accept", "ALL", all, all, "-1/-1", "-1/-1")}},
			{ID: "tmf-anon", Name: "", ResourceGroupID: rg, Status: cloud.StatusCreated, Description: "made in a hurry",
				Ingress: []cloud.Rule{rule("ingress", 1, "accept", "ICMP", all, all, "-1/-1", "-1/-1")}},
			{ID: "tmf-cjk", Name: "镜像过滤器", ResourceGroupID: rg, Status: cloud.StatusCreated,
				Egress: []cloud.Rule{rule("egress", 3, "accept", "TCP", "fd00::/8", "::/0", "22", "-1/-1")}},
			{ID: "tmf-other", Name: "theirs", ResourceGroupID: rg, Status: cloud.StatusCreated,
				Tags: cloud.Tags{cloud.TagStack: "platform", cloud.TagKey: "theirs", cloud.TagApplied: "abc"}},
			{ID: "tmf-dupprio", Name: "broken", ResourceGroupID: rg, Status: cloud.StatusCreated,
				Ingress: []cloud.Rule{
					rule("ingress", 1, "accept", "ALL", all, all, "", ""),
					rule("ingress", 1, "drop", "ALL", all, all, "", ""),
				}},
		},
		Sessions: []cloud.Session{
			{ID: "tms-a", Name: "web to ids", FilterID: "tmf-web1", TargetType: cloud.TargetSLB, TargetID: "lb-ids01",
				SourceIDs: []string{"eni-web02", "eni-web01"}, Priority: 100, VNI: 4200, PacketLength: 1500, Enabled: true,
				ResourceGroupID: rg, Status: cloud.StatusCreated},
			{ID: "tms-b", Name: "web to ids", FilterID: "tmf-web1", TargetType: cloud.TargetENI, TargetID: "eni-col01",
				SourceIDs: []string{"eni-web03"}, Priority: 101, VNI: 17, PacketLength: 9000, Enabled: false,
				ResourceGroupID: rg, Status: cloud.StatusCreated, Tags: cloud.Tags{"env": "yes"}},
			{ID: "tms-foreign", Name: "on their filter", FilterID: "tmf-other", TargetType: cloud.TargetENI, TargetID: "eni-col02",
				SourceIDs: []string{"eni-db01", "eni-db02", "eni-db03", "eni-db04"}, Priority: 7, VNI: 0, PacketLength: 1500, Enabled: true,
				ResourceGroupID: rg, Status: cloud.StatusCreated},
			{ID: "tms-anon", Name: "", FilterID: "tmf-anon", TargetType: cloud.TargetENI, TargetID: "eni-col03",
				SourceIDs: []string{"eni-app01"}, Priority: 8, VNI: 99, PacketLength: 1500, Enabled: true,
				ResourceGroupID: rg, Status: cloud.StatusCreated},
			{ID: "tms-broken", Name: "broken", FilterID: "tmf-dupprio", TargetType: cloud.TargetENI, TargetID: "eni-col04",
				SourceIDs: []string{"eni-app02"}, Priority: 9, VNI: 1, PacketLength: 1500, Enabled: true,
				ResourceGroupID: rg, Status: cloud.StatusCreated},
			{ID: "tms-theirs", Name: "theirs", FilterID: "tmf-other", TargetType: cloud.TargetENI, TargetID: "eni-col05",
				SourceIDs: []string{"eni-app03"}, Priority: 10, VNI: 1, PacketLength: 1500, Enabled: true,
				ResourceGroupID: rg, Status: cloud.StatusCreated,
				Tags: cloud.Tags{cloud.TagStack: "platform", cloud.TagKey: "theirs", cloud.TagApplied: "abc"}},
		},
	}
}

func TestExportGolden(t *testing.T) {
	s, err := Export(brownfield(), Options{Stack: "brownfield"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "brownfield.yaml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("exported spec differs from %s: -want +got:\n%s", path, diff)
	}
}

// TestRoundTrip checks the promise of export: the spec loads, planning it
// with --adopt only adds ownership tags (unnamed objects stay unnamed), and once
// those are applied the next plan is empty.
func TestRoundTrip(t *testing.T) {
	cases := map[string]struct {
		reason string
		opts   Options
		// wantKeys are the exported keys, filters then sessions.
		wantKeys []string
	}{
		"everything": {
			reason:   "All objects not owned by another stack; sessions on foreign or left-out filters reference them by ID.",
			opts:     Options{Stack: "brownfield"},
			wantKeys: []string{"filter.filter-anon", "filter.filter-cjk", "filter.web", "filter.web-2", "session.broken", "session.on-their-filter", "session.session-anon", "session.web-to-ids", "session.web-to-ids-2"},
		},
		"sessions-only": {
			reason:   "Sessions asked for alone reference their filters by ID.",
			opts:     Options{Stack: "picked", SessionIDs: []string{"tms-b", "tms-a"}},
			wantKeys: []string{"session.web-to-ids", "session.web-to-ids-2"},
		},
		"filter-and-session": {
			reason:   "A filter asked for with its session is referenced by key.",
			opts:     Options{Stack: "picked", FilterIDs: []string{"tmf-anon"}, SessionIDs: []string{"tms-anon"}},
			wantKeys: []string{"filter.filter-anon", "session.session-anon"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			snap := brownfield()
			stack := exportAndLoad(t, snap, tc.opts)
			var keys []string
			for _, f := range stack.Filters {
				keys = append(keys, "filter."+f.Key)
			}
			for _, s := range stack.Sessions {
				keys = append(keys, "session."+s.Key)
			}
			if diff := cmp.Diff(tc.wantKeys, keys); diff != "" {
				t.Errorf("%s\nexported keys: -want +got:\n%s", tc.reason, diff)
			}
			p, err := plan.Compute(stack, snap, plan.Options{Adopt: true})
			if err != nil {
				t.Fatalf("%s\nplan --adopt: %v", tc.reason, err)
			}
			for _, st := range p.Steps {
				if !adoptionOnly(st, snap) {
					t.Errorf("%s\nplan --adopt has step %s with op %+v; want only tags", tc.reason, st.ID, st.Op)
				}
			}
			applyTagsAndNames(t, snap, p)
			again, err := plan.Compute(stack, snap, plan.Options{})
			if err != nil {
				t.Fatalf("%s\nplan after adoption: %v", tc.reason, err)
			}
			if !again.Empty() {
				t.Errorf("%s\nplan after adoption has %d steps, want none: %+v", tc.reason, len(again.Steps), again.Changes)
			}
		})
	}
}

func exportAndLoad(t *testing.T, snap *cloud.Snapshot, opts Options) *spec.Stack {
	t.Helper()
	s, err := Export(snap, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "exported.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	stacks, err := spec.Load([]string{path})
	if err != nil {
		t.Fatalf("the exported spec does not load: %v\n%s", err, b)
	}
	return stacks[0]
}

// adoptionOnly reports whether st only tags an object: adoption changes
// nothing else, unnamed objects included (they are exported as name: "").
func adoptionOnly(st plan.Step, _ *cloud.Snapshot) bool {
	_, ok := st.Op.(*plan.Tag)
	return ok
}

// applyTagsAndNames does to snap what the adoption steps of p would.
func applyTagsAndNames(t *testing.T, snap *cloud.Snapshot, p *plan.Plan) {
	t.Helper()
	for _, st := range p.Steps {
		tag, ok := st.Op.(*plan.Tag)
		if !ok {
			t.Fatalf("step %s is not a tag step", st.ID)
		}
		var tags *cloud.Tags
		if f := snap.Filter(tag.Target.ID); f != nil {
			tags = &f.Tags
		} else if s := snap.Session(tag.Target.ID); s != nil {
			tags = &s.Tags
		} else {
			t.Fatalf("step %s writes unknown object %s", st.ID, tag.Target.ID)
		}
		if *tags == nil {
			*tags = cloud.Tags{}
		}
		for k, v := range tag.Tags {
			(*tags)[k] = v
		}
	}
}

func TestExportErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		opts   Options
		want   error
	}{
		"bad-stack":    {reason: "The stack name must be a key.", opts: Options{Stack: "Brown Field"}, want: ErrBadOptions},
		"missing":      {reason: "An ID asked for must exist.", opts: Options{Stack: "x", FilterIDs: []string{"tmf-nope"}}, want: ErrNotFound},
		"foreign":      {reason: "Another stack's object is not exported.", opts: Options{Stack: "x", SessionIDs: []string{"tms-theirs"}}, want: ErrManagedElsewhere},
		"unexportable": {reason: "A filter no spec can hold is an error when asked for.", opts: Options{Stack: "x", FilterIDs: []string{"tmf-dupprio"}}, want: ErrNotExportable},
		"own-stack":    {reason: "Objects of the stack exported are fine.", opts: Options{Stack: "platform", SessionIDs: []string{"tms-theirs"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Export(brownfield(), tc.opts)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("%s\nExport: error %v, want %v", tc.reason, err, tc.want)
			}
		})
	}
}

// TestOwnedKeysKept: exporting a stack's own objects keeps their keys, so
// the result plans nothing at all.
func TestOwnedKeysKept(t *testing.T) {
	snap := brownfield()
	stack := exportAndLoad(t, snap, Options{Stack: "platform"})
	var keys []string
	for _, f := range stack.Filters {
		keys = append(keys, f.Key)
	}
	if diff := cmp.Diff([]string{"filter-anon", "filter-cjk", "theirs", "web", "web-2"}, keys); diff != "" {
		t.Errorf("filter keys: -want +got:\n%s", diff)
	}
}

// TestSharedTagsComment: sources that all carry a tag get a comment
// saying a selector of it would follow the fleet; the spec stays a list of
// IDs, and loads.
func TestSharedTagsComment(t *testing.T) {
	snap := &cloud.Snapshot{Region: "cn-hangzhou", ServiceEnabled: true, ENIsRead: true,
		Filters: []cloud.Filter{{ID: "tmf-a", Name: "a", Ingress: []cloud.Rule{{ID: "tmr-1", Direction: cloud.Ingress, Priority: 1,
			Action: "accept", Protocol: "ALL", IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0"}}}},
		Sessions: []cloud.Session{
			{ID: "tms-web", Name: "web", FilterID: "tmf-a", TargetID: "eni-t", TargetType: cloud.TargetENI,
				SourceIDs: []string{"eni-1", "eni-2"}, Priority: 1, PacketLength: 1500, Enabled: true},
			{ID: "tms-mixed", Name: "mixed", FilterID: "tmf-a", TargetID: "eni-t", TargetType: cloud.TargetENI,
				SourceIDs: []string{"eni-1", "eni-3"}, Priority: 2, PacketLength: 1500, Enabled: true},
		},
		ENIs: []cloud.ENI{
			{ID: "eni-1", Tags: cloud.Tags{"app": "web", "env": "prod", "acs:x": "y"}},
			{ID: "eni-2", Tags: cloud.Tags{"app": "web", "env": "dev", "acs:x": "y"}},
			{ID: "eni-3", Tags: cloud.Tags{"app": "db"}},
		},
	}
	s, err := Export(snap, Options{Stack: "fleet"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if !strings.Contains(out, `# Every source has the tags app: "web": to follow the fleet, write`) ||
		strings.Count(out, "Every source has the tags") != 1 {
		t.Errorf("want one comment naming app=web (not env, not acs:), got:\n%s", out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := spec.Load([]string{dir}); err != nil {
		t.Errorf("the export does not load: %v\n%s", err, out)
	}
}
