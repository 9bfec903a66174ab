// Package schema holds the JSON Schema of tmsync spec files. The same file is
// embedded in the binary (tmsync schema prints it), referenced from the
// examples for editors, and enforced by internal/spec, so the three cannot
// drift apart.
package schema

import _ "embed"

// JSON is the schema, draft-07, as written in tmsync.schema.json.
//
//go:embed tmsync.schema.json
var JSON []byte

// URL is the schema's $id; compilers load JSON under this name.
const URL = "https://github.com/tmsync/tmsync/schema/tmsync.schema.json"
