package planfile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// signedWith returns the bytes of a bundle of stacks signed with key.
func signedWith(t *testing.T, key Key, stacks ...string) []byte {
	t.Helper()
	b := &Bundle{}
	for _, s := range stacks {
		b.Files = append(b.Files, newFile(t, s))
	}
	data, err := b.encode(key)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// resign recomputes every checksum of an edited bundle with key (nil: plain
// checksums), as someone changing a plan would.
func resign(t *testing.T, data []byte, key Key) []byte {
	t.Helper()
	var doc bundleDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Files {
		sum, err := f.sum(key)
		if err != nil {
			t.Fatal(err)
		}
		f.Checksum = sum
	}
	doc.Checksum = ""
	sum, err := sign(doc, key)
	if err != nil {
		t.Fatal(err)
	}
	doc.Checksum = sum
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSignedPlans checks plans signed with a key (TMSYNC_PLAN_KEY): only
// the key they were signed with reads them, a plan changed and checksummed
// or signed again without that key is refused, and with a key an unsigned
// plan is refused too. The key is never in the file or an error.
func TestSignedPlans(t *testing.T) {
	key := Key("k3y-0f-the-ci-job-5ecret-5ecret")
	other := Key("an0ther-key-an0ther-key-an0ther")
	valid := signedWith(t, key, "web")
	two := signedWith(t, key, "web", "dns")
	tampered := edit(t, valid, func(doc map[string]any) {
		file0(doc)["desired"].(map[string]any)["limits"].(map[string]any)["sources_per_session"] = 3
	})
	cases := map[string]struct {
		reason string
		data   []byte
		key    Key
		want   error
	}{
		"signed": {reason: "a plan read with the key it was signed with", data: valid, key: key},
		"signed bundle": {reason: "every stack's plan and the list of stacks are signed",
			data: two, key: key},
		"no key":    {reason: "a signed plan needs its key", data: valid, want: ErrKeyNeeded},
		"other key": {reason: "another key does not read it", data: valid, key: other, want: ErrTampered},
		"unsigned with key": {reason: "with a key, a plan anyone could write is refused",
			data: saved(t, "web"), key: key, want: ErrNotSigned},
		"unsigned": {reason: "without a key, a plain checksum is checked as before", data: saved(t, "web")},
		"edited":   {reason: "an edit breaks the signature", data: tampered, key: key, want: ErrTampered},
		"edited and checksummed": {reason: "an edit with plain checksums made again is refused with the key",
			data: resign(t, tampered, nil), key: key, want: ErrNotSigned},
		"edited and signed": {reason: "an edit signed again with another key is refused",
			data: resign(t, tampered, other), key: key, want: ErrTampered},
		"stack dropped": {reason: "the list of stacks is signed too",
			data: edit(t, two, func(doc map[string]any) { doc["files"] = doc["files"].([]any)[:1] }), key: key, want: ErrTampered},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadBundle(bytes.NewReader(tc.data), tc.key)
			if tc.want == nil && err != nil {
				t.Errorf("%s: %v", tc.reason, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.reason, err, tc.want)
			}
			for _, k := range []Key{key, other} {
				if err != nil && (strings.Contains(err.Error(), string(k)) || strings.Contains(err.Error(), hex.EncodeToString(k))) {
					t.Errorf("%s: the error names the key: %v", tc.reason, err)
				}
			}
		})
	}
	if bytes.Contains(valid, key) || bytes.Contains(valid, []byte(hex.EncodeToString(key))) {
		t.Errorf("the signed file holds the key")
	}
	if !bytes.Contains(valid, []byte(`"checksum": "hmac-sha256:`)) {
		t.Errorf("the signed file has no hmac-sha256 checksum:\n%s", valid)
	}
}
