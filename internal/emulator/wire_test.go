package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
	"github.com/google/go-cmp/cmp"
)

// acs3Sign signs a request the way the SDK does (reference §1.4). It is
// written from the reference, apart from the emulator's verifier, so a
// shared mistake cannot make both agree.
func acs3Sign(req *http.Request, secret string, body []byte) {
	q, _ := url.ParseQuery(req.URL.RawQuery)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cq []string
	for _, k := range keys {
		v := url.QueryEscape(q.Get(k))
		v = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(v)
		cq = append(cq, k+"="+v)
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("x-acs-content-sha256", payload)
	names := []string{"host"}
	for k := range req.Header {
		if l := strings.ToLower(k); strings.HasPrefix(l, "x-acs-") || l == "content-type" {
			names = append(names, l)
		}
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		v := req.Host
		if n != "host" {
			v = strings.TrimSpace(req.Header.Get(n))
		}
		ch.WriteString(n + ":" + v + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := "POST\n/\n" + strings.Join(cq, "&") + "\n" + ch.String() + "\n" + signed + "\n" + payload
	h := sha256.Sum256([]byte(canonical))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(h[:])))
	req.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+testAK+",SignedHeaders="+signed+",Signature="+hex.EncodeToString(m.Sum(nil)))
}

// acs3Request builds an SDK-shaped request: business parameters in the
// query, an empty body, action and version in headers.
func acs3Request(srv *Server, action, rawQuery string, date time.Time, nonce string) *http.Request {
	req, _ := http.NewRequest("POST", srv.URL()+"/?"+rawQuery, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("x-acs-action", action)
	req.Header.Set("x-acs-version", "2016-04-28")
	req.Header.Set("x-acs-date", date.UTC().Format("2006-01-02T15:04:05Z"))
	req.Header.Set("x-acs-signature-nonce", nonce)
	req.Header.Set("x-acs-credentials-provider", "static_ak")
	return req
}

func do(t *testing.T, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", req.Header.Get("x-acs-action"), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("answer is not JSON: %q", body)
	}
	return resp.StatusCode, m, resp.Header
}

// The captured requests of reference §1.2 and §1.5, replayed unmodified.
// Capture 1 and the v1 capture keep their original signatures: the server
// clock is set to their moment and the Host header to theirs.
func TestCapturedRequests(t *testing.T) {
	const create = "ClientToken=tok-123&DryRun=false&EgressRules.1.Action=accept&EgressRules.1.DestinationCidrBlock=0.0.0.0%2F0&EgressRules.1.DestinationPortRange=53%2F53&EgressRules.1.Priority=1&EgressRules.1.Protocol=UDP&EgressRules.1.SourceCidrBlock=0.0.0.0%2F0&EgressRules.1.SourcePortRange=1%2F65535&IngressRules.1.Action=accept&IngressRules.1.DestinationCidrBlock=10.0.0.0%2F24&IngressRules.1.DestinationPortRange=80%2F120&IngressRules.1.IpVersion=IPv4&IngressRules.1.Priority=1&IngressRules.1.Protocol=TCP&IngressRules.1.SourceCidrBlock=0.0.0.0%2F0&IngressRules.1.SourcePortRange=-1%2F-1&IngressRules.2.Action=drop&IngressRules.2.DestinationCidrBlock=10.0.1.0%2F24&IngressRules.2.Priority=2&IngressRules.2.Protocol=ALL&IngressRules.2.SourceCidrBlock=10.0.2.0%2F24&RegionId=cn-hongkong&ResourceGroupId=rg-x&Tag.1.Key=env&Tag.1.Value=&TrafficMirrorFilterDescription=desc+with+space&TrafficMirrorFilterName=my+filter%2A~"
	const v1 = "AccessKeyId=testAK&Action=CreateTrafficMirrorFilterRules&Format=json&IngressRules.1.Action=accept&IngressRules.1.DestinationCidrBlock=10.0.0.0%2F24&IngressRules.1.Priority=1&IngressRules.1.Protocol=ICMP&IngressRules.1.SourceCidrBlock=0.0.0.0%2F0&RegionId=cn-hongkong&Signature=1ybF%2F%2FmN0KBMdxJFQ9Re%2B8nuPR8%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=d286eaed21ecee405b884e759537de6e&SignatureVersion=1.0&Timestamp=2026-11-27T04%3A12%3A51Z&TrafficMirrorFilterId=tmf-abc&Version=2016-04-28"
	at := time.Date(2026, 11, 27, 4, 12, 40, 0, time.UTC)

	t.Run("create filter, original ACS3 signature", func(t *testing.T) {
		srv := start(t, Options{Now: func() time.Time { return at }})
		req, _ := http.NewRequest("POST", srv.URL()+"/?"+create, nil)
		req.Host = "127.0.0.1:36601"
		for k, v := range map[string]string{
			"Accept":                     "application/json",
			"Authorization":              "ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=6a0933c064b0b06e3426f273dfc82bdd50da29b7503b7a1572c02cbf20eb4594",
			"User-Agent":                 "AlibabaCloud (linux; amd64) Golang/1.26.8 Core/0.01 TeaDSL/2",
			"X-Acs-Action":               "CreateTrafficMirrorFilter",
			"X-Acs-Content-Sha256":       emptySHA256,
			"X-Acs-Credentials-Provider": "static_ak",
			"X-Acs-Date":                 "2026-11-27T04:12:40Z",
			"X-Acs-Signature-Nonce":      "24d4dd9270caf2584dbdda575722857d",
			"X-Acs-Version":              "2016-04-28",
		} {
			req.Header.Set(k, v)
		}
		status, m, _ := do(t, req)
		if status != 200 || !filterIDRE.MatchString(m["TrafficMirrorFilterId"].(string)) || m["ResourceGroupId"] != "rg-x" {
			t.Fatalf("captured create = %d %v", status, m)
		}
		id := m["TrafficMirrorFilterId"].(string)
		// Read it back with a freshly signed SDK-shaped List.
		lr := acs3Request(srv, "ListTrafficMirrorFilters", "RegionId=cn-hongkong&TrafficMirrorFilterIds.1="+id, at, "n2")
		acs3Sign(lr, testSecret, nil)
		status, m, _ = do(t, lr)
		if status != 200 {
			t.Fatalf("list = %d %v", status, m)
		}
		f := m["TrafficMirrorFilters"].([]any)[0].(map[string]any)
		want := map[string]any{
			"TrafficMirrorFilterId": id, "TrafficMirrorFilterName": "my filter*~",
			"TrafficMirrorFilterDescription": "desc with space", "TrafficMirrorFilterStatus": "Created",
			"ResourceGroupId": "rg-x", "CreationTime": "2026-11-27T04:12Z",
			"Tags": []any{map[string]any{"Key": "env", "Value": ""}},
		}
		for k, v := range want {
			if diff := cmp.Diff(v, f[k]); diff != "" {
				t.Errorf("%s (-want +got):\n%s", k, diff)
			}
		}
		ing := f["IngressRules"].([]any)
		if len(ing) != 2 || ing[1].(map[string]any)["SourcePortRange"] != "-1/-1" || ing[0].(map[string]any)["Priority"] != float64(1) {
			t.Errorf("ingress rules = %v", ing)
		}
	})

	t.Run("v1 signature of the SDK's v2 algorithm", func(t *testing.T) {
		srv := start(t, Options{Now: func() time.Time { return at.Add(11 * time.Second) }})
		req, _ := http.NewRequest("POST", srv.URL()+"/?"+v1, nil)
		req.Header.Set("X-Acs-Action", "CreateTrafficMirrorFilterRules")
		req.Header.Set("X-Acs-Version", "2016-04-28")
		status, m, _ := do(t, req)
		// The signature verified: the answer is about the (absent) filter.
		if status != 404 || m["Code"] != "ResourceNotFound.TrafficMirrorFilter" {
			t.Fatalf("captured v1 request = %d %v", status, m)
		}
	})

	// The other captures, re-signed at the emulator's clock.
	others := map[string]struct {
		reason, action, query string
		wantStatus            int
		wantCode              string
	}{
		"list": {
			reason: "a NextToken the server did not issue is refused", action: "ListTrafficMirrorFilters",
			query:      "MaxResults=20&NextToken=tok%2Fwith%2Bchars%3D&RegionId=cn-hongkong&Tags.1.Key=k&Tags.1.Value=v&TrafficMirrorFilterIds.1=tmf-a&TrafficMirrorFilterIds.2=tmf-b",
			wantStatus: 400, wantCode: "IllegalParam.NextToken",
		},
		"session": {
			reason: "the session's filter does not exist", action: "CreateTrafficMirrorSession",
			query:      "Enabled=true&PacketLength=1500&Priority=1&RegionId=cn-hongkong&TrafficMirrorFilterId=tmf-abc&TrafficMirrorSourceIds.1=eni-src1&TrafficMirrorSourceIds.2=eni-src2&TrafficMirrorTargetId=eni-dst&TrafficMirrorTargetType=NetworkInterface&VirtualNetworkId=0",
			wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorFilter",
		},
		"update rule": {
			reason: "RuleAction names the action; the rule does not exist", action: "UpdateTrafficMirrorFilterRuleAttribute",
			query:      "Priority=3&RegionId=cn-hongkong&RuleAction=drop&TrafficMirrorFilterRuleId=tmr-1",
			wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorRule",
		},
		"tag": {
			reason: "TagResources on a filter that does not exist", action: "TagResources",
			query:      "RegionId=cn-hongkong&ResourceId.1=tmf-abc&ResourceType=TrafficMirrorFilter&Tag.1.Key=a&Tag.1.Value=b",
			wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorFilter",
		},
		"no region": {
			reason: "the SDK sends no RegionId unless the request has one", action: "ListTrafficMirrorFilters",
			query: "", wantStatus: 400, wantCode: "MissingRegionId",
		},
	}
	for name, tc := range others {
		t.Run(name, func(t *testing.T) {
			srv := start(t, Options{})
			req := acs3Request(srv, tc.action, tc.query, time.Now(), "nonce-"+name)
			acs3Sign(req, testSecret, nil)
			status, m, _ := do(t, req)
			if status != tc.wantStatus || m["Code"] != tc.wantCode {
				t.Errorf("%s: got %d %v, want %d %s", tc.reason, status, m["Code"], tc.wantStatus, tc.wantCode)
			}
		})
	}
}

// TestSDKSignatureV2 uses the SDK's legacy path (the aliyun CLI's shape):
// common parameters and a v1 HMAC-SHA1 signature in the query.
func TestSDKSignatureV2(t *testing.T) {
	srv := start(t, Options{})
	c := sdk(t, srv, v2)
	cf, err := c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{
		RegionId: s(testRegion), TrafficMirrorFilterName: s("name with space*~"),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{
			Action: s("accept"), Priority: i32(1), Protocol: s("ICMP"), SourceCidrBlock: s("0.0.0.0/0"), DestinationCidrBlock: s("10.0.0.0/24"),
		}},
	})
	if err != nil {
		t.Fatalf("CreateTrafficMirrorFilter (v2): %v", err)
	}
	f := listFilter(t, c, tea.StringValue(cf.Body.TrafficMirrorFilterId))
	if f == nil || tea.StringValue(f.TrafficMirrorFilterName) != "name with space*~" {
		t.Fatalf("filter = %v", f)
	}
	_, err = c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s("tmf-nope")})
	if got, status := code(err); got != "ResourceNotFound.TrafficMirrorFilter" || status != 404 {
		t.Errorf("delete of a missing filter (v2) = %s %d", got, status)
	}
}

// TestTerraformShape sends what Terraform's tea-rpc client sends: common
// parameters in the query, business parameters in a form body, unset
// optional rule fields as empty strings and an unset priority as 0.
func TestTerraformShape(t *testing.T) {
	srv := start(t, Options{})
	rc := newRaw(srv)
	rc.formBody = true
	status, m, _ := rc.call("CreateTrafficMirrorFilter", map[string]string{
		"RegionId": testRegion, "ClientToken": "TF-CreateTrafficMirrorFilter-1700000000-abc",
		"TrafficMirrorFilterName": "tf", "TrafficMirrorFilterDescription": "",
		"IngressRules.1.Action": "accept", "IngressRules.1.Protocol": "TCP", "IngressRules.1.Priority": "0",
		"IngressRules.1.SourceCidrBlock": "10.0.0.0/8", "IngressRules.1.DestinationCidrBlock": "0.0.0.0/0",
		"IngressRules.1.SourcePortRange": "", "IngressRules.1.DestinationPortRange": "443/443",
		"IngressRules.2.Action": "drop", "IngressRules.2.Protocol": "ALL", "IngressRules.2.Priority": "0",
		"IngressRules.2.SourceCidrBlock": "", "IngressRules.2.DestinationCidrBlock": "",
		"IngressRules.2.SourcePortRange": "", "IngressRules.2.DestinationPortRange": "",
		"EgressRules.1.Action": "accept", "EgressRules.1.Protocol": "UDP", "EgressRules.1.Priority": "3",
		"EgressRules.1.SourceCidrBlock": "", "EgressRules.1.DestinationCidrBlock": "", "EgressRules.1.SourcePortRange": "", "EgressRules.1.DestinationPortRange": "",
		"ResourceGroupId": "",
	})
	if status != 200 {
		t.Fatalf("Terraform-shaped create = %d %v", status, m)
	}
	id := m["TrafficMirrorFilterId"].(string)
	status, m, _ = rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion, "TrafficMirrorFilterIds.1": id, "MaxResults": "50"})
	if status != 200 || m["TotalCount"] != "1" {
		t.Fatalf("list = %d %v", status, m)
	}
	f := m["TrafficMirrorFilters"].([]any)[0].(map[string]any)
	type rv struct {
		Prio               float64
		SrcPort, DstPort   string
		SrcCIDR, IPVersion string
	}
	var got []rv
	for _, dir := range []string{"IngressRules", "EgressRules"} {
		for _, r := range f[dir].([]any) {
			r := r.(map[string]any)
			got = append(got, rv{r["Priority"].(float64), r["SourcePortRange"].(string), r["DestinationPortRange"].(string), r["SourceCidrBlock"].(string), r["IpVersion"].(string)})
		}
	}
	want := []rv{
		{1, "-1/-1", "443/443", "10.0.0.0/8", "IPv4"},
		{2, "-1/-1", "-1/-1", "0.0.0.0/0", "IPv4"},
		{3, "-1/-1", "-1/-1", "0.0.0.0/0", "IPv4"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if f["TrafficMirrorFilterDescription"] != "" {
		t.Errorf("an empty description must count as absent, got %q", f["TrafficMirrorFilterDescription"])
	}
	// The Terraform service data source calls without RegionId.
	status, m, _ = rc.call("GetTrafficMirrorServiceStatus", map[string]string{})
	if status != 200 || m["Enabled"] != true {
		t.Errorf("GetTrafficMirrorServiceStatus without RegionId = %d %v", status, m)
	}
	// The aliyun CLI sends SignatureType empty, and signs it.
	rc.formBody = false
	status, m, _ = rc.call("ListTrafficMirrorSessions", map[string]string{"RegionId": testRegion, "SignatureType": "", "Format": "JSON"})
	if status != 200 || m["TrafficMirrorSessions"] == nil {
		t.Errorf("aliyun-CLI-shaped list = %d %v", status, m)
	}
}

func TestSignatures(t *testing.T) {
	clk := newClock()
	srv := start(t, Options{Now: clk.Now, AccessKeys: map[string]string{testAK: testSecret, "STS.tmp": "stsSecret"}})
	list := map[string]string{"RegionId": testRegion}
	cases := map[string]struct {
		reason     string
		mod        func(rc *rawClient, p map[string]string)
		wantStatus int
		wantCode   string
	}{
		"good":         {reason: "a correct v1 signature", mod: func(*rawClient, map[string]string) {}, wantStatus: 200},
		"wrong secret": {reason: "signed with another secret", mod: func(rc *rawClient, _ map[string]string) { rc.badSecret = true }, wantStatus: 400, wantCode: "SignatureDoesNotMatch"},
		"unknown key":  {reason: "an access key the server does not know", mod: func(rc *rawClient, _ map[string]string) { rc.ak = "LTAIunknown" }, wantStatus: 404, wantCode: "InvalidAccessKeyId.NotFound"},
		"missing":      {reason: "no signature at all", mod: func(rc *rawClient, _ map[string]string) { rc.noSign = true }, wantStatus: 400, wantCode: "IncompleteSignature"},
		"expired": {reason: "16 minutes of skew", mod: func(rc *rawClient, _ map[string]string) {
			rc.now = func() time.Time { return clk.Now().Add(-16 * time.Minute) }
		}, wantStatus: 400, wantCode: "InvalidTimeStamp.Expired"},
		"future": {reason: "16 minutes ahead", mod: func(rc *rawClient, _ map[string]string) {
			rc.now = func() time.Time { return clk.Now().Add(16 * time.Minute) }
		}, wantStatus: 400, wantCode: "InvalidTimeStamp.Expired"},
		"within skew": {reason: "14 minutes of skew is fine", mod: func(rc *rawClient, _ map[string]string) {
			rc.now = func() time.Time { return clk.Now().Add(-14 * time.Minute) }
		}, wantStatus: 200},
		"bad timestamp":  {reason: "not the UTC format", mod: func(_ *rawClient, p map[string]string) { p["Timestamp"] = "yesterday" }, wantStatus: 400, wantCode: "InvalidTimeStamp.Format"},
		"replayed nonce": {reason: "a nonce used before", mod: func(_ *rawClient, p map[string]string) { p["SignatureNonce"] = "used-nonce" }, wantStatus: 400, wantCode: "SignatureNonceUsed"},
		"sts no token":   {reason: "a temporary key without its token", mod: func(rc *rawClient, _ map[string]string) { rc.ak, rc.secret = "STS.tmp", "stsSecret" }, wantStatus: 400, wantCode: "InvalidSecurityToken.Missing"},
		"sts with token": {reason: "a temporary key with a token", mod: func(rc *rawClient, p map[string]string) {
			rc.ak, rc.secret = "STS.tmp", "stsSecret"
			p["SecurityToken"] = "tok"
		}, wantStatus: 200},
		"wrong version": {reason: "another API version", mod: func(_ *rawClient, p map[string]string) { p["Version"] = "2014-05-26" }, wantStatus: 400, wantCode: "InvalidVersion"},
	}
	// Use the nonce once so the replay case meets it again.
	rc := newRaw(srv)
	rc.now = clk.Now
	if st, m, _ := rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion, "SignatureNonce": "used-nonce"}); st != 200 {
		t.Fatalf("first use of the nonce = %d %v", st, m)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rc := newRaw(srv)
			rc.now = clk.Now
			p := map[string]string{}
			for k, v := range list {
				p[k] = v
			}
			tc.mod(rc, p)
			status, m, _ := rc.call("ListTrafficMirrorFilters", p)
			got, _ := m["Code"].(string)
			if status != tc.wantStatus || got != tc.wantCode {
				t.Errorf("%s: got %d %q (%v), want %d %q", tc.reason, status, got, m["Message"], tc.wantStatus, tc.wantCode)
			}
		})
	}

	t.Run("ACS3 through the SDK", func(t *testing.T) {
		for name, tc := range map[string]struct {
			reason   string
			mod      func(*openapiutil.Config)
			wantCode string
		}{
			"good":       {reason: "the SDK's default signature", mod: func(*openapiutil.Config) {}},
			"bad secret": {reason: "another secret", mod: func(c *openapiutil.Config) { c.AccessKeySecret = s("nope") }, wantCode: "SignatureDoesNotMatch"},
			"unknown":    {reason: "unknown key", mod: func(c *openapiutil.Config) { c.AccessKeyId = s("LTAIx") }, wantCode: "InvalidAccessKeyId.NotFound"},
			"sts": {reason: "STS headers signed", mod: func(c *openapiutil.Config) {
				c.AccessKeyId, c.AccessKeySecret, c.SecurityToken = s("STS.tmp"), s("stsSecret"), s("token")
			}},
		} {
			c := sdk(t, srv, tc.mod)
			_, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: s(testRegion)})
			if got, _ := code(err); got != tc.wantCode {
				t.Errorf("%s: %s: got %q, want %q", name, tc.reason, got, tc.wantCode)
			}
		}
	})

	t.Run("ACS3 replay and body hash", func(t *testing.T) {
		req := acs3Request(srv, "ListTrafficMirrorFilters", "RegionId="+testRegion, clk.Now(), "acs3-nonce")
		acs3Sign(req, testSecret, nil)
		again := req.Clone(req.Context())
		if st, m, _ := do(t, req); st != 200 {
			t.Fatalf("first = %d %v", st, m)
		}
		if st, m, _ := do(t, again); st != 400 || m["Code"] != "SignatureNonceUsed" {
			t.Errorf("replayed ACS3 request = %d %v, want SignatureNonceUsed", st, m)
		}
		req = acs3Request(srv, "ListTrafficMirrorFilters", "RegionId="+testRegion, clk.Now(), "acs3-nonce-2")
		acs3Sign(req, testSecret, nil)
		req.Header.Set("x-acs-content-sha256", strings.Repeat("0", 64))
		if st, m, _ := do(t, req); st != 400 || m["Code"] != "SignatureDoesNotMatch" {
			t.Errorf("wrong body hash = %d %v, want SignatureDoesNotMatch", st, m)
		}
		req = acs3Request(srv, "ListTrafficMirrorFilters", "RegionId="+testRegion, clk.Now().Add(-20*time.Minute), "acs3-nonce-3")
		acs3Sign(req, testSecret, nil)
		if st, m, _ := do(t, req); st != 400 || m["Code"] != "InvalidTimeStamp.Expired" {
			t.Errorf("old x-acs-date = %d %v, want InvalidTimeStamp.Expired", st, m)
		}
	})
}

// TestResponseShape checks the raw JSON the service sends, which
// Terraform reads as untyped maps (reference §6.5).
func TestResponseShape(t *testing.T) {
	srv := start(t, Options{SkipAuth: true})
	rc := newRaw(srv)
	check := func(what string, status int, m map[string]any, h http.Header, wantStatus int) {
		t.Helper()
		if status != wantStatus {
			t.Errorf("%s: status %d, want %d (%v)", what, status, wantStatus, m)
		}
		if got := h.Get("Content-Type"); got != "application/json;charset=utf-8" {
			t.Errorf("%s: Content-Type %q", what, got)
		}
		if _, err := http.ParseTime(h.Get("Date")); err != nil {
			t.Errorf("%s: Date header %q: %v", what, h.Get("Date"), err)
		}
		if id, _ := m["RequestId"].(string); !requestIDRE.MatchString(id) {
			t.Errorf("%s: RequestId %q", what, m["RequestId"])
		}
	}
	status, m, h := rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion})
	check("empty filter list", status, m, h, 200)
	if diff := cmp.Diff(map[string]any{"RequestId": m["RequestId"], "TotalCount": "0", "Count": float64(0), "MaxResults": float64(10), "NextToken": "", "TrafficMirrorFilters": []any{}}, m); diff != "" {
		t.Errorf("empty filter list (-want +got):\n%s", diff)
	}
	status, m, h = rc.call("ListTrafficMirrorSessions", map[string]string{"RegionId": testRegion})
	check("empty session list", status, m, h, 200)
	if diff := cmp.Diff(map[string]any{"RequestId": m["RequestId"], "TotalCount": "0", "NextToken": "", "TrafficMirrorSessions": []any{}}, m); diff != "" {
		t.Errorf("empty session list (-want +got):\n%s", diff)
	}
	status, m, h = rc.call("ListTagResources", map[string]string{"RegionId": testRegion, "ResourceType": "TRAFFICMIRRORFILTER", "ResourceId.1": "tmf-x"})
	check("empty tag list", status, m, h, 200)
	if diff := cmp.Diff(map[string]any{"TagResource": []any{}}, m["TagResources"]); diff != "" {
		t.Errorf("empty tag list (-want +got):\n%s", diff)
	}
	status, m, _ = rc.call("CreateTrafficMirrorFilter", map[string]string{"RegionId": testRegion})
	fid := m["TrafficMirrorFilterId"].(string)
	status, m, _ = rc.call("CreateTrafficMirrorSession", map[string]string{"RegionId": testRegion, "TrafficMirrorFilterId": fid,
		"TrafficMirrorSourceIds.1": "eni-a", "TrafficMirrorTargetId": "eni-b", "TrafficMirrorTargetType": "NetworkInterface", "Priority": "7"})
	if status != 200 {
		t.Fatalf("create session = %d %v", status, m)
	}
	sid := m["TrafficMirrorSessionId"].(string)
	rc.call("RemoveSourcesFromTrafficMirrorSession", map[string]string{"RegionId": testRegion, "TrafficMirrorSessionId": sid, "TrafficMirrorSourceIds.1": "eni-a"})
	_, m, _ = rc.call("ListTrafficMirrorSessions", map[string]string{"RegionId": testRegion})
	sess := m["TrafficMirrorSessions"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]any{}, sess["TrafficMirrorSourceIds"]); diff != "" {
		t.Errorf("a session without sources still has the array (-want +got):\n%s", diff)
	}
	for _, k := range []string{"Priority", "VirtualNetworkId", "PacketLength"} {
		if _, ok := sess[k].(float64); !ok {
			t.Errorf("%s = %#v, want a JSON number", k, sess[k])
		}
	}
	if _, ok := sess["Enabled"].(bool); !ok {
		t.Errorf("Enabled = %#v, want a JSON bool", sess["Enabled"])
	}
	status, m, h = rc.call("DeleteTrafficMirrorFilter", map[string]string{"RegionId": testRegion, "TrafficMirrorFilterId": "tmf-missing"})
	check("error", status, m, h, 404)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"Code", "HostId", "Message", "Recommend", "RequestId"}, keys); diff != "" {
		t.Errorf("error envelope keys (-want +got):\n%s", diff)
	}
	if rec, _ := m["Recommend"].(string); !strings.HasPrefix(rec, "https://api.aliyun.com/troubleshoot?q=ResourceNotFound.TrafficMirrorFilter&product=Vpc&requestId=") {
		t.Errorf("Recommend = %q", rec)
	}
	status, m, h = rc.call("DescribeVpcs", map[string]string{"RegionId": testRegion})
	check("unknown action", status, m, h, 404)
	if m["Code"] != "InvalidApi.NotFound" {
		t.Errorf("unknown action code = %v", m["Code"])
	}
	// A plain-text 404 would break the SDK: every path answers JSON.
	resp, err := http.Post(srv.URL()+"/other", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json;charset=utf-8" {
		t.Errorf("other path = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
