package cli

import (
	"io"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	ucli "github.com/urfave/cli/v2"
)

// Version is stamped at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}

// commands lists every command; each file of this package adds its own in
// an init function, so commands stay out of each other's way.
var commands []*ucli.Command

const exitCodesHelp = `Exit codes:
   0  success, or no changes
   1  any error (invalid spec, refused confirmation, stale plan, failed step)
   2  changes or drift present (only with --detailed-exitcode)`

// commandOrder is the order of commands in help: the everyday loop first.
var commandOrder = []string{"validate", "plan", "apply", "destroy", "drift", "show", "export",
	"emulator", "doctor", "schema", "completion", "version"}

var sortOnce sync.Once

func sortCommands() { sortOnce.Do(sortCommandsNow) }

func sortCommandsNow() {
	rank := func(c *ucli.Command) int {
		for i, n := range commandOrder {
			if c.Name == n {
				return i
			}
		}
		return len(commandOrder)
	}
	sort.SliceStable(commands, func(i, j int) bool { return rank(commands[i]) < rank(commands[j]) })
}

// Main runs tmsync with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sortCommands()
	app := &ucli.App{
		Name:            "tmsync",
		Usage:           "keep Alibaba Cloud VPC Traffic Mirror equal to what Git says",
		Version:         version(),
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		Commands:        commands,
		HideHelpCommand: true,
		Description:     exitCodesHelp,
		// The library must never exit the process on its own.
		ExitErrHandler: func(*ucli.Context, error) {},
	}
	ucli.VersionPrinter = func(c *ucli.Context) {
		io.WriteString(c.App.Writer, "tmsync "+version()+"\n")
	}
	return exitCode(app.Run(interspersed(args)), stderr)
}

// interspersed moves the flags of a command given after its arguments
// (tmsync apply plan.json --endpoint local) before them: urfave/cli stops
// reading flags at the first argument, and users expect both orders.
func interspersed(args []string) []string {
	if len(args) < 3 {
		return args
	}
	var cmd *ucli.Command
	for _, c := range commands {
		if c.HasName(args[1]) {
			cmd = c
		}
	}
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*ucli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, rest []string
	in := args[2:]
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			rest = append(rest, in[i:]...)
			break
		}
		name := strings.TrimLeft(a, "-")
		if !strings.HasPrefix(a, "-") || a == "-" || name == "" {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(in) {
			flags = append(flags, in[i+1])
			i++
		}
	}
	return append(append(append([]string{}, args[:2]...), flags...), rest...)
}

func init() {
	commands = append(commands, &ucli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *ucli.Context) error {
			_, err := io.WriteString(c.App.Writer, "tmsync "+version()+"\n")
			return err
		},
	})
}
