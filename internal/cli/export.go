package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/export"
	"github.com/tmsync/tmsync/internal/spec"
)

// exportOptions are the parsed flags of tmsync export.
type exportOptions struct {
	region   string
	export   export.Options
	out      string
	force    bool
	endpoint endpointOptions
}

func exportOptionsFrom(c *ucli.Context) (exportOptions, error) {
	o := exportOptions{
		region:   c.String("region"),
		out:      c.String("out"),
		force:    c.Bool("force"),
		endpoint: endpointOptionsFrom(c),
		export: export.Options{
			Stack:      c.String("stack"),
			Region:     c.String("region"),
			FilterIDs:  splitIDs(c.StringSlice("filter-ids")),
			SessionIDs: splitIDs(c.StringSlice("session-ids")),
		},
	}
	if c.Args().Len() > 0 {
		return o, withHint(fmt.Errorf("unexpected argument %q", c.Args().First()), "write the output file with -o FILE")
	}
	if o.region == "" {
		return o, withHint(errors.New("--region is required"), "name the region to export, e.g. --region cn-hangzhou")
	}
	if o.export.Stack == "" {
		o.export.Stack = o.region
	}
	if err := checkRegionFlag(o.region, o.endpoint.Endpoint); err != nil {
		return o, err
	}
	if err := checkStackFlag(o.export.Stack); err != nil {
		return o, err
	}
	return o, o.endpoint.validate()
}

// splitIDs accepts IDs repeated, comma- or space-separated.
func splitIDs(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	return out
}

func exportCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "export",
		Usage: "write a spec from the objects live in a region, to adopt them",
		Description: `Reads the region's filters and sessions and writes them as one spec file:
   keys derived from the names (made unique, unnamed and non-ASCII names get
   filter-<id>/session-<id>), an explicit name and id on every object, rules
   in priority order in their shortest form, sessions referencing filters by
   key, or by tmf- ID when the filter is not exported. Without --filter-ids
   and --session-ids every object is exported except those another stack
   owns; with them, exactly those objects. Objects a spec cannot hold are
   left out and named in the file's header and on stderr.

   Planning the result with --adopt shows only the ownership tags tmsync adds
   (and a name for objects that had none); apply it to take the objects over.

Examples:
   tmsync export --region cn-hangzhou --stack mirror -o specs/
   tmsync plan  -f specs/mirror.yaml --adopt
   tmsync apply -f specs/mirror.yaml --adopt
   tmsync export --region cn-hangzhou --filter-ids tmf-bp1a,tmf-bp1b --session-ids tms-bp1c

Exit codes:
   0  the spec was written
   1  any error (unknown or foreign ID, no credentials, existing file without --force)`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "region", Usage: "`REGION` to export, e.g. cn-hangzhou"},
			&ucli.StringFlag{Name: "stack", Usage: "stack `NAME` of the spec (default: the region)"},
			&ucli.StringSliceFlag{Name: "filter-ids", Usage: "export only these filters (`IDS`, comma-separated or repeated)"},
			&ucli.StringSliceFlag{Name: "session-ids", Usage: "export only these sessions (`IDS`, comma-separated or repeated)"},
			&ucli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write to `FILE`, or to DIR/<stack>.yaml for a directory (default: stdout)"},
			&ucli.BoolFlag{Name: "force", Usage: "overwrite an existing file"},
		}, endpointFlags()...),
		Action: func(c *ucli.Context) error {
			o, err := exportOptionsFrom(c)
			if err != nil {
				return err
			}
			return runExport(c.Context, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func runExport(ctx context.Context, o exportOptions, stdout, stderr io.Writer) error {
	c, closeFn, err := o.endpoint.open(ctx, o.region, "")
	if err != nil {
		return err
	}
	defer closeFn()
	snap, err := cloud.ReadSnapshot(ctx, c)
	if ue := asUnreachable(err, c.Endpoint()); ue != nil {
		return withHint(fmt.Errorf("read live state of %s: %w", o.region, ue), "%s", unreachableHint(ue))
	}
	if err != nil {
		return fmt.Errorf("read live state of %s: %w", o.region, err)
	}
	if r, ok := c.(cloud.ENIReader); ok {
		// The sources' ENIs, to say which share tags a selector could use.
		var ids []string
		for _, s := range snap.Sessions {
			ids = append(ids, s.SourceIDs...)
		}
		if len(ids) > 0 {
			if enis, err := r.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{IDs: ids}); err == nil {
				snap.ENIs, snap.ENIsRead = enis, true
			}
		}
	}
	s, err := export.Export(snap, o.export)
	if err != nil {
		return withHint(err, "list the IDs of one region that no other stack owns, or leave out --filter-ids and --session-ids")
	}
	b, err := s.YAML()
	if err != nil {
		return err
	}
	if err := checkExported(b, o.endpoint.Endpoint); err != nil {
		return err
	}
	where := "stdout"
	if o.out == "" {
		if _, err := stdout.Write(b); err != nil {
			return err
		}
	} else {
		if where, err = writeExport(o.out, s.Stack, b, o.force); err != nil {
			return err
		}
	}
	if !snap.ServiceEnabled {
		fmt.Fprintf(stderr, "The Traffic Mirror service is not open in %s: there was nothing to export.\n", o.region)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	fmt.Fprintf(stderr, "Exported %s and %s of %s to %s.\n", plural(len(s.Filters), "filter"), plural(len(s.Sessions), "session"), o.region, where)
	if where != "stdout" {
		fmt.Fprintf(stderr, "Next: tmsync plan -f %s --adopt   (only ownership tags should change)\n", where)
	}
	return nil
}

// checkExported loads the exported spec as validate would for the endpoint
// it was exported from: export must never write a spec that tmsync itself
// refuses.
func checkExported(b []byte, endpoint string) error {
	dir, err := os.MkdirTemp("", "tmsync-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "exported.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	if _, err := spec.LoadWith([]string{path}, loadOptions(endpoint)); err != nil {
		return withHint(fmt.Errorf("the exported spec does not validate: %w", err),
			"this is a bug in tmsync export; please report it with the message above")
	}
	return nil
}

// writeExport writes b to out, or to out/<stack>.yaml when out is a
// directory (or ends with a separator), and returns the path written.
func writeExport(out, stack string, b []byte, force bool) (string, error) {
	path := out
	if fi, err := os.Stat(out); (err == nil && fi.IsDir()) || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) {
		path = filepath.Join(out, stack+".yaml")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return "", withHint(fmt.Errorf("%s exists", path), "pass --force to overwrite it, or choose another -o")
	}
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
