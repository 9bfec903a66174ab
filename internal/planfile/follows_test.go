package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// rehash recomputes the desired-state hashes and the checksums of an edited
// bundle, as someone who knows the format would after changing it.
func rehash(t *testing.T, data []byte) []byte {
	t.Helper()
	var doc bundleDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Files {
		f.DesiredHash = DesiredHash(f.Desired)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return resum(t, out)
}

// TestEditedAndChecksummedAgain: a saved plan changed and given checksums
// that match again is still refused as changed after it was written (not
// reported later as live state that moved), because its plan is not the
// plan of its own desired state and snapshot.
func TestEditedAndChecksummedAgain(t *testing.T) {
	valid := saved(t, "web")
	step0 := func(doc map[string]any) map[string]any {
		return file0(doc)["plan"].(map[string]any)["steps"].([]any)[0].(map[string]any)
	}
	cases := map[string]struct {
		reason string
		change func(doc map[string]any)
	}{
		"step": {
			reason: "a step's call edited: another filter name",
			change: func(doc map[string]any) { step0(doc)["op"].(map[string]any)["name"] = "evil" },
		},
		"token": {
			reason: "a step's token edited",
			change: func(doc map[string]any) { step0(doc)["client_token"] = "tm1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		},
		"desired": {
			reason: "the desired state edited, its hash too",
			change: func(doc map[string]any) {
				file0(doc)["desired"].(map[string]any)["filters"].([]any)[0].(map[string]any)["name"] = "evil"
			},
		},
		"snapshot": {
			reason: "the snapshot edited: an object the plan does not know of",
			change: func(doc map[string]any) {
				file0(doc)["snapshot"].(map[string]any)["serviceEnabled"] = false
			},
		},
		"traffic": {
			reason: "what the plan changes in mirrored traffic, which reviewers read, edited",
			change: func(doc map[string]any) { file0(doc)["plan"].(map[string]any)["traffic"] = []any{} },
		},
		"steps dropped": {
			reason: "steps removed",
			change: func(doc map[string]any) { file0(doc)["plan"].(map[string]any)["steps"] = []any{} },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			data := rehash(t, edit(t, valid, tc.change))
			_, err := ReadBundle(bytes.NewReader(data), nil)
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("%s: err = %v, want ErrTampered", tc.reason, err)
			}
			if want := "saved plan was changed after it was written: the plan of stack web is not the plan of its own desired state and snapshot"; !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err = %v, want it to say %q", tc.reason, err, want)
			}
		})
	}
	if _, err := ReadBundle(bytes.NewReader(rehash(t, valid)), nil); err != nil {
		t.Errorf("a plan checksummed again unchanged: %v", err)
	}
}
