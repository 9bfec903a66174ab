package emulator

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
	"github.com/google/go-cmp/cmp"
)

func (s *Server) inflightCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inflight)
}

func createFilterReq(token, name string) *vpc.CreateTrafficMirrorFilterRequest {
	return &vpc.CreateTrafficMirrorFilterRequest{RegionId: s(testRegion), ClientToken: s(token), TrafficMirrorFilterName: s(name)}
}

func TestIdempotency(t *testing.T) {
	clk := newClock()
	srv := start(t, Options{Now: clk.Now, Quotas: Quotas{TokenTTL: 10 * time.Minute}})
	c := sdk(t, srv)
	first, err := c.CreateTrafficMirrorFilter(createFilterReq("tm1-abc", "a"))
	if err != nil {
		t.Fatal(err)
	}
	id := tea.StringValue(first.Body.TrafficMirrorFilterId)

	// The same token and parameters: the same answer, with a new RequestId,
	// also through the other signature scheme.
	for _, cl := range []*vpc.Client{c, sdk(t, srv, v2)} {
		again, err := cl.CreateTrafficMirrorFilter(createFilterReq("tm1-abc", "a"))
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if got := tea.StringValue(again.Body.TrafficMirrorFilterId); got != id {
			t.Errorf("replay answered %s, want %s", got, id)
		}
		if tea.StringValue(again.Body.RequestId) == tea.StringValue(first.Body.RequestId) {
			t.Errorf("a replay must carry its own RequestId")
		}
	}
	_, err = c.CreateTrafficMirrorFilter(createFilterReq("tm1-abc", "b"))
	if got, status := code(err); got != "IdempotentParameterMismatch" || status != 400 {
		t.Errorf("same token, other parameters = %s %d", got, status)
	}
	// Tokens are per action and region.
	if _, err := c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(id), ClientToken: s("tm1-abc")}); err != nil {
		t.Errorf("same token on another action: %v", err)
	}
	other, err := c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{RegionId: s("cn-beijing"), ClientToken: s("tm1-abc"), TrafficMirrorFilterName: s("a")})
	if err != nil || tea.StringValue(other.Body.TrafficMirrorFilterId) == id {
		t.Errorf("same token in another region = %v, %v; want a new filter", other, err)
	}
	st := srv.Stats()
	if st.TokenReplays != 2 || st.Creates[typeFilter] != 2 {
		t.Errorf("TokenReplays = %d, Creates = %v; want 2 replays, 2 filters", st.TokenReplays, st.Creates)
	}
	recs := st.Writes[id]
	if len(recs) != 4 || !recs[1].Replayed || recs[0].Replayed || recs[0].ClientToken != "tm1-abc" {
		t.Errorf("write log of %s = %+v", id, recs)
	}
	// After the token's lifetime the same token creates again.
	clk.Advance(10*time.Minute + time.Second)
	late, err := c.CreateTrafficMirrorFilter(createFilterReq("tm1-abc", "a"))
	if err != nil || tea.StringValue(late.Body.TrafficMirrorFilterId) == id {
		t.Errorf("token after its TTL = %v, %v; want a new filter", late, err)
	}
}

func TestRefusedRequestToken(t *testing.T) {
	for name, tc := range map[string]struct {
		reason   string
		uses     bool
		wantCode string
	}{
		"default":         {reason: "a refused request does not use up its token", uses: false, wantCode: ""},
		"refused uses it": {reason: "the setting replays the refusal", uses: true, wantCode: "IdempotentParameterMismatch"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := start(t, Options{Quotas: Quotas{RefusedRequestUsesToken: tc.uses}})
			c := sdk(t, srv)
			_, err := c.CreateTrafficMirrorFilter(createFilterReq("tok", "https://bad"))
			if got, _ := code(err); got != "IllegalParam.TrafficMirrorFilterName" {
				t.Fatalf("bad name = %s", got)
			}
			_, err = c.CreateTrafficMirrorFilter(createFilterReq("tok", "https://bad"))
			if got, _ := code(err); got != "IllegalParam.TrafficMirrorFilterName" {
				t.Errorf("%s: the same refused request again = %s", tc.reason, got)
			}
			_, err = c.CreateTrafficMirrorFilter(createFilterReq("tok", "good"))
			if got, _ := code(err); got != tc.wantCode {
				t.Errorf("%s: fixed request with the same token = %q, want %q", tc.reason, got, tc.wantCode)
			}
			if got := srv.Stats().TokenReplays; tc.uses && got != 1 {
				t.Errorf("TokenReplays = %d, want 1", got)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	srv := start(t, Options{})
	c := sdk(t, srv)
	req := createFilterReq("dry", "a")
	req.DryRun = b(true)
	req.IngressRules = []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{Action: s("accept"), Protocol: s("TCP"), Priority: i32(1)}}
	_, err := c.CreateTrafficMirrorFilter(req)
	if got, status := code(err); got != "DryRunOperation" || status != 400 {
		t.Errorf("dry run create = %s %d, want DryRunOperation 400", got, status)
	}
	if l, _ := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion)}); tea.StringValue(l.Body.TotalCount) != "0" {
		t.Errorf("a dry run created something: %v", l.Body)
	}
	// The token of a dry run stays unused.
	req.DryRun = b(false)
	if _, err := c.CreateTrafficMirrorFilter(req); err != nil {
		t.Fatalf("real create after dry run with the same token: %v", err)
	}
	// A dry run fails like the real call would.
	bad := createFilterReq("", "a")
	bad.DryRun = b(true)
	bad.IngressRules = []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{Action: s("accept"), Protocol: s("TCP"), Priority: i32(11)}}
	if got, _ := code(func() error { _, err := c.CreateTrafficMirrorFilter(bad); return err }()); got != "IllegalParam.Priority" {
		t.Errorf("dry run of an invalid create = %s", got)
	}
	_, err = c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s("tmf-x"), DryRun: b(true)})
	if got, _ := code(err); got != "ResourceNotFound.TrafficMirrorFilter" {
		t.Errorf("dry run delete of a missing filter = %s", got)
	}
	st := srv.Stats()
	if st.Creates[typeFilter] != 1 || st.Creates[typeRule] != 1 {
		t.Errorf("Creates = %v, want only the real create", st.Creates)
	}
}

// TestAsyncTransitions uses a real clock and a delay of tens of
// milliseconds, polling as a client would.
func TestAsyncTransitions(t *testing.T) {
	srv := start(t, Options{AsyncDelay: 30 * time.Millisecond})
	c := sdk(t, srv)
	r, err := c.CreateTrafficMirrorFilter(createFilterReq("", "a"))
	if err != nil {
		t.Fatal(err)
	}
	id := tea.StringValue(r.Body.TrafficMirrorFilterId)
	_, err = c.UpdateTrafficMirrorFilterAttribute(&vpc.UpdateTrafficMirrorFilterAttributeRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(id), TrafficMirrorFilterName: s("b")})
	if got, _ := code(err); got != "IncorrectStatus.TrafficMirrorFilter" {
		t.Errorf("update while Creating = %s", got)
	}
	var seen []string
	eventually(t, "filter Created", func() bool {
		st := tea.StringValue(listFilter(t, c, id).TrafficMirrorFilterStatus)
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		return st == "Created"
	})
	if diff := cmp.Diff([]string{"Creating", "Created"}, seen); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if _, err := c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(id)})
	if got, _ := code(err); got != "IncorrectStatus.TrafficMirrorFilter" {
		t.Errorf("second delete while Deleting = %s", got)
	}
	eventually(t, "filter gone", func() bool { return listFilter(t, c, id) == nil })
}

// TestConcurrentWrites holds a write in flight and sends another to the
// same object, and the same token again.
func TestConcurrentWrites(t *testing.T) {
	srv := start(t, Options{})
	c := sdk(t, srv, ownHTTP)
	r, err := c.CreateTrafficMirrorFilter(createFilterReq("", "a"))
	if err != nil {
		t.Fatal(err)
	}
	id := tea.StringValue(r.Body.TrafficMirrorFilterId)
	release := srv.Hold("UpdateTrafficMirrorFilterAttribute", "CreateTrafficMirrorFilter")
	// The SDK client is not safe for concurrent use (it keeps per-call
	// headers in the client), so each goroutine has its own.
	c1, c2 := sdk(t, srv, ownHTTP), sdk(t, srv, ownHTTP)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, errs[0] = c1.UpdateTrafficMirrorFilterAttribute(&vpc.UpdateTrafficMirrorFilterAttributeRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(id), TrafficMirrorFilterName: s("b"), ClientToken: s("u1")})
	}()
	go func() {
		defer wg.Done()
		_, errs[1] = c2.CreateTrafficMirrorFilter(createFilterReq("c1", "c"))
	}()
	eventually(t, "two writes in flight", func() bool { return srv.inflightCount() == 3 })

	_, err = c.CreateTrafficMirrorFilterRules(&vpc.CreateTrafficMirrorFilterRulesRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(id),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRulesRequestIngressRules{{Action: s("accept"), Protocol: s("ALL")}}})
	if got, status := code(err); got != "OperationConflict" || status != 400 {
		t.Errorf("a rule write while the filter is written = %s %d, want OperationConflict", got, status)
	}
	_, err = c.CreateTrafficMirrorFilter(createFilterReq("c1", "c"))
	if got, _ := code(err); got != "OperationFailed.LastTokenProcessing" {
		t.Errorf("the same token while its request is in flight = %s", got)
	}
	release()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("held write %d: %v", i, err)
		}
	}
	if n := srv.inflightCount(); n != 0 {
		t.Errorf("%d claims left after the writes", n)
	}
	if r, err := c.CreateTrafficMirrorFilter(createFilterReq("c1", "c")); err != nil || srv.Stats().TokenReplays != 1 {
		t.Errorf("the token after its request finished = %v, %v; want a replay", r, err)
	}
}

func TestUniqueRulePrioritiesOff(t *testing.T) {
	srv := start(t, Options{Quotas: Quotas{UniqueRulePriorities: Bool(false)}})
	c := sdk(t, srv)
	r, err := c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{RegionId: s(testRegion),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{
			{Action: s("accept"), Protocol: s("ALL"), Priority: i32(1)},
			{Action: s("drop"), Protocol: s("ALL"), Priority: i32(1)},
		}})
	if err != nil {
		t.Fatalf("two rules with one priority, uniqueness off: %v", err)
	}
	if f := listFilter(t, c, tea.StringValue(r.Body.TrafficMirrorFilterId)); len(f.IngressRules) != 2 {
		t.Errorf("rules = %v", f.IngressRules)
	}
}

func TestServiceSwitch(t *testing.T) {
	srv := start(t, Options{Quotas: Quotas{ServiceOpenByDefault: Bool(false)}})
	c := sdk(t, srv)
	st, err := c.GetTrafficMirrorServiceStatus(&vpc.GetTrafficMirrorServiceStatusRequest{RegionId: s(testRegion)})
	if err != nil || tea.BoolValue(st.Body.Enabled) {
		t.Fatalf("closed region status = %v, %v", st, err)
	}
	// Reads work in a closed region; writes do not.
	if _, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion)}); err != nil {
		t.Errorf("list in a closed region: %v", err)
	}
	op, err := c.OpenTrafficMirrorService(&vpc.OpenTrafficMirrorServiceRequest{RegionId: s(testRegion), ClientToken: s("open-1")})
	if err != nil || tea.StringValue(op.Body.Code) != "200" || tea.StringValue(op.Body.Message) != "successful" {
		t.Fatalf("OpenTrafficMirrorService = %v, %v", op, err)
	}
	if _, err := c.OpenTrafficMirrorService(&vpc.OpenTrafficMirrorServiceRequest{RegionId: s(testRegion), ClientToken: s("open-1")}); err != nil {
		t.Errorf("a replayed open must answer as the first did: %v", err)
	}
	if _, err := c.OpenTrafficMirrorService(&vpc.OpenTrafficMirrorServiceRequest{RegionId: s(testRegion)}); func() string { g, _ := code(err); return g }() != "ORDER.OPEND" {
		t.Errorf("a second open = %v, want ORDER.OPEND", err)
	}
	if _, err := c.CreateTrafficMirrorFilter(createFilterReq("", "a")); err != nil {
		t.Errorf("create after opening: %v", err)
	}
	srv.SetServiceOpen(testRegion, false)
	if _, err := c.CreateTrafficMirrorFilter(createFilterReq("", "b")); func() string { g, _ := code(err); return g }() != "OperationDenied.TrafficMirrorServiceNotOpened" {
		t.Errorf("create after SetServiceOpen(false) = %v", err)
	}
}

func TestPagination(t *testing.T) {
	srv := start(t, Options{SkipAuth: true, Quotas: Quotas{FiltersPerRegion: 300}})
	rc := newRaw(srv)
	var want []string
	for i := 0; i < 250; i++ {
		p := map[string]string{"RegionId": testRegion, "TrafficMirrorFilterName": fmt.Sprint("f", i)}
		if i%2 == 0 {
			p["Tag.1.Key"], p["Tag.1.Value"] = "even", "yes"
		}
		st, m, _ := rc.call("CreateTrafficMirrorFilter", p)
		if st != 200 {
			t.Fatalf("create %d = %d %v", i, st, m)
		}
		want = append(want, m["TrafficMirrorFilterId"].(string))
	}
	c := sdk(t, srv)
	pages := func(max int32, tags []*vpc.ListTrafficMirrorFiltersRequestTags, between func(page int)) (ids []string, n int) {
		tok := ""
		for {
			req := &vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion), Tags: tags}
			if max > 0 {
				req.MaxResults = i32(max)
			}
			if tok != "" {
				req.NextToken = s(tok)
			}
			r, err := c.ListTrafficMirrorFilters(req)
			if err != nil {
				t.Fatalf("page %d: %v", n, err)
			}
			n++
			for _, f := range r.Body.TrafficMirrorFilters {
				ids = append(ids, tea.StringValue(f.TrafficMirrorFilterId))
			}
			if got := int(tea.Int32Value(r.Body.Count)); got != len(r.Body.TrafficMirrorFilters) {
				t.Errorf("Count %d for %d entries", got, len(r.Body.TrafficMirrorFilters))
			}
			tok = tea.StringValue(r.Body.NextToken)
			if tok == "" {
				return ids, n
			}
			if between != nil {
				between(n)
			}
		}
	}
	ids, n := pages(100, nil, nil)
	if diff := cmp.Diff(want, ids); diff != "" || n != 3 {
		t.Errorf("3 pages of 100 (%d pages) (-want +got):\n%s", n, diff)
	}
	if ids, n = pages(0, nil, nil); len(ids) != 250 || n != 25 {
		t.Errorf("default page size: %d IDs in %d pages, want 250 in 25", len(ids), n)
	}
	ids, _ = pages(30, []*vpc.ListTrafficMirrorFiltersRequestTags{{Key: s("even"), Value: s("yes")}}, nil)
	if len(ids) != 125 || ids[1] != want[2] {
		t.Errorf("tag-filtered pages: %d IDs", len(ids))
	}
	// Deleting an object already returned does not shift the next page.
	ids, _ = pages(100, nil, func(page int) {
		if page == 1 {
			rc.call("DeleteTrafficMirrorFilter", map[string]string{"RegionId": testRegion, "TrafficMirrorFilterId": want[5]})
		}
	})
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("pages with a delete between them (-want +got):\n%s", diff)
	}
	r, _ := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion), MaxResults: i32(5)})
	if got := tea.StringValue(r.Body.TotalCount); got != "249" {
		t.Errorf("TotalCount = %s, want 249", got)
	}
	// A filter list's token is no session list's token.
	_, err := c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{RegionId: s(testRegion), NextToken: r.Body.NextToken})
	if got, _ := code(err); got != "IllegalParam.NextToken" {
		t.Errorf("a filter token on the session list = %s", got)
	}
	// A token survives a restart of the process (the secret is in the state),
	// but a tampered one does not.
	tok := tea.StringValue(r.Body.NextToken)
	_, err = c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion), NextToken: s(tok[:len(tok)-2] + "AA")})
	if got, _ := code(err); got != "IllegalParam.NextToken" {
		t.Errorf("a tampered token = %s", got)
	}

	// Tag lists page too (at most 50 per page).
	lt := func(tok string) *vpc.ListTagResourcesResponseBody {
		req := &vpc.ListTagResourcesRequest{RegionId: s(testRegion), ResourceType: s("TrafficMirrorFilter"),
			Tag: []*vpc.ListTagResourcesRequestTag{{Key: s("even")}}}
		if tok != "" {
			req.NextToken = s(tok)
		}
		r, err := c.ListTagResources(req)
		if err != nil {
			t.Fatal(err)
		}
		return r.Body
	}
	total, tok2, pagesN := 0, "", 0
	for {
		body := lt(tok2)
		total += len(body.TagResources.TagResource)
		pagesN++
		if tok2 = tea.StringValue(body.NextToken); tok2 == "" {
			break
		}
	}
	if total != 125 || pagesN != 3 {
		t.Errorf("tag pages: %d entries in %d pages, want 125 in 3", total, pagesN)
	}
}

func TestSessionListFilters(t *testing.T) {
	srv := start(t, Options{SkipAuth: true})
	rc := newRaw(srv)
	_, m, _ := rc.call("CreateTrafficMirrorFilter", map[string]string{"RegionId": testRegion})
	fid := m["TrafficMirrorFilterId"].(string)
	var ids []string
	for i := 1; i <= 4; i++ {
		p := map[string]string{"RegionId": testRegion, "TrafficMirrorFilterId": fid, "TrafficMirrorSourceIds.1": fmt.Sprint("eni-s", i),
			"TrafficMirrorTargetId": fmt.Sprint("eni-t", i%2), "TrafficMirrorTargetType": "NetworkInterface", "Priority": fmt.Sprint(i),
			"VirtualNetworkId": fmt.Sprint(100 + i), "Enabled": fmt.Sprint(i%2 == 0), "TrafficMirrorSessionName": fmt.Sprint("s", i),
			"Tag.1.Key": "n", "Tag.1.Value": fmt.Sprint(i)}
		st, m, _ := rc.call("CreateTrafficMirrorSession", p)
		if st != 200 {
			t.Fatalf("create = %d %v", st, m)
		}
		ids = append(ids, m["TrafficMirrorSessionId"].(string))
	}
	for name, tc := range map[string]struct {
		reason string
		params map[string]string
		want   []string
	}{
		"source":  {reason: "the singular source filter", params: map[string]string{"TrafficMirrorSourceId": "eni-s3"}, want: ids[2:3]},
		"target":  {reason: "target", params: map[string]string{"TrafficMirrorTargetId": "eni-t1"}, want: []string{ids[0], ids[2]}},
		"enabled": {reason: "enabled", params: map[string]string{"Enabled": "true"}, want: []string{ids[1], ids[3]}},
		"prio":    {reason: "priority", params: map[string]string{"Priority": "4"}, want: ids[3:4]},
		"vni":     {reason: "VNI", params: map[string]string{"VirtualNetworkId": "102"}, want: ids[1:2]},
		"name":    {reason: "name", params: map[string]string{"TrafficMirrorSessionName": "s1"}, want: ids[0:1]},
		"tag":     {reason: "Tags.N", params: map[string]string{"Tags.1.Key": "n", "Tags.1.Value": "2"}, want: ids[1:2]},
		"ids":     {reason: "IDs", params: map[string]string{"TrafficMirrorSessionIds.1": ids[3], "TrafficMirrorSessionIds.2": ids[0]}, want: []string{ids[0], ids[3]}},
		"filter":  {reason: "filter", params: map[string]string{"TrafficMirrorFilterId": fid}, want: ids},
	} {
		tc.params["RegionId"] = testRegion
		_, m, _ := rc.call("ListTrafficMirrorSessions", tc.params)
		var got []string
		for _, x := range m["TrafficMirrorSessions"].([]any) {
			got = append(got, x.(map[string]any)["TrafficMirrorSessionId"].(string))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: %s (-want +got):\n%s", name, tc.reason, diff)
		}
	}
}

// TestUnitStatus checks which object answers for a busy filter unit: a
// rule in transition answers for itself, its siblings get the filter's
// answer, and a session cannot be deleted while its filter changes.
func TestUnitStatus(t *testing.T) {
	w := newWorld(t, Options{})
	p := func(kv ...string) map[string]string {
		return w.expand(with(map[string]string{"RegionId": testRegion}, kv...))
	}
	st, m, _ := w.rc.call("CreateTrafficMirrorFilterRules", merge(p("TrafficMirrorFilterId", "{F}"), ruleParams("IngressRules", 1, okRule)))
	if st != 200 {
		t.Fatalf("create rules = %d %v", st, m)
	}
	fresh := m["IngressRules"].([]any)[0].(map[string]any)["InstanceId"].(string)
	cases := map[string]struct {
		reason   string
		action   string
		params   map[string]string
		wantCode string
	}{
		"new rule":      {reason: "the rule being created answers", action: "UpdateTrafficMirrorFilterRuleAttribute", params: p("TrafficMirrorFilterRuleId", fresh, "RuleAction", "drop"), wantCode: "IncorrectStatus.TrafficMirrorRule"},
		"sibling rule":  {reason: "a settled rule of a Modifying filter", action: "UpdateTrafficMirrorFilterRuleAttribute", params: p("TrafficMirrorFilterRuleId", "{R}", "RuleAction", "drop"), wantCode: "IncorrectStatus.TrafficMirrorFilter"},
		"delete rule":   {reason: "deleting the rule being created", action: "DeleteTrafficMirrorFilterRules", params: p("TrafficMirrorFilterId", "{F}", "TrafficMirrorFilterRuleIds.1", fresh), wantCode: "IncorrectStatus.TrafficMirrorRule"},
		"delete filter": {reason: "a filter whose rule is in transition", action: "DeleteTrafficMirrorFilter", params: p("TrafficMirrorFilterId", "{F}"), wantCode: "IncorrectStatus.TrafficMirrorRule"},
		"rename filter": {reason: "the filter itself is Modifying", action: "UpdateTrafficMirrorFilterAttribute", params: p("TrafficMirrorFilterId", "{F}", "TrafficMirrorFilterName", "x"), wantCode: "IncorrectStatus.TrafficMirrorFilter"},
		"session":       {reason: "a session whose filter is Modifying", action: "DeleteTrafficMirrorSession", params: p("TrafficMirrorSessionId", "{S}"), wantCode: "IncorrectStatus.TrafficMirrorFilter"},
		"no version":    {reason: "the version is required", action: "ListTrafficMirrorFilters", params: p("Version", ""), wantCode: "MissingVersion"},
		"no action":     {reason: "the action is required", action: "", params: p(), wantCode: "MissingAction"},
	}
	for name, tc := range cases {
		st, m, _ := w.rc.call(tc.action, tc.params)
		if got, _ := m["Code"].(string); st != 400 || got != tc.wantCode {
			t.Errorf("%s: %s: got %d %q, want 400 %s", name, tc.reason, st, got, tc.wantCode)
		}
	}
	w.clk.Advance(time.Minute)
	if st, m, _ := w.rc.call("DeleteTrafficMirrorSession", p("TrafficMirrorSessionId", "{S}")); st != 200 {
		t.Errorf("delete after the filter settled = %d %v", st, m)
	}
}

func TestOptionLatency(t *testing.T) {
	srv := start(t, Options{SkipAuth: true, Latency: 30 * time.Millisecond})
	t0 := time.Now()
	if st, _, _ := newRaw(srv).call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion}); st != 200 {
		t.Fatalf("list = %d", st)
	}
	if d := time.Since(t0); d < 30*time.Millisecond {
		t.Errorf("a request with 30ms of latency took %v", d)
	}
}
