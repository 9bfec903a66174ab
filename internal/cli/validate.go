package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/traffic"
)

// validateOptions are the flags of tmsync validate.
type validateOptions struct {
	paths  []string
	format string
	// strict makes warnings errors: exit 1 when there is any.
	strict bool
	// endpoint is what the spec is for: any but Alibaba Cloud's own ("")
	// takes any region ID, as plan and apply with it do.
	endpoint string
}

func (o validateOptions) check() error {
	if len(o.paths) == 0 {
		return withHint(errors.New("no spec given"), "pass spec files or directories: tmsync validate -f examples/")
	}
	if o.format != "text" && o.format != "json" {
		return withHint(fmt.Errorf("unknown --format %q", o.format), "use --format text or --format json")
	}
	// Checked as plan checks it, though validate talks to no endpoint: an
	// endpoint plan would refuse is refused here too.
	return checkEndpoint(o.endpoint)
}

func validateCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "validate",
		Usage:     "check spec files; talks to no cloud",
		ArgsUsage: "[PATH...]",
		Description: `Loads every spec file and directory given (directories are searched
recursively for *.yaml and *.yml), checks them against the schema and the
API's rules, and reports every problem at once as file:line:col with a hint.
It warns about rules that can never decide a packet (every packet they match
is decided by rules of smaller priority number first, or they equal an
earlier rule) and about a direction whose rules mirror nothing; with
--strict, any warning makes it exit 1.
A region must be an Alibaba Cloud region (a region without Traffic Mirror
gets a warning) unless --endpoint or TMSYNC_ENDPOINT names another endpoint,
as plan and apply do with it: the emulator takes any region.

Examples:
   tmsync validate -f examples/
   tmsync validate -f stack.yaml -f filters.yaml -f sessions.yaml
   tmsync validate -f specs/ --format json
   tmsync validate -f specs/ --strict        # warnings fail the check
   tmsync validate -f testdata/ --endpoint local

Exit codes:
   0  every spec is valid (warnings included)
   1  a spec is invalid, or none was given`,
		Flags: []ucli.Flag{
			specFlag(),
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
			&ucli.BoolFlag{Name: "strict", Usage: "exit 1 when there are warnings (rules that never decide a packet, directions that mirror nothing, a region without Traffic Mirror)"},
			&ucli.StringFlag{Name: "endpoint", EnvVars: []string{"TMSYNC_ENDPOINT"},
				Usage: "the `ENDPOINT` the spec is for, as with plan; any but the default (local, a URL) takes region IDs Alibaba Cloud does not have"},
		},
		Action: func(c *ucli.Context) error {
			opts := validateOptions{
				paths:    append(c.StringSlice("file"), c.Args().Slice()...),
				format:   c.String("format"),
				strict:   c.Bool("strict"),
				endpoint: strings.TrimSpace(c.String("endpoint")),
			}
			if err := opts.check(); err != nil {
				return err
			}
			return runValidate(opts, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// specFlag is the -f flag of every command that reads a spec.
func specFlag() ucli.Flag {
	return &ucli.StringSliceFlag{
		Name:    "file",
		Aliases: []string{"f"},
		Usage:   "spec `PATH`: a file or a directory (repeatable)",
	}
}

// loadStacks loads the spec for commands other than validate: an invalid
// spec becomes one error listing every diagnostic (errors.As finds the
// spec.Diagnostics inside). Region IDs are checked against Alibaba Cloud's
// only for its own endpoint (endpoint ""); warnings go to stderr.
func loadStacks(paths []string, endpoint string, stderr io.Writer) ([]*spec.Stack, error) {
	if len(paths) == 0 {
		return nil, withHint(errors.New("no spec given"), "pass spec files or directories with -f PATH")
	}
	stacks, err := spec.LoadWith(paths, loadOptions(endpoint))
	var ds spec.Diagnostics
	if errors.As(err, &ds) {
		return nil, withHint(fmt.Errorf("invalid spec (%s):\n%w", problems(len(ds)), ds),
			"run tmsync validate -f ... to see the problems alone")
	}
	printWarnings(stderr, stacks)
	return stacks, err
}

// loadOptions are the spec checks for an endpoint: one other than Alibaba
// Cloud's (the emulator, a private endpoint) may serve any region.
func loadOptions(endpoint string) spec.LoadOptions {
	return spec.LoadOptions{AnyRegion: endpoint != ""}
}

// printWarnings prints the stacks' warnings as validate prints diagnostics.
func printWarnings(w io.Writer, stacks []*spec.Stack) {
	for _, st := range stacks {
		for _, d := range st.Warnings {
			fmt.Fprintf(w, "%s: warning: %s\n", d.Pos, d.Message)
			if d.Hint != "" {
				fmt.Fprintf(w, "  hint: %s\n", d.Hint)
			}
		}
	}
}

func problems(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}

// A stackSummary is one valid stack in validate's output.
type stackSummary struct {
	Stack    string   `json:"stack"`
	Region   string   `json:"region"`
	Files    []string `json:"files"`
	Filters  int      `json:"filters"`
	Rules    int      `json:"rules"`
	Sessions int      `json:"sessions"`
}

type jsonDiagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

type validateResult struct {
	Valid       bool             `json:"valid"`
	Stacks      []stackSummary   `json:"stacks"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
	Warnings    []jsonDiagnostic `json:"warnings,omitempty"`
}

func runValidate(opts validateOptions, stdout, stderr io.Writer) error {
	stacks, err := spec.LoadWith(opts.paths, loadOptions(opts.endpoint))
	var ds spec.Diagnostics
	if err != nil && !errors.As(err, &ds) {
		return err
	}
	res := validateResult{Valid: err == nil, Stacks: []stackSummary{}, Diagnostics: []jsonDiagnostic{}}
	warnings := 0
	for _, st := range stacks {
		addRuleWarnings(st)
		warnings += len(st.Warnings)
	}
	strictFails := opts.strict && warnings > 0
	if strictFails {
		res.Valid = false
	}
	for _, st := range stacks {
		s := stackSummary{Stack: st.Name, Region: st.Region, Files: st.Files, Filters: len(st.Filters), Sessions: len(st.Sessions)}
		for _, f := range st.Filters {
			s.Rules += len(f.Ingress) + len(f.Egress)
		}
		res.Stacks = append(res.Stacks, s)
		for _, d := range st.Warnings {
			res.Warnings = append(res.Warnings, jsonDiagnostic{
				File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Message: d.Message, Hint: d.Hint})
		}
	}
	for _, d := range ds {
		res.Diagnostics = append(res.Diagnostics, jsonDiagnostic{
			File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Message: d.Message, Hint: d.Hint})
	}

	if opts.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printWarnings(stderr, stacks)
		for _, d := range ds {
			fmt.Fprintln(stderr, d.String())
			if d.Hint != "" {
				fmt.Fprintf(stderr, "  hint: %s\n", d.Hint)
			}
		}
		if !strictFails {
			for _, s := range res.Stacks {
				fmt.Fprintf(stdout, "ok: stack %s (%s): %s, %s, %s\n", s.Stack, s.Region,
					plural(s.Filters, "filter"), plural(s.Rules, "rule"), plural(s.Sessions, "session"))
			}
		}
		if len(ds) > 0 {
			fmt.Fprintf(stderr, "tmsync: error: invalid spec (%s)\n", problems(len(ds)))
		} else if strictFails {
			fmt.Fprintf(stderr, "tmsync: error: %s, and --strict makes them errors\n", plural(warnings, "warning"))
		}
	}
	if len(ds) > 0 {
		return silentError{fmt.Errorf("invalid spec (%s)", problems(len(ds)))}
	}
	if strictFails {
		return silentError{fmt.Errorf("%s with --strict", plural(warnings, "warning"))}
	}
	return nil
}

// addRuleWarnings adds to st's warnings the rules that never decide a
// packet and the directions that mirror nothing (traffic.Check), all in
// file, line and column order.
func addRuleWarnings(st *spec.Stack) {
	st.Warnings = append(st.Warnings, traffic.Check(st)...)
	sort.SliceStable(st.Warnings, func(i, j int) bool {
		a, b := st.Warnings[i].Pos, st.Warnings[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
