// Command tmsync keeps Alibaba Cloud VPC Traffic Mirror configuration equal
// to what a Git repository says.
package main

import (
	"os"

	"github.com/tmsync/tmsync/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
