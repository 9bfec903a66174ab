package spec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckNames checks stack names and regions given outside a spec (by
// flag) with the spec's own grammar: what a spec file may not declare, a
// flag may not name either.
func TestCheckNames(t *testing.T) {
	const keyHint = "use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit"
	const regionHint = "write a region ID such as cn-hangzhou or ap-southeast-1"
	cases := map[string]struct {
		reason string
		check  func() error
		want   *ValueError // nil: accepted
	}{
		"Stack": {
			reason: "a stack name of the key grammar",
			check:  func() error { return CheckStackName("web-ids") },
		},
		"StackPath": {
			reason: "a path is not a stack name: it would lead the lock file out of its directory",
			check:  func() error { return CheckStackName("../x") },
			want:   &ValueError{What: "stack name", Value: "../x", Problem: "is not valid", Hint: keyHint},
		},
		"StackSlash": {
			reason: "no separator either",
			check:  func() error { return CheckStackName("a/b") },
			want:   &ValueError{What: "stack name", Value: "a/b", Problem: "is not valid", Hint: keyHint},
		},
		"StackEmpty": {
			reason: "an empty name",
			check:  func() error { return CheckStackName("") },
			want:   &ValueError{What: "stack name", Value: "", Problem: "is not valid", Hint: keyHint},
		},
		"StackLong": {
			reason: "64 characters are one too many",
			check: func() error {
				return CheckStackName("a123456789012345678901234567890123456789012345678901234567890123")
			},
			want: &ValueError{What: "stack name", Value: "a123456789012345678901234567890123456789012345678901234567890123",
				Problem: "is not valid", Hint: keyHint},
		},
		"Region": {
			reason: "an Alibaba Cloud region",
			check:  func() error { return CheckRegion("cn-hangzhou", LoadOptions{}) },
		},
		"RegionNoMirror": {
			reason: "a region without Traffic Mirror passes: a spec only gets a warning for it",
			check:  func() error { return CheckRegion("cn-north-2-gov-1", LoadOptions{}) },
		},
		"RegionHost": {
			reason: "a region that would make the endpoint another host",
			check:  func() error { return CheckRegion("@127.0.0.1:4443#", LoadOptions{}) },
			want:   &ValueError{What: "region", Value: "@127.0.0.1:4443#", Problem: "is not a region ID", Hint: regionHint},
		},
		"RegionHostAnyRegion": {
			reason: "the grammar holds for any endpoint",
			check:  func() error { return CheckRegion("x.evil.example/", LoadOptions{AnyRegion: true}) },
			want:   &ValueError{What: "region", Value: "x.evil.example/", Problem: "is not a region ID", Hint: regionHint},
		},
		"RegionTypo": {
			reason: "a typo is refused with a suggestion, as in a spec",
			check:  func() error { return CheckRegion("cn-hangzou", LoadOptions{}) },
			want: &ValueError{What: "region", Value: "cn-hangzou", Problem: "is not an Alibaba Cloud region",
				Hint: "did you mean cn-hangzhou?"},
		},
		"RegionAnyRegion": {
			reason: "another endpoint may serve any well-formed region",
			check:  func() error { return CheckRegion("cn-test-1", LoadOptions{AnyRegion: true}) },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.check()
			var got *ValueError
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("%s: error %v is not a *ValueError", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
