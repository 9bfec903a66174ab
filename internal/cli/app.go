package cli

import (
	"io"
	"runtime/debug"

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

// Main runs tmsync with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
	return exitCode(app.Run(args), stderr)
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
