package aliyun_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

// These tests run the client against the emulator over real HTTP, through
// the SDK's default signature: what the client sends is what the service
// would get.

const (
	testRegion = "cn-hongkong"
	testAK     = "LTAItestkey"
	testSecret = "test-secret"
)

func startEmulator(t *testing.T, mod func(*emulator.Options)) *emulator.Server {
	t.Helper()
	opts := emulator.Options{AccessKeys: map[string]string{testAK: testSecret}, Seed: 1}
	if mod != nil {
		mod(&opts)
	}
	srv, err := emulator.NewServer(opts)
	if err != nil {
		t.Fatalf("emulator.NewServer: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func dial(t *testing.T, endpoint, secret string, timeout time.Duration) *aliyun.Client {
	t.Helper()
	cred, err := aliyun.StaticCredential(testAK, secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := aliyun.New(context.Background(), aliyun.Config{
		Region: testRegion, Endpoint: endpoint, Credential: cred, RequestTimeout: timeout, UserAgent: "tmsync-test",
	})
	if err != nil {
		t.Fatalf("aliyun.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func setup(t *testing.T, mod func(*emulator.Options)) (*emulator.Server, *aliyun.Client) {
	srv := startEmulator(t, mod)
	return srv, dial(t, srv.URL(), testSecret, 5*time.Second)
}

// must returns v, failing the test if err is set. It is called as
// must(f())(t), so that f's two results fill its parameters.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// calls counts the requests of action the emulator saw during fn.
func calls(srv *emulator.Server, action string, fn func()) int {
	before := srv.Stats().Calls[action]
	fn()
	return srv.Stats().Calls[action] - before
}

// liveOnly drops what the API makes up (IDs, statuses, times, random VNIs)
// so that live objects compare with what was asked for.
var liveOnly = cmp.Options{
	cmpopts.IgnoreFields(cloud.Filter{}, "ID", "Status", "CreationTime", "ResourceGroupID"),
	cmpopts.IgnoreFields(cloud.Rule{}, "ID", "FilterID", "Status"),
	cmpopts.IgnoreFields(cloud.Session{}, "ID", "Status", "BusinessStatus", "CreationTime", "ResourceGroupID"),
	cmpopts.EquateEmpty(),
}

func rule(dir string, prio int, action, proto, src, dst, sport, dport string) cloud.Rule {
	return cloud.Rule{Direction: dir, Priority: prio, Action: action, Protocol: proto, IPVersion: cloud.IPv4,
		SourceCIDR: src, DestCIDR: dst, SourcePort: sport, DestPort: dport}
}

func TestFilterLifecycle(t *testing.T) {
	srv, c := setup(t, nil)
	ctx := context.Background()

	in := cloud.CreateFilterInput{
		WriteOptions: cloud.WriteOptions{Token: "tm1-create-web"},
		Name:         "web",
		Description:  "web traffic",
		Tags:         cloud.Tags{cloud.TagStack: "s", cloud.TagKey: "web", "team": ""},
		Ingress: []cloud.Rule{
			rule(cloud.Ingress, 1, "accept", cloud.ProtoTCP, "0.0.0.0/0", "10.0.0.0/24", "1/65535", "443/443"),
			rule(cloud.Ingress, 2, "drop", cloud.ProtoALL, "10.0.2.0/24", "0.0.0.0/0", "", ""),
		},
		Egress: []cloud.Rule{
			rule(cloud.Egress, 1, "accept", cloud.ProtoUDP, "0.0.0.0/0", "0.0.0.0/0", "1/65535", "53/53"),
		},
	}
	id := must(c.CreateFilter(ctx, in))(t)
	if !strings.HasPrefix(id, "tmf-") {
		t.Errorf("CreateFilter returned ID %q, want tmf-…", id)
	}
	if again, err := c.CreateFilter(ctx, in); err != nil || again != id {
		t.Errorf("CreateFilter with the same token: got %q, want the first ID %q", again, id)
	}

	get := func() cloud.Filter {
		t.Helper()
		fs := must(c.ListFilters(ctx, cloud.ListFiltersInput{IDs: []string{id}}))(t)
		if len(fs) != 1 {
			t.Fatalf("ListFilters by ID: got %d filters, want 1", len(fs))
		}
		if fs[0].ID != id {
			t.Fatalf("ListFilters by ID: got %q, want %q", fs[0].ID, id)
		}
		return cloud.CanonicalLiveFilter(fs[0])
	}
	want := cloud.Filter{Name: in.Name, Description: in.Description, Tags: in.Tags, Ingress: in.Ingress, Egress: in.Egress}
	if diff := cmp.Diff(want, get(), liveOnly); diff != "" {
		t.Errorf("created filter: -want +got:\n%s", diff)
	}

	ok(t, c.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: id, Name: ptr("web2"), Description: ptr("renamed")}))
	want.Name, want.Description = "web2", "renamed"

	// Priorities out of order: the IDs must still come back in request
	// order, or they would be pinned on the wrong rules.
	newIngress := []cloud.Rule{
		rule(cloud.Ingress, 5, "accept", cloud.ProtoICMP, "0.0.0.0/0", "10.1.0.0/16", "", ""),
		rule(cloud.Ingress, 3, "accept", cloud.ProtoTCP, "0.0.0.0/0", "0.0.0.0/0", "1/65535", "22/22"),
	}
	newEgress := []cloud.Rule{rule(cloud.Egress, 4, "drop", cloud.ProtoTCP, "0.0.0.0/0", "0.0.0.0/0", "1000/2000", "1/65535")}
	ing, egr, err := c.CreateRules(ctx, cloud.CreateRulesInput{
		WriteOptions: cloud.WriteOptions{Token: "tm1-rules"}, FilterID: id, Ingress: newIngress, Egress: newEgress,
	})
	ok(t, err)
	byID := map[string]cloud.Rule{}
	f := get()
	for _, r := range append(f.Ingress, f.Egress...) {
		byID[r.ID] = r
	}
	for i, rid := range ing {
		if got := byID[rid].Priority; got != newIngress[i].Priority {
			t.Errorf("ingress rule ID %d (%s) has priority %d, want %d", i, rid, got, newIngress[i].Priority)
		}
	}
	if len(egr) != 1 || byID[egr[0]].Priority != 4 || byID[egr[0]].Direction != cloud.Egress {
		t.Errorf("egress rule IDs %v do not name the new egress rule: %+v", egr, byID)
	}
	want.Ingress = append(want.Ingress, newIngress...)
	want.Egress = append(want.Egress, newEgress...)

	// RuleAction (not Action) carries the new action; ports of a rule
	// turned ALL are not sent.
	ok(t, c.UpdateRule(ctx, cloud.UpdateRuleInput{RuleID: ing[1], RulePatch: cloud.RulePatch{Priority: ptr(6), Action: ptr("drop"), Protocol: ptr(cloud.ProtoALL), SourcePort: ptr("1/65535"), DestPort: ptr("22/22")}}))
	want.Ingress[3] = rule(cloud.Ingress, 6, "drop", cloud.ProtoALL, "0.0.0.0/0", "0.0.0.0/0", "", "")
	ok(t, c.UpdateRule(ctx, cloud.UpdateRuleInput{RuleID: egr[0], RulePatch: cloud.RulePatch{DestCIDR: ptr("192.168.0.0/16"), SourcePort: ptr("80/80")}}))
	want.Egress[1] = rule(cloud.Egress, 4, "drop", cloud.ProtoTCP, "0.0.0.0/0", "192.168.0.0/16", "80/80", "1/65535")
	sortRules := cmpopts.SortSlices(func(a, b cloud.Rule) bool { return a.Priority < b.Priority })
	if diff := cmp.Diff(want, get(), liveOnly, sortRules); diff != "" {
		t.Errorf("after updates: -want +got:\n%s", diff)
	}

	ok(t, c.DeleteRules(ctx, id, []string{ing[0], egr[0]}, cloud.WriteOptions{Token: "tm1-del-rules"}))
	want.Ingress = append(want.Ingress[:2:2], want.Ingress[3])
	want.Egress = want.Egress[:1]
	if diff := cmp.Diff(want, get(), liveOnly, sortRules); diff != "" {
		t.Errorf("after DeleteRules: -want +got:\n%s", diff)
	}

	ok(t, c.DeleteFilter(ctx, id, cloud.WriteOptions{Token: "tm1-del"}))
	if fs := must(c.ListFilters(ctx, cloud.ListFiltersInput{IDs: []string{id}}))(t); len(fs) != 0 {
		t.Errorf("ListFilters after delete: got %v, want none", fs)
	}
	// Deleting what is gone is done (the cloud.Client contract)...
	ok(t, c.DeleteFilter(ctx, id, cloud.WriteOptions{Token: "tm1-del-2"}))
	ok(t, c.DeleteRules(ctx, id, []string{ing[1]}, cloud.WriteOptions{Token: "tm1-del-rules-2"}))
	// ...but a dry run reports what the real call would meet.
	if err := c.DeleteFilter(ctx, id, cloud.WriteOptions{DryRun: true}); !cloud.IsKind(err, cloud.KindNotFound) {
		t.Errorf("dry-run DeleteFilter of a deleted filter: got %v, want a %v error", err, cloud.KindNotFound)
	}
	if n := srv.Stats().Creates[cloud.ResourceFilter]; n != 1 {
		t.Errorf("the emulator created %d filters, want 1 (the second create is a replay)", n)
	}
}

func TestSessionLifecycle(t *testing.T) {
	_, c := setup(t, nil)
	ctx := context.Background()
	f1 := must(c.CreateFilter(ctx, cloud.CreateFilterInput{Name: "f1"}))(t)
	f2 := must(c.CreateFilter(ctx, cloud.CreateFilterInput{Name: "f2"}))(t)

	in := cloud.CreateSessionInput{WriteOptions: cloud.WriteOptions{Token: "tm1-session"}, FilterID: f1, SessionSettings: cloud.SessionSettings{Name: "web-to-ids", Description: "mirror web", SourceIDs: []string{"eni-src000000000000001", "eni-src000000000000002"}, TargetID: "eni-dst000000000000001", TargetType: cloud.TargetENI, Priority: 7, VNI: ptr(42), PacketLength: 9000, Enabled: true, Tags: cloud.Tags{cloud.TagStack: "s", cloud.TagKey: "web-to-ids"}}}
	id := must(c.CreateSession(ctx, in))(t)
	if !strings.HasPrefix(id, "tms-") {
		t.Errorf("CreateSession returned ID %q, want tms-…", id)
	}
	want := cloud.Session{Name: in.Name, Description: in.Description, FilterID: f1, TargetID: in.TargetID,
		TargetType: in.TargetType, SourceIDs: in.SourceIDs, Priority: 7, VNI: 42, PacketLength: 9000, Enabled: true,
		Tags: in.Tags}
	sortIDs := cmpopts.SortSlices(func(a, b string) bool { return a < b })
	for name, q := range map[string]cloud.ListSessionsInput{
		"ByID":     {IDs: []string{id}},
		"ByFilter": {FilterID: f1},
		"ByName":   {Name: "web-to-ids"},
		"ByTags":   {Tags: cloud.Tags{cloud.TagKey: "web-to-ids"}},
	} {
		ss := must(c.ListSessions(ctx, q))(t)
		if len(ss) != 1 || ss[0].ID != id {
			t.Fatalf("ListSessions %s: got %+v, want session %s", name, ss, id)
		}
		if diff := cmp.Diff(want, ss[0], liveOnly, sortIDs); diff != "" {
			t.Errorf("ListSessions %s: -want +got:\n%s", name, diff)
		}
	}

	ok(t, c.UpdateSession(ctx, cloud.UpdateSessionInput{ID: id, FilterID: ptr(f2), SessionPatch: cloud.SessionPatch{Name: ptr("renamed"), Description: ptr("d2"), Priority: ptr(8), VNI: ptr(43), PacketLength: ptr(1500), Enabled: ptr(false), TargetID: ptr("lb-target00000000000001"), TargetType: ptr(cloud.TargetSLB)}}))
	want.Name, want.Description, want.FilterID, want.Priority, want.VNI, want.PacketLength, want.Enabled =
		"renamed", "d2", f2, 8, 43, 1500, false
	want.TargetID, want.TargetType = "lb-target00000000000001", cloud.TargetSLB

	ok(t, c.AddSources(ctx, id, []string{"eni-src000000000000003"}, cloud.WriteOptions{Token: "tm1-add"}))
	ok(t, c.RemoveSources(ctx, id, []string{"eni-src000000000000001"}, cloud.WriteOptions{Token: "tm1-rm"}))
	want.SourceIDs = []string{"eni-src000000000000002", "eni-src000000000000003"}
	ss := must(c.ListSessions(ctx, cloud.ListSessionsInput{IDs: []string{id}}))(t)
	if len(ss) != 1 {
		t.Fatalf("ListSessions: got %d sessions, want 1", len(ss))
	}
	if diff := cmp.Diff(want, ss[0], liveOnly, sortIDs); diff != "" {
		t.Errorf("after updates: -want +got:\n%s", diff)
	}

	// The filter is in use: deleting it is refused with the in-use kind.
	if err := c.DeleteFilter(ctx, f2, cloud.WriteOptions{}); !cloud.IsKind(err, cloud.KindInUse) {
		t.Errorf("DeleteFilter of a filter in use: got %v, want a %v error", err, cloud.KindInUse)
	}
	ok(t, c.DeleteSession(ctx, id, cloud.WriteOptions{Token: "tm1-del-session"}))
	if ss := must(c.ListSessions(ctx, cloud.ListSessionsInput{IDs: []string{id}}))(t); len(ss) != 0 {
		t.Errorf("ListSessions after delete: got %v, want none", ss)
	}
	ok(t, c.DeleteSession(ctx, id, cloud.WriteOptions{Token: "tm1-del-session-2"}))
}

func TestCreateSessionDefaults(t *testing.T) {
	_, c := setup(t, nil)
	ctx := context.Background()
	f := must(c.CreateFilter(ctx, cloud.CreateFilterInput{Name: "f"}))(t)
	// Enabled is sent even when false, VNI left to the API when nil, and a
	// zero packet length takes the API's default.
	id := must(c.CreateSession(ctx, cloud.CreateSessionInput{FilterID: f, SessionSettings: cloud.SessionSettings{SourceIDs: []string{"eni-src000000000000001"}, TargetID: "eni-dst000000000000001", TargetType: cloud.TargetENI, Priority: 1}}))(t)
	ss := must(c.ListSessions(ctx, cloud.ListSessionsInput{IDs: []string{id}}))(t)
	if len(ss) != 1 {
		t.Fatalf("ListSessions: got %d sessions, want 1", len(ss))
	}
	got := ss[0]
	if got.Enabled || got.PacketLength != cloud.DefaultPacketLength || got.Name != "" {
		t.Errorf("session with defaults: got enabled=%v packetLength=%d name=%q, want false, %d, \"\"",
			got.Enabled, got.PacketLength, got.Name, cloud.DefaultPacketLength)
	}
}

func TestPagination(t *testing.T) {
	srv, c := setup(t, func(o *emulator.Options) { o.Quotas.FiltersPerRegion = -1 })
	ctx := context.Background()
	const n = 250
	ids := make([]string, n)
	for i := range ids {
		ids[i] = must(c.CreateFilter(ctx, cloud.CreateFilterInput{
			Name: fmt.Sprintf("f%03d", i), Tags: cloud.Tags{"parity": fmt.Sprint(i % 2)},
		}))(t)
	}
	const list = "ListTrafficMirrorFilters"
	cases := map[string]struct {
		reason    string
		in        cloud.ListFiltersInput
		wantIDs   []string
		wantCalls int
	}{
		"All": {
			reason: "250 filters are ceil(250/100) pages of 100", in: cloud.ListFiltersInput{},
			wantIDs: ids, wantCalls: 3,
		},
		"IDBatches": {
			reason:  "150 IDs (with duplicates) are two batches of one page each",
			in:      cloud.ListFiltersInput{IDs: append(append([]string(nil), ids[:150]...), ids[:10]...)},
			wantIDs: ids[:150], wantCalls: 2,
		},
		"ExactBatch": {
			reason: "100 IDs are one batch", in: cloud.ListFiltersInput{IDs: ids[100:200]},
			wantIDs: ids[100:200], wantCalls: 1,
		},
		"Tags": {
			reason:  "a tag filter (Tags.N) narrows the list server-side: 125 are two pages",
			in:      cloud.ListFiltersInput{Tags: cloud.Tags{"parity": "1"}},
			wantIDs: everyOther(ids, 1), wantCalls: 2,
		},
		"Name": {
			reason: "a name filter", in: cloud.ListFiltersInput{Name: "f007"},
			wantIDs: ids[7:8], wantCalls: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []cloud.Filter
			n := calls(srv, list, func() { got = must(c.ListFilters(ctx, tc.in))(t) })
			var gotIDs []string
			for _, f := range got {
				gotIDs = append(gotIDs, f.ID)
			}
			if diff := cmp.Diff(tc.wantIDs, gotIDs, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("%s\nIDs: -want +got:\n%s", tc.reason, diff)
			}
			if n != tc.wantCalls {
				t.Errorf("%s\n%s calls: got %d, want %d", tc.reason, list, n, tc.wantCalls)
			}
		})
	}
}

func TestSessionPagination(t *testing.T) {
	srv, c := setup(t, nil)
	ctx := context.Background()
	f := must(c.CreateFilter(ctx, cloud.CreateFilterInput{Name: "f"}))(t)
	const n = 101
	for i := 0; i < n; i++ {
		must(c.CreateSession(ctx, cloud.CreateSessionInput{FilterID: f, SessionSettings: cloud.SessionSettings{SourceIDs: []string{fmt.Sprintf("eni-src%015d", i)}, TargetID: "eni-dst000000000000001", TargetType: cloud.TargetENI, Priority: i + 1, Enabled: true}}))(t)
	}
	var got []cloud.Session
	calls := calls(srv, "ListTrafficMirrorSessions", func() {
		got = must(c.ListSessions(ctx, cloud.ListSessionsInput{}))(t)
	})
	if len(got) != n || calls != 2 {
		t.Errorf("ListSessions of %d sessions: got %d sessions in %d calls, want %d in 2", n, len(got), calls, n)
	}
}

func everyOther(s []string, from int) []string {
	var out []string
	for i := from; i < len(s); i += 2 {
		out = append(out, s[i])
	}
	return out
}

func TestTags(t *testing.T) {
	srv, c := setup(t, nil)
	ctx := context.Background()
	const n = 25
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, must(c.CreateFilter(ctx, cloud.CreateFilterInput{
			Name: fmt.Sprintf("f%d", i), Tags: cloud.Tags{cloud.TagKey: fmt.Sprintf("k%d", i)},
		}))(t))
	}
	add := cloud.Tags{"a": "1", "b": ""}
	if got := calls(srv, "TagResources", func() {
		ok(t, c.TagResources(ctx, cloud.ResourceFilter, ids, add))
	}); got != 2 {
		t.Errorf("TagResources of %d resources: %d calls, want 2 (20 resources a call)", n, got)
	}
	var tags map[string]cloud.Tags
	// 20 resources × 3 tags = 60 entries: two pages of 50, then one call
	// for the last 5 resources.
	if got := calls(srv, "ListTagResources", func() {
		tags = must(c.ListTagResources(ctx, cloud.ResourceFilter, ids))(t)
	}); got != 3 {
		t.Errorf("ListTagResources of %d resources: %d calls, want 3", n, got)
	}
	want := map[string]cloud.Tags{}
	for i, id := range ids {
		want[id] = cloud.Tags{cloud.TagKey: fmt.Sprintf("k%d", i), "a": "1", "b": ""}
	}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("ListTagResources: -want +got:\n%s", diff)
	}

	if got := calls(srv, "UnTagResources", func() {
		ok(t, c.UntagResources(ctx, cloud.ResourceFilter, ids, []string{"a"}))
	}); got != 2 {
		t.Errorf("UntagResources of %d resources: %d calls, want 2", n, got)
	}
	fs := must(c.ListFilters(ctx, cloud.ListFiltersInput{IDs: ids[:1]}))(t)
	if diff := cmp.Diff(cloud.Tags{cloud.TagKey: "k0", "b": ""}, fs[0].Tags); diff != "" {
		t.Errorf("tags in ListFilters after untag: -want +got:\n%s", diff)
	}
	if got := calls(srv, "TagResources", func() { ok(t, c.TagResources(ctx, cloud.ResourceFilter, ids, nil)) }); got != 0 {
		t.Errorf("TagResources with no tags made %d calls, want none", got)
	}

	ok(t, c.MoveResourceGroup(ctx, cloud.ResourceFilter, ids[0], "rg-aek2new"))
	fs = must(c.ListFilters(ctx, cloud.ListFiltersInput{IDs: ids[:1]}))(t)
	if fs[0].ResourceGroupID != "rg-aek2new" {
		t.Errorf("resource group after MoveResourceGroup: got %q, want rg-aek2new", fs[0].ResourceGroupID)
	}

	// Sessions take the same calls.
	sid := must(c.CreateSession(ctx, cloud.CreateSessionInput{FilterID: ids[0], SessionSettings: cloud.SessionSettings{SourceIDs: []string{"eni-src000000000000001"}, TargetID: "eni-dst000000000000001", TargetType: cloud.TargetENI, Priority: 1}}))(t)
	ok(t, c.TagResources(ctx, cloud.ResourceSession, []string{sid}, cloud.Tags{"x": "y"}))
	ok(t, c.MoveResourceGroup(ctx, cloud.ResourceSession, sid, "rg-aek2new"))
	ss := must(c.ListSessions(ctx, cloud.ListSessionsInput{IDs: []string{sid}}))(t)
	if len(ss) != 1 || !ss[0].Tags.Equal(cloud.Tags{"x": "y"}) || ss[0].ResourceGroupID != "rg-aek2new" {
		t.Errorf("session after tag and move: %+v", ss)
	}
}

func TestService(t *testing.T) {
	srv, c := setup(t, nil)
	ctx := context.Background()
	if !must(c.GetServiceStatus(ctx))(t) {
		t.Fatalf("GetServiceStatus: the emulator opens the service by default")
	}
	// Opening an open service is done already (ORDER.OPEND).
	ok(t, c.OpenService(ctx, cloud.WriteOptions{Token: "tm1-open"}))

	srv.SetServiceOpen(testRegion, false)
	if must(c.GetServiceStatus(ctx))(t) {
		t.Fatalf("GetServiceStatus: got open after SetServiceOpen(false)")
	}
	if got := calls(srv, "OpenTrafficMirrorService", func() {
		err := c.OpenService(ctx, cloud.WriteOptions{DryRun: true})
		if !cloud.IsKind(err, cloud.KindDryRunPassed) {
			t.Errorf("dry-run OpenService: got %v, want a %v error", err, cloud.KindDryRunPassed)
		}
	}); got != 0 {
		t.Errorf("dry-run OpenService sent %d requests; the API has no DryRun for it", got)
	}
	ok(t, c.OpenService(ctx, cloud.WriteOptions{Token: "tm1-open-2"}))
	if !must(c.GetServiceStatus(ctx))(t) {
		t.Errorf("GetServiceStatus after OpenService: got closed")
	}
	snap := must(cloud.ReadSnapshot(ctx, c))(t)
	if !snap.ServiceEnabled || snap.Region != testRegion {
		t.Errorf("ReadSnapshot: %+v", snap)
	}
}

func ptr[T any](v T) *T { return &v }

// TestConcurrentCalls runs calls in parallel through one client, as apply
// does: the SDK's clients are not safe for concurrent use, so this fails
// under -race if the client shares one.
func TestConcurrentCalls(t *testing.T) {
	srv, c := setup(t, nil)
	ctx := context.Background()
	const n = 20
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := c.CreateFilter(ctx, cloud.CreateFilterInput{
				WriteOptions: cloud.WriteOptions{Token: fmt.Sprintf("tm1-par-%d", i)}, Name: fmt.Sprintf("p%d", i)})
			errs <- err
		}()
		go func() {
			_, err := c.ListFilters(ctx, cloud.ListFiltersInput{})
			errs <- err
		}()
	}
	for i := 0; i < 2*n; i++ {
		ok(t, <-errs)
	}
	if got := len(must(c.ListFilters(ctx, cloud.ListFiltersInput{}))(t)); got != n {
		t.Errorf("ListFilters after %d parallel creates: got %d filters", n, got)
	}
	if got := srv.Stats().Creates[cloud.ResourceFilter]; got != n {
		t.Errorf("the emulator created %d filters, want %d", got, n)
	}
}
