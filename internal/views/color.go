package views

import (
	"os"

	"golang.org/x/term"
)

// ColorEnabled reports whether output to f should be coloured: never with
// --no-color (noColorFlag), never when NO_COLOR is set to anything but the
// empty string (https://no-color.org), never on a dumb terminal, and
// otherwise only when f is a terminal, so that logs and pipes stay plain.
func ColorEnabled(f *os.File, noColorFlag bool) bool {
	if f == nil {
		return false
	}
	return colorEnabled(noColorFlag, os.Getenv, term.IsTerminal(int(f.Fd())))
}

// colorEnabled is ColorEnabled's decision, apart from the process's
// environment and terminal so that tests can give both.
func colorEnabled(noColorFlag bool, getenv func(string) string, terminal bool) bool {
	if noColorFlag || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return terminal
}
