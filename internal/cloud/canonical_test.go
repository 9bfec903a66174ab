package cloud

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePortRange(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
		err    bool
	}{
		"any":      {reason: "any is all ports", in: "any", want: AnyPorts},
		"omitted":  {reason: "omitted is all ports", in: "", want: AnyPorts},
		"api all":  {reason: "the API's -1/-1 is all ports", in: "-1/-1", want: AnyPorts},
		"full":     {reason: "1/65535 is all ports", in: "1/65535", want: AnyPorts},
		"single":   {reason: "a single port is start and end", in: "443", want: "443/443"},
		"range":    {reason: "a range stays", in: "8000/8080", want: "8000/8080"},
		"reversed": {reason: "start after end", in: "90/80", err: true},
		"zero":     {reason: "ports start at 1", in: "0/80", err: true},
		"too high": {reason: "ports end at 65535", in: "1/65536", err: true},
		"words":    {reason: "not a number", in: "http", err: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePortRange(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("%s: err = %v, want error %v", tc.reason, err, tc.err)
			}
			if got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}

func TestCanonicalRule(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     Rule
		strict bool
		want   Rule
		err    bool
	}{
		"defaults": {
			reason: "IPv4, whole-space CIDRs and all ports are filled in",
			in:     Rule{Protocol: ProtoTCP},
			want:   Rule{Protocol: ProtoTCP, IPVersion: IPv4, SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0", SourcePort: AnyPorts, DestPort: AnyPorts},
		},
		"ipv6 default": {
			reason: "an omitted IPv6 CIDR is ::/0",
			in:     Rule{Protocol: ProtoALL, IPVersion: IPv6},
			want:   Rule{Protocol: ProtoALL, IPVersion: IPv6, SourceCIDR: "::/0", DestCIDR: "::/0"},
		},
		"ports ignored": {
			reason: "ALL and ICMP carry no ports, whatever the API reports",
			in:     Rule{Protocol: ProtoICMP, SourcePort: "-1/-1", DestPort: "-1/-1"},
			want:   Rule{Protocol: ProtoICMP, IPVersion: IPv4, SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0"},
		},
		"host bits live": {
			reason: "live state is masked silently",
			in:     Rule{Protocol: ProtoALL, SourceCIDR: "10.0.0.5/8"},
			want:   Rule{Protocol: ProtoALL, IPVersion: IPv4, SourceCIDR: "10.0.0.0/8", DestCIDR: "0.0.0.0/0"},
		},
		"host bits spec": {
			reason: "host bits in a spec are an error",
			in:     Rule{Protocol: ProtoALL, SourceCIDR: "10.0.0.5/8"}, strict: true, err: true,
		},
		"wrong family": {
			reason: "an IPv6 CIDR on an IPv4 rule",
			in:     Rule{Protocol: ProtoALL, DestCIDR: "2001:db8::/32"}, err: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := CanonicalRule(tc.in, tc.strict)
			if (err != nil) != tc.err {
				t.Fatalf("%s: err = %v, want error %v", tc.reason, err, tc.err)
			}
			if err == nil {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]struct {
		code   string
		status int
		want   ErrorKind
	}{
		"dry run":     {"DryRunOperation", 400, KindDryRunPassed},
		"not found":   {"ResourceNotFound.TrafficMirrorFilter", 404, KindNotFound},
		"unknown api": {"InvalidApi.NotFound", 404, KindInvalid},
		"busy":        {"IncorrectStatus.TrafficMirrorSession", 400, KindBusy},
		"conflict":    {"OperationConflict", 400, KindConflict},
		"token":       {"OperationFailed.LastTokenProcessing", 400, KindTokenProcessing},
		"throttled":   {"Throttling.User", 400, KindThrottled},
		"server":      {"ServiceUnavailable", 503, KindServer},
		"quota":       {"QuotaExceeded.TrafficMirrorSource", 400, KindQuota},
		"in use":      {"DependencyViolation.TrafficMirrorSession", 400, KindInUse},
		"auth":        {"SignatureDoesNotMatch", 400, KindAuth},
		"mismatch":    {"IdempotentParameterMismatch", 400, KindMismatch},
		"open":        {"ORDER.OPEND", 400, KindAlreadyOpen},
		"other 4xx":   {"IllegalParam.Priority", 400, KindInvalid},
		"other 5xx":   {"Whatever", 502, KindServer},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Classify(tc.code, tc.status); got != tc.want {
				t.Errorf("Classify(%q, %d) = %s, want %s", tc.code, tc.status, got, tc.want)
			}
		})
	}
}
