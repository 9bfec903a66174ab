package schema

import (
	"encoding/json"
	"testing"
)

// TestSchema checks that the embedded file is JSON and names itself with
// URL, under which internal/spec compiles it.
func TestSchema(t *testing.T) {
	var doc struct {
		ID     string `json:"$id"`
		Schema string `json:"$schema"`
	}
	if err := json.Unmarshal(JSON, &doc); err != nil {
		t.Fatalf("embedded schema is not JSON: %v", err)
	}
	if doc.ID != URL {
		t.Errorf("$id = %q, want %q", doc.ID, URL)
	}
	if doc.Schema != "http://json-schema.org/draft-07/schema#" {
		t.Errorf("$schema = %q, want draft-07 (what editors support best)", doc.Schema)
	}
}
