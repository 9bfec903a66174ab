package aliyun

import (
	"errors"
	"strings"
	"testing"

	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tmsync/tmsync/internal/cloud"
)

func TestParseEndpoint(t *testing.T) {
	type want struct {
		host, protocol string
		err            bool
	}
	cases := map[string]struct {
		reason string
		in     string
		want   want
	}{
		"Empty":         {"no endpoint is the region's Alibaba endpoint over https", "", want{"", "https", false}},
		"HTTPURL":       {"an http URL keeps its port, which is signed", "http://127.0.0.1:1", want{"127.0.0.1:1", "http", false}},
		"HTTPSURL":      {"an https URL", "https://x", want{"x", "https", false}},
		"TrailingSlash": {"the root path is the API's path", "https://vpc.example.com/", want{"vpc.example.com", "https", false}},
		"BareLoopback":  {"a bare loopback host:port is an emulator speaking http", "127.0.0.1:1", want{"127.0.0.1:1", "http", false}},
		"Localhost":     {"localhost is loopback", "localhost:8080", want{"localhost:8080", "http", false}},
		"IPv6Loopback":  {"[::1] is loopback", "[::1]:8080", want{"[::1]:8080", "http", false}},
		"BareRemote":    {"any other bare host is https", "vpc-vpc.example.com:443", want{"vpc-vpc.example.com:443", "https", false}},
		"UpperScheme":   {"schemes are case-insensitive", "HTTP://127.0.0.1:9", want{"127.0.0.1:9", "http", false}},
		"Path":          {"the SDK would drop a path silently", "https://x/api", want{err: true}},
		"Query":         {"the SDK would drop a query silently", "https://x?a=b", want{err: true}},
		"OtherScheme":   {"only http and https", "ftp://x", want{err: true}},
		"NoHost":        {"a URL needs a host", "http://", want{err: true}},
		"Space":         {"garbage is refused", "not an endpoint", want{err: true}},
		"UserInfo":      {"credentials in the URL are refused", "http://user:pass@127.0.0.1:1", want{err: true}},
		"BareUserInfo":  {"also in a bare host:port", "user:pass@127.0.0.1:1", want{err: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			host, protocol, err := ParseEndpoint(tc.in)
			got := want{host, protocol, err != nil}
			if err != nil {
				got.host, got.protocol = "", ""
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nParseEndpoint(%q): -want +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

// TestParseEndpointHidesUserInfo: whatever is wrong with an endpoint that
// carries user information, the error never quotes the password.
func TestParseEndpointHidesUserInfo(t *testing.T) {
	const secret = "s3cr3t-pa55"
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"URL":       {"a URL with user and password", "http://user:" + secret + "@127.0.0.1:1", `endpoint "http://***@127.0.0.1:1": user information`},
		"Bare":      {"a bare host:port", "user:" + secret + "@127.0.0.1:1", `endpoint "***@127.0.0.1:1": user information`},
		"BadPort":   {"a URL that does not parse", "https://user:" + secret + "@host:bad", `endpoint "https://***@host:bad": user information`},
		"BadHost":   {"another", "http://user:" + secret + "@[::1", `endpoint "http://***@[::1": user information`},
		"Slash":     {"a password with a slash", "http://user:" + secret + "/x@host", `endpoint "http://***@host": user information`},
		"At":        {"a password with an @", "http://user:" + secret + "@x@host", `endpoint "http://***@host": user information`},
		"NoUser":    {"a URL that does not parse, without user information", "http://127.0.0.1:bad", `endpoint "http://127.0.0.1:bad": invalid port ":bad" after host`},
		"OnlyUser":  {"a user without password", "https://" + secret + "@host", `endpoint "https://***@host": user information`},
		"BadScheme": {"another scheme", "ftp://user:" + secret + "@host", `endpoint "ftp://***@host": user information`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := ParseEndpoint(tc.in)
			if err == nil {
				t.Fatalf("%s: ParseEndpoint(%q) took it", tc.reason, tc.in)
			}
			if strings.Contains(err.Error(), secret) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s: error %q, want it to start with %q and never hold the password", tc.reason, err, tc.want)
			}
		})
	}
}

func TestFromSDKError(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     *tea.SDKError
		want   *cloud.APIError
	}{
		"Data": {
			reason: "message and request ID come from the API's body, without the SDK's wrapper",
			in: &tea.SDKError{
				Code:       tea.String("ResourceNotFound.TrafficMirrorFilter"),
				StatusCode: tea.Int(404),
				Message:    tea.String("code: 404, The specified resource of filter is not found. request id: REQ-1"),
				Data:       tea.String(`{"Code":"ResourceNotFound.TrafficMirrorFilter","HostId":"h","Message":"The specified resource of filter is not found.","RequestId":"REQ-1"}`),
			},
			want: &cloud.APIError{Kind: cloud.KindNotFound, Code: "ResourceNotFound.TrafficMirrorFilter",
				Message: "The specified resource of filter is not found.", RequestID: "REQ-1", HTTPStatus: 404},
		},
		"WrapperOnly": {
			reason: "without Data the wrapper is taken apart",
			in: &tea.SDKError{
				Code:       tea.String("Throttling.User"),
				StatusCode: tea.Int(400),
				Message:    tea.String("code: 400, Request was denied due to user flow control. request id: REQ-2"),
			},
			want: &cloud.APIError{Kind: cloud.KindThrottled, Code: "Throttling.User",
				Message: "Request was denied due to user flow control.", RequestID: "REQ-2", HTTPStatus: 400},
		},
		"ServerError": {
			reason: "a 5xx code is a server error",
			in: &tea.SDKError{Code: tea.String("ServiceUnavailable"), StatusCode: tea.Int(503),
				Message: tea.String("code: 503, The request has failed due to a temporary failure of the server. request id: R")},
			want: &cloud.APIError{Kind: cloud.KindServer, Code: "ServiceUnavailable",
				Message: "The request has failed due to a temporary failure of the server.", RequestID: "R", HTTPStatus: 503},
		},
		"NoCredentials": {
			reason: "the SDK's own refusal to sign is an auth error",
			in:     &tea.SDKError{Code: tea.String("InvalidCredentials"), Message: tea.String("Please set up the credentials correctly.")},
			want: &cloud.APIError{Kind: cloud.KindAuth, Code: "InvalidCredentials",
				Message: "Please set up the credentials correctly."},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := fromSDKError(tc.in, &record{})
			if !errors.Is(got, tc.in) {
				t.Errorf("%s\nthe APIError does not wrap the SDK error", tc.reason)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(cloud.APIError{}, "Err")); diff != "" {
				t.Errorf("%s\nfromSDKError: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRuleToWire(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     cloud.Rule
		want   wireRule
	}{
		"TCP": {
			reason: "TCP rules carry their port ranges",
			in: cloud.Rule{Priority: 1, Action: "accept", Protocol: "TCP", IPVersion: "IPv4",
				SourceCIDR: "0.0.0.0/0", DestCIDR: "10.0.0.0/24", SourcePort: "1/65535", DestPort: "443/443"},
			want: wireRule{Priority: ptr(int32(1)), Action: ptr("accept"), Protocol: ptr("TCP"), IpVersion: ptr("IPv4"),
				SourceCidrBlock: ptr("0.0.0.0/0"), DestinationCidrBlock: ptr("10.0.0.0/24"),
				SourcePortRange: ptr("1/65535"), DestinationPortRange: ptr("443/443")},
		},
		"ALL": {
			reason: "ALL rules have no ports, whatever the input says",
			in: cloud.Rule{Priority: 2, Action: "drop", Protocol: "ALL", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0",
				SourcePort: "-1/-1", DestPort: "-1/-1"},
			want: wireRule{Priority: ptr(int32(2)), Action: ptr("drop"), Protocol: ptr("ALL"),
				SourceCidrBlock: ptr("0.0.0.0/0"), DestinationCidrBlock: ptr("0.0.0.0/0")},
		},
		"ICMP": {
			reason: "ICMP rules have no ports either; an empty IP version is left to the API",
			in:     cloud.Rule{Priority: 3, Action: "accept", Protocol: "ICMP", SourcePort: "1/65535"},
			want:   wireRule{Priority: ptr(int32(3)), Action: ptr("accept"), Protocol: ptr("ICMP")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ruleToWire(tc.in)); diff != "" {
				t.Errorf("%s\nruleToWire: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFilterFromWire(t *testing.T) {
	in := &vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFilters{
		TrafficMirrorFilterId:          ptr("tmf-1"),
		TrafficMirrorFilterName:        ptr("web"),
		TrafficMirrorFilterDescription: ptr("d"),
		TrafficMirrorFilterStatus:      ptr("Created"),
		ResourceGroupId:                ptr("rg-1"),
		CreationTime:                   ptr("2023-09-05T15:26Z"),
		Tags: []*vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFiltersTags{
			{Key: ptr("tmsync:stack"), Value: ptr("s")}, {Key: ptr("empty"), Value: ptr("")}, nil,
		},
		IngressRules: []*vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFiltersIngressRules{{
			TrafficMirrorFilterRuleId: ptr("tmr-1"), TrafficMirrorFilterId: ptr("tmf-1"), TrafficDirection: ptr("ingress"),
			Priority: ptr(int32(1)), Action: ptr("accept"), Protocol: ptr("ALL"), IpVersion: ptr("IPv4"),
			SourceCidrBlock: ptr("0.0.0.0/0"), DestinationCidrBlock: ptr("0.0.0.0/0"),
			SourcePortRange: ptr("-1/-1"), DestinationPortRange: ptr("-1/-1"), TrafficMirrorFilterRuleStatus: ptr("Created"),
		}},
		EgressRules: []*vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFiltersEgressRules{{
			// No filter ID or direction in the answer: the parent and the
			// array say them.
			TrafficMirrorFilterRuleId: ptr("tmr-2"), Priority: ptr(int32(4)), Action: ptr("drop"), Protocol: ptr("UDP"),
			SourcePortRange: ptr("53/53"), DestinationPortRange: ptr("1/65535"),
		}},
	}
	want := cloud.Filter{
		ID: "tmf-1", Name: "web", Description: "d", Status: "Created", ResourceGroupID: "rg-1",
		CreationTime: "2023-09-05T15:26Z",
		Tags:         cloud.Tags{"tmsync:stack": "s", "empty": ""},
		Ingress: []cloud.Rule{{ID: "tmr-1", FilterID: "tmf-1", Direction: "ingress", Priority: 1, Action: "accept",
			Protocol: "ALL", IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0",
			SourcePort: "-1/-1", DestPort: "-1/-1", Status: "Created"}},
		Egress: []cloud.Rule{{ID: "tmr-2", FilterID: "tmf-1", Direction: "egress", Priority: 4, Action: "drop",
			Protocol: "UDP", SourcePort: "53/53", DestPort: "1/65535"}},
	}
	if diff := cmp.Diff(want, filterFromWire(in)); diff != "" {
		t.Errorf("filterFromWire: -want +got:\n%s", diff)
	}
}

func TestIDBatches(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		}
		return out
	}
	cases := map[string]struct {
		reason string
		in     []string
		n      int
		want   []int // batch sizes
	}{
		"None":      {"no IDs is one unfiltered call", nil, 100, []int{0}},
		"Exact":     {"100 IDs fit one batch", ids(100), 100, []int{100}},
		"Over":      {"250 IDs are three batches", ids(250), 100, []int{100, 100, 50}},
		"Duplicate": {"duplicates are sent once", append(ids(3), ids(3)...), 2, []int{2, 1}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []int
			for _, b := range idBatches(tc.in, tc.n) {
				got = append(got, len(b))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbatch sizes: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestWriteOpts(t *testing.T) {
	cases := map[string]struct {
		reason    string
		in        cloud.WriteOptions
		wantToken *string
		wantDry   *bool
	}{
		"Token":   {"a write sends its token", cloud.WriteOptions{Token: "tm1-x"}, ptr("tm1-x"), nil},
		"NoToken": {"no token is no parameter", cloud.WriteOptions{}, nil, nil},
		"DryRun":  {"a dry run sends no token, so it cannot spend it", cloud.WriteOptions{Token: "tm1-x", DryRun: true}, nil, ptr(true)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			token, dry := writeOpts(tc.in)
			if diff := cmp.Diff(tc.wantToken, token); diff != "" {
				t.Errorf("%s\ntoken: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantDry, dry); diff != "" {
				t.Errorf("%s\nDryRun: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
