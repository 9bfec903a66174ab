package cli

import (
	"fmt"
	"io"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// A usageError is a command line tmsync cannot read: an unknown command or
// flag, or a flag without its value. It is reported with the closest
// command or flag, when one is close, and two lines of usage instead of the
// whole help.
type usageError struct {
	err error
	// suggest is a command or flag close to the one given ("apply",
	// "--auto-approve"), or empty.
	suggest string
	// usage is the command's synopsis, help where to read the rest.
	usage, help string
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// report writes the error's lines after "tmsync: error: ...".
func (e usageError) report(w io.Writer) {
	if e.suggest != "" {
		fmt.Fprintf(w, "hint: did you mean %s?\n", e.suggest)
	}
	fmt.Fprintf(w, "usage: %s\n", e.usage)
	fmt.Fprintf(w, "       %s\n", e.help)
}

// rootAction runs for tmsync without a command: it shows the help, or
// refuses a command it does not know.
func rootAction(cmds []*ucli.Command) ucli.ActionFunc {
	return func(c *ucli.Context) error {
		if !c.Args().Present() {
			return ucli.ShowAppHelp(c)
		}
		name := c.Args().First()
		var names []string
		for _, cmd := range cmds {
			if !cmd.Hidden {
				names = append(names, cmd.Names()...)
			}
		}
		return usageError{err: fmt.Errorf("unknown command %q", name), suggest: closest(name, names),
			usage: "tmsync COMMAND [options] [PATH...]", help: "tmsync --help lists the commands"}
	}
}

// onUsageError reports a flag cmd cannot read (nil: the flags before any
// command), with the closest flag of cmd, or of any command for the flags
// before one.
func onUsageError(cmd *ucli.Command, cmds []*ucli.Command) ucli.OnUsageErrorFunc {
	return func(_ *ucli.Context, err error, _ bool) error {
		ue := usageError{err: err, usage: "tmsync COMMAND [options] [PATH...]", help: "tmsync --help lists the commands"}
		flags := []ucli.Flag{}
		if cmd != nil {
			ue.usage = "tmsync " + cmd.Name + " [options]"
			if cmd.ArgsUsage != "" {
				ue.usage += " " + cmd.ArgsUsage
			}
			ue.help = "tmsync " + cmd.Name + " --help shows every option"
			flags = cmd.Flags
		} else {
			for _, c := range cmds {
				flags = append(flags, c.Flags...)
			}
		}
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			name = strings.TrimLeft(name, "-")
			var names []string
			for _, f := range flags {
				for _, n := range f.Names() {
					if len(n) > 1 {
						names = append(names, n)
					}
				}
			}
			if s := closest(name, names); s != "" {
				ue.suggest = "--" + s
			}
			dashes := "--"
			if len(name) == 1 {
				dashes = "-"
			}
			ue.err = fmt.Errorf("unknown flag %s%s", dashes, name)
		}
		return ue
	}
}

// closest returns the name of names nearest to s: at most two edits away
// (a swap of two neighbours counts as one), or that s is the start of; ""
// when none is, or two are equally near.
func closest(s string, names []string) string {
	best, bestD, tie := "", 3, false
	for _, n := range names {
		d := editDistance(s, n)
		if d > 2 && len(s) >= 3 && strings.HasPrefix(n, s) {
			d = 2
		}
		switch {
		case d < bestD:
			best, bestD, tie = n, d, false
		case d == bestD && n != best:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of two neighbours.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
