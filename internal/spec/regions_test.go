package spec

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRegionIDs checks a spec's region against Alibaba Cloud's regions: an
// unknown one is an error at its region: value with the closest known
// region as a hint, one without Traffic Mirror a warning on the stack, and
// neither when the spec is for another endpoint.
func TestRegionIDs(t *testing.T) {
	type want struct {
		diags    string
		warnings string
	}
	cases := map[string]struct {
		reason string
		files  map[string]string
		opts   LoadOptions
		want   want
	}{
		"Known": {
			reason: "a region with Traffic Mirror loads quietly",
			files:  map[string]string{"a.yaml": "stack: s\nregion: ap-southeast-1\n"},
		},
		"Typo": {
			reason: "a typo is refused at the region: value with a suggestion",
			files:  map[string]string{"a.yaml": "stack: s\nregion: cn-hangzou\n"},
			want: want{diags: "$DIR/a.yaml:2:9: region \"cn-hangzou\" is not an Alibaba Cloud region\n" +
				"  hint: did you mean cn-hangzhou?"},
		},
		"TypoQuoted": {
			reason: "the position is the value's, quoted or not",
			files:  map[string]string{"a.yaml": "stack: s\nfilters: {}\nregion:   \"ap-southeast1\"\n"},
			want: want{diags: "$DIR/a.yaml:3:11: region \"ap-southeast1\" is not an Alibaba Cloud region\n" +
				"  hint: did you mean ap-southeast-1?"},
		},
		"Unknown": {
			reason: "a made-up region far from every real one gets no suggestion",
			files:  map[string]string{"a.yaml": "stack: s\nregion: xx-nowhere-9\n"},
			want: want{diags: "$DIR/a.yaml:2:9: region \"xx-nowhere-9\" is not an Alibaba Cloud region\n" +
				"  hint: write an Alibaba Cloud region ID such as cn-hangzhou or ap-southeast-1"},
		},
		"WithOtherErrors": {
			reason: "the region error comes with the file's other errors",
			files:  map[string]string{"a.yaml": "stack: s\nregion: cn-hangzou\nfilters: {Web: {}}\n"},
			want: want{diags: "$DIR/a.yaml:2:9: region \"cn-hangzou\" is not an Alibaba Cloud region\n" +
				"  hint: did you mean cn-hangzhou?\n" +
				"$DIR/a.yaml:3:11: filters: key \"Web\" is not valid\n" +
				"  hint: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit"},
		},
		"OncePerStack": {
			reason: "a stack of two files reports its region once, at the first file",
			files: map[string]string{
				"a.yaml": "stack: s\nregion: cn-hangzou\n",
				"b.yaml": "stack: s\nregion: cn-hangzou\nfilters: {web: {}}\n",
			},
			want: want{diags: "$DIR/a.yaml:2:9: region \"cn-hangzou\" is not an Alibaba Cloud region\n" +
				"  hint: did you mean cn-hangzhou?"},
		},
		"NoMirror": {
			reason: "a real region without Traffic Mirror is a warning",
			files:  map[string]string{"a.yaml": "stack: s\nregion: cn-north-2-gov-1\n"},
			want: want{warnings: "$DIR/a.yaml:2:9: Traffic Mirror is not offered in region cn-north-2-gov-1\n" +
				"  hint: the API refuses Traffic Mirror calls there; if the service has come to this region since this version of tmsync, ignore this warning"},
		},
		"AnyRegion": {
			reason: "a spec for another endpoint takes any well-formed region",
			files:  map[string]string{"a.yaml": "stack: s\nregion: cn-hangzou\n", "b.yaml": "stack: t\nregion: cn-north-2-gov-1\n"},
			opts:   LoadOptions{AnyRegion: true},
		},
		"AnyRegionStillChecksForm": {
			reason: "the schema's form of a region ID still holds",
			files:  map[string]string{"a.yaml": "stack: s\nregion: Hangzhou\n"},
			opts:   LoadOptions{AnyRegion: true},
			want: want{diags: "$DIR/a.yaml:2:9: region: \"Hangzhou\" is not valid\n" +
				"  hint: write a region ID such as cn-hangzhou or ap-southeast-1"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			stacks, err := LoadWith([]string{dir}, tc.opts)
			got := want{diags: diagText(t, err, dir)}
			for _, st := range stacks {
				if len(st.Warnings) > 0 {
					got.warnings += strings.ReplaceAll(st.Warnings.Error(), dir, "$DIR")
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRegionLists checks the lists themselves: sorted (they are searched),
// without duplicates, of the schema's form, and every Traffic Mirror
// region a region.
func TestRegionLists(t *testing.T) {
	form := regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	for name, list := range map[string][]string{"regions": regions, "mirrorRegions": mirrorRegions} {
		if !sort.StringsAreSorted(list) {
			t.Errorf("%s is not sorted", name)
		}
		for i, r := range list {
			if i > 0 && list[i-1] == r {
				t.Errorf("%s lists %s twice", name, r)
			}
			if !form.MatchString(r) {
				t.Errorf("%s: %q is not of the schema's form", name, r)
			}
		}
	}
	for _, r := range mirrorRegions {
		if !KnownRegion(r) {
			t.Errorf("mirror region %s is not in regions", r)
		}
	}
	// Every region tmsync's own examples and docs use is known and offers
	// Traffic Mirror.
	for _, r := range []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-hongkong", "ap-southeast-1"} {
		if !MirrorRegion(r) {
			t.Errorf("%s: MirrorRegion = false", r)
		}
	}
}

func TestClosestRegion(t *testing.T) {
	for in, want := range map[string]string{
		"cn-hangzou":     "cn-hangzhou",
		"cn-hangzhou-1":  "cn-hangzhou",
		"cn-shangai":     "cn-shanghai",
		"ap-southeast1":  "ap-southeast-1",
		"ap-southeast-4": "ap-southeast-1",
		"eu-centrl-1":    "eu-central-1",
		"us-west-2":      "us-west-1",
		"mars-north-1":   "",
	} {
		if got := closest(in, regions); got != want {
			t.Errorf("closest(%q, regions) = %q, want %q", in, got, want)
		}
	}
}
