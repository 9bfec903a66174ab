// Package spec loads tmsync spec files into validated, defaulted stacks.
//
// Load reads YAML files and directories, checks each file against the
// embedded JSON Schema (package schema), then checks what the schema cannot
// express (references, uniqueness, CIDRs and ports, merged tags, agreement
// between the files of a stack). Plain block YAML is parsed by a parser of
// its own that makes the tree yaml.v3 makes (fastyaml.go); anything else is
// parsed by yaml.v3. The schema is compiled once into a checker of the
// keywords it uses (schemanode.go); both are held to the libraries they
// stand in for by tests and fuzz targets. Every error is a Diagnostic that names the
// file, line and column of the YAML node at fault and says what to change;
// all of a run's errors are returned at once, sorted by position.
//
// Output values are canonical (contract C4): rules come from
// cloud.CanonicalRule, defaults are filled in, so the planner compares them
// with live state as they are.
//
// The package reads local files only. It must not do network I/O, talk to
// the cloud API or print; hostile input (huge files, deep nesting, alias
// bombs, too many files) is refused with a diagnostic, never a hang or crash.
package spec
