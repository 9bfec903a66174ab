package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/views"
)

// showOptions are the flags of tmsync show.
type showOptions struct {
	path   string
	format string
	color  bool
}

func (o showOptions) check() error {
	if o.path == "" {
		return withHint(errors.New("no saved plan given"), "tmsync show FILE, with a FILE written by tmsync plan --out FILE")
	}
	switch o.format {
	case "text", "json", "markdown":
		return nil
	}
	return withHint(fmt.Errorf("unknown --format %q", o.format), "use text, json or markdown")
}

func showCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "show",
		Usage:     "render a saved plan; talks to no cloud",
		ArgsUsage: "FILE",
		Description: `Renders a plan saved by tmsync plan --out FILE in any of the views of
   tmsync plan: text for a terminal, json for tools, markdown for a pull-request
   comment. The file's checksums are verified (with TMSYNC_PLAN_KEY set, its
   signature): a file changed after it was written is refused. An expired plan is still shown, with a warning, since
   tmsync apply will refuse it.

Examples:
   tmsync plan -f specs/ --out plan.json
   tmsync show plan.json
   tmsync show plan.json --format markdown > comment.md
   tmsync show plan.json --format json | jq '.changes[] | select(.action == "delete")'

Exit codes:
   0  the plan was shown (an expired one too, with a warning)
   1  any error (no saved plan, not one, changed after it was written, signed with another key)`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json or markdown"},
			&ucli.BoolFlag{Name: "no-color", Usage: "never colour the output (NO_COLOR is honoured too)"},
		},
		Action: func(c *ucli.Context) error {
			o, noColor, err := showOptionsFrom(c)
			if err != nil {
				return err
			}
			// Colour only when writing to the terminal itself; the
			// views never decide that on their own.
			if f, ok := c.App.Writer.(*os.File); ok {
				o.color = views.ColorEnabled(f, noColor)
			}
			if err := o.check(); err != nil {
				return err
			}
			return runShow(o, c.App.Writer, c.App.ErrWriter, time.Now())
		},
	}
}

// showOptionsFrom reads the flags given before the file, which urfave/cli
// parses, and those given after it (tmsync show plan.json --format json),
// where urfave/cli stops parsing.
func showOptionsFrom(c *ucli.Context) (showOptions, bool, error) {
	o := showOptions{format: c.String("format")}
	noColor := c.Bool("no-color")
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.format, "format", o.format, "")
	fs.BoolVar(&noColor, "no-color", noColor, "")
	var files []string
	for args := c.Args().Slice(); len(args) > 0; {
		if err := fs.Parse(args); err != nil {
			return o, false, withHint(err, "tmsync show FILE [--format text|json|markdown] [--no-color]")
		}
		args = fs.Args()
		if len(args) > 0 {
			files = append(files, args[0])
			args = args[1:]
		}
	}
	if len(files) > 1 {
		return o, false, withHint(fmt.Errorf("one saved plan at a time, got %d files", len(files)), "tmsync show FILE")
	}
	if len(files) == 1 {
		o.path = files[0]
	}
	return o, noColor, nil
}

func runShow(o showOptions, stdout, stderr io.Writer, now time.Time) error {
	b, key, err := loadPlan(o.path)
	if err != nil {
		return err
	}
	// Expiry is not enforced here, since reviewing an old plan is harmless,
	// but the reader should know that apply will refuse it. On stderr, so
	// that JSON and Markdown on stdout stay clean.
	for _, f := range b.Files {
		if f.Expired(now) {
			fmt.Fprintf(stderr, "tmsync: warning: the saved plan of stack %s expired at %s; tmsync apply will refuse it: run tmsync plan again\n",
				f.Stack, f.ExpiresAt.Format(time.RFC3339))
		}
	}
	plans := b.Plans()
	switch o.format {
	case "json":
		// One stack gives the document tmsync plan --format json gives.
		if len(plans) == 1 {
			return views.JSON(stdout, plans[0])
		}
		return views.JSONMulti(stdout, plans)
	case "markdown":
		return views.MarkdownMulti(stdout, plans, views.MarkdownOptions{})
	}
	f := b.Files[0]
	status := "expires"
	if f.Expired(now) {
		status = "expired"
	}
	signed := "not signed (set " + planKeyEnv + " to sign plans)"
	if key != nil {
		signed = "signed with " + planKeyEnv
	}
	fmt.Fprintf(stdout, "Saved plan %s: made by tmsync %s at %s, %s %s, %s.\n\n", o.path, f.ToolVersion,
		f.CreatedAt.Format(time.RFC3339), status, f.ExpiresAt.Format(time.RFC3339), signed)
	return views.TextMulti(stdout, plans, views.TextOptions{Color: o.color})
}
