package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEmptyKeys: an empty key is reported at the key itself, under its
// mapping, and the mapping's other keys are still checked: an empty tag key
// does not hide a reserved tag key beside it, nor the file's other errors.
func TestEmptyKeys(t *testing.T) {
	cases := map[string]struct {
		reason string
		file   string
		want   string
	}{
		"StackTag": {
			reason: "an empty stack tag key, beside a reserved one",
			file:   "stack: s\nregion: cn-hangzhou\ntags:\n  \"\": x\n  \"acs:y\": z\nfilters:\n  web: {}\n",
			want: "$DIR/a.yaml:4:3: tags: key must not be empty\n  hint: rename the key\n" +
				"$DIR/a.yaml:5:3: tags: tag key \"acs:y\" starts with the reserved prefix \"acs:\"\n" +
				"  hint: rename the tag; tmsync: tags are tmsync's own and acs:/aliyun tags are the system's",
		},
		"FilterTag": {
			reason: "an empty filter tag key, beside a reserved one and a rule with host bits",
			file: "stack: s\nregion: cn-hangzhou\nfilters:\n  web:\n    tags:\n      \"\": z\n      \"tmsync:x\": y\n" +
				"    ingress:\n      - {priority: 1, action: accept, protocol: TCP, sourceCidrBlock: 10.0.0.1/8}\n",
			want: "$DIR/a.yaml:6:7: filters.web.tags: key must not be empty\n  hint: rename the key\n" +
				"$DIR/a.yaml:7:7: filters.web.tags: tag key \"tmsync:x\" starts with the reserved prefix \"tmsync:\"\n" +
				"  hint: rename the tag; tmsync: tags are tmsync's own and acs:/aliyun tags are the system's\n" +
				"$DIR/a.yaml:9:71: filters.web.ingress[0].sourceCidrBlock: CIDR block \"10.0.0.1/8\" has host bits set; use 10.0.0.0/8\n" +
				"  hint: write 10.0.0.0/8: the address must be the first of its block",
		},
		"FilterKey": {
			reason: "an empty filter key is the key \"\", not the key filters",
			file:   "stack: s\nregion: cn-hangzhou\nfilters:\n  \"\": {}\n  web:\n    ingress:\n      - {priority: 0, action: accept, protocol: TCP}\n",
			want: "$DIR/a.yaml:4:3: filters: key \"\" is not valid\n" +
				"  hint: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit\n" +
				"$DIR/a.yaml:7:20: filters.web.ingress[0].priority: 0 is out of range 1-10\n  hint: use a value from 1 to 10",
		},
		"SessionTag": {
			reason: "an empty session tag key",
			file: "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\nsessions:\n  ids:\n    filter: web\n" +
				"    target: {type: NetworkInterface, id: eni-t}\n    sources: [eni-a]\n    priority: 1\n    tags: {\"\": x, \"aliyun-k\": y}\n",
			want: "$DIR/a.yaml:11:12: sessions.ids.tags: key must not be empty\n  hint: rename the key\n" +
				"$DIR/a.yaml:11:19: sessions.ids.tags: tag key \"aliyun-k\" starts with the reserved prefix \"aliyun\"\n" +
				"  hint: rename the tag; tmsync: tags are tmsync's own and acs:/aliyun tags are the system's",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{"a.yaml": tc.file})
			_, err := Load([]string{dir})
			if diff := cmp.Diff(tc.want, diagText(t, err, dir)); diff != "" {
				t.Errorf("%s: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
