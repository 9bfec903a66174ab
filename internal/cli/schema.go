package cli

import (
	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/schema"
)

func schemaCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of spec files",
		Description: `Prints the schema tmsync validates spec files with, for editors and CI.

Examples:
   tmsync schema > tmsync.schema.json
   # in a spec file, for the YAML language server:
   # yaml-language-server: $schema=./tmsync.schema.json`,
		Action: func(c *ucli.Context) error {
			_, err := c.App.Writer.Write(schema.JSON)
			return err
		},
	}
}
