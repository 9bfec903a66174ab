package cli

import (
	"io"
	"runtime/debug"
	"strings"

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

const exitCodesHelp = `Exit codes:
   0  success, or no changes
   1  any error (invalid spec, refused confirmation, stale plan, failed step)
   2  changes or drift present (only with --detailed-exitcode)`

// commands returns every command, in the order of help: the everyday loop
// first. Completion covers every command, itself included.
func commands() []*ucli.Command {
	var cmds []*ucli.Command
	cmds = []*ucli.Command{
		validateCommand(),
		planCommand(),
		applyCommand(),
		destroyCommand(),
		driftCommand(),
		explainCommand(),
		showCommand(),
		exportCommand(),
		emulatorCommand(),
		doctorCommand(),
		schemaCommand(),
		completionCommand(func() []*ucli.Command { return cmds }),
		versionCommand(),
	}
	return cmds
}

// Main runs tmsync with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	app := &ucli.App{
		Name:            "tmsync",
		Usage:           "keep Alibaba Cloud VPC Traffic Mirror equal to what Git says",
		Version:         version(),
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		Commands:        cmds,
		HideHelpCommand: true,
		Description:     exitCodesHelp,
		// The library must never exit the process on its own.
		ExitErrHandler: func(*ucli.Context, error) {},
		Action:         rootAction(cmds),
		OnUsageError:   onUsageError(nil, cmds),
	}
	for _, c := range cmds {
		c.OnUsageError = onUsageError(c, cmds)
	}
	return exitCode(app.Run(interspersed(cmds, args)), stderr)
}

// urfave/cli v2 takes the printer of --version only from a package
// variable. It is set once, when the package loads, to a printer that
// depends on nothing but the app it is given, so no run changes it.
func init() {
	ucli.VersionPrinter = func(c *ucli.Context) {
		io.WriteString(c.App.Writer, "tmsync "+c.App.Version+"\n")
	}
}

// interspersed moves the flags of a command given after its arguments
// (tmsync apply plan.json --endpoint local) before them: urfave/cli stops
// reading flags at the first argument, and users expect both orders.
func interspersed(cmds []*ucli.Command, args []string) []string {
	if len(args) < 3 {
		return args
	}
	var cmd *ucli.Command
	for _, c := range cmds {
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

func versionCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *ucli.Context) error {
			_, err := io.WriteString(c.App.Writer, "tmsync "+version()+"\n")
			return err
		},
	}
}
