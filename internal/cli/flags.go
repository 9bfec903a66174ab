package cli

import (
	"errors"
	"fmt"
	"math"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/spec"
)

// Every numeric flag of every command carries its bound in its definition,
// through the helpers below: urfave/cli runs a flag's Action once the flags
// are parsed and before the command's own action, so a value out of range
// is refused before anything else happens, with one wording everywhere:
// "--parallelism must be at least 1, got 0".

// minInt makes f refuse values below least.
func minInt(least int, f *ucli.IntFlag) *ucli.IntFlag {
	name := f.Name
	f.Action = func(_ *ucli.Context, v int) error {
		if v < least {
			return boundError(name, atLeast(least), v)
		}
		return nil
	}
	return f
}

// minFloat makes f refuse values below least, and values that are not
// finite numbers.
func minFloat(least float64, f *ucli.Float64Flag) *ucli.Float64Flag {
	name := f.Name
	f.Action = func(_ *ucli.Context, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return boundError(name, "must be a finite number", v)
		}
		if v < least {
			return boundError(name, atLeast(least), v)
		}
		return nil
	}
	return f
}

// positive makes f refuse durations that are zero or negative.
func positive(f *ucli.DurationFlag) *ucli.DurationFlag {
	name := f.Name
	f.Action = func(_ *ucli.Context, v time.Duration) error {
		if v <= 0 {
			return boundError(name, "must be positive", v)
		}
		return nil
	}
	return f
}

// nonNegative makes f refuse negative durations; zero is allowed (and
// means what the flag's usage says).
func nonNegative(f *ucli.DurationFlag) *ucli.DurationFlag {
	name := f.Name
	f.Action = func(_ *ucli.Context, v time.Duration) error {
		if v < 0 {
			return boundError(name, "must not be negative", v)
		}
		return nil
	}
	return f
}

func atLeast[T int | float64](least T) string {
	if least == 0 {
		return "must not be negative"
	}
	return fmt.Sprintf("must be at least %v", least)
}

func boundError(name, must string, got any) error {
	return fmt.Errorf("--%s %s, got %v", name, must, got)
}

// checkStackFlag refuses a --stack value that a spec could not declare as
// its stack: it names the lock and journal files, and objects' tags.
func checkStackFlag(name string) error {
	return flagValueError("stack", spec.CheckStackName(name))
}

// checkRegionFlag refuses a --region value that a spec could not name for
// endpoint: the region becomes part of the API's host name.
func checkRegionFlag(region, endpoint string) error {
	return flagValueError("region", spec.CheckRegion(region, loadOptions(endpoint)))
}

func flagValueError(flag string, err error) error {
	var ve *spec.ValueError
	if errors.As(err, &ve) {
		return withHint(fmt.Errorf("--%s: %w", flag, err), "%s", ve.Hint)
	}
	return err
}
